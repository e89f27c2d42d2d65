"""Weibull distribution with shape k and scale lam."""
from sympy import Interval, exp, oo, symbols

from ..family import define_family

x, k, lam = symbols("x k lam")

Weibull = define_family(
    "weibull", (k / lam) * (x / lam) ** (k - 1) * exp(-(x / lam) ** k), x, [k, lam],
    Interval(0, oo), constraints=[k > 0, lam > 0], title="Weibull",
    description="shape k, scale lam", check=False)
