"""Exponential distribution with rate lam."""
from sympy import Interval, exp, oo, symbols

from ..family import define_family

x, lam = symbols("x lam")

Exponential = define_family(
    "exponential", lam * exp(-lam * x), x, [lam], Interval(0, oo), constraints=[lam > 0],
    title="Exponential", description="rate lam", check=False)
