"""Gamma distribution with shape alpha and RATE beta."""
from sympy import Interval, exp, gamma, oo, symbols

from ..family import define_family

x, alpha, beta = symbols("x alpha beta")

Gamma = define_family(
    "gamma", beta ** alpha * x ** (alpha - 1) * exp(-beta * x) / gamma(alpha),
    x, [alpha, beta], Interval.open(0, oo), constraints=[alpha > 0, beta > 0],
    title="Gamma", description="shape alpha, rate beta", check=False)
