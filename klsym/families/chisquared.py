"""Chi-squared distribution with k degrees of freedom."""
from sympy import Interval, exp, gamma, oo, symbols

from ..family import define_family

x, k = symbols("x k")

ChiSquared = define_family(
    "chisquared", x ** (k / 2 - 1) * exp(-x / 2) / (2 ** (k / 2) * gamma(k / 2)),
    x, [k], Interval.open(0, oo), constraints=[k > 0],
    title="ChiSquared", description="k degrees of freedom", check=False)
