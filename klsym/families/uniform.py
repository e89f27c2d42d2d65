"""Continuous uniform distribution on [a, b]."""
from sympy import Interval, symbols

from ..family import define_family

x, a, b = symbols("x a b")

Uniform = define_family(
    "uniform", 1 / (b - a), x, [a, b], Interval(a, b), constraints=[b > a],
    title="Uniform", description="uniform on [a, b]", check=False)
