"""Rayleigh distribution with scale sigma."""
from sympy import Interval, exp, oo, symbols

from ..family import define_family

x, sigma = symbols("x sigma")

Rayleigh = define_family(
    "rayleigh", x / sigma ** 2 * exp(-x ** 2 / (2 * sigma ** 2)),
    x, [sigma], Interval(0, oo), constraints=[sigma > 0],
    title="Rayleigh", description="scale sigma", check=False)
