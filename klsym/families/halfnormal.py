"""Half-normal distribution: |Y| for Y ~ Normal(0, sigma)."""
from sympy import Interval, exp, oo, pi, sqrt, symbols

from ..family import define_family

x, sigma = symbols("x sigma")

HalfNormal = define_family(
    "halfnormal", sqrt(2 / pi) / sigma * exp(-x ** 2 / (2 * sigma ** 2)),
    x, [sigma], Interval(0, oo), constraints=[sigma > 0],
    title="HalfNormal", description="|Y| with Y ~ Normal(0, sigma)", check=False)
