"""Inverse-gamma distribution with shape alpha and scale beta."""
from sympy import Interval, exp, gamma, oo, symbols

from ..family import define_family

x, alpha, beta = symbols("x alpha beta")

InverseGamma = define_family(
    "inversegamma", beta ** alpha * x ** (-alpha - 1) * exp(-beta / x) / gamma(alpha),
    x, [alpha, beta], Interval.open(0, oo), constraints=[alpha > 0, beta > 0],
    title="InverseGamma", description="shape alpha, scale beta", check=False)
