"""Log-normal distribution: log X is Normal(mu, sigma)."""
from sympy import Interval, exp, log, oo, pi, sqrt, symbols

from ..family import define_family

x, mu, sigma = symbols("x mu sigma")

LogNormal = define_family(
    "lognormal", exp(-(log(x) - mu) ** 2 / (2 * sigma ** 2)) / (x * sigma * sqrt(2 * pi)),
    x, [mu, sigma], Interval.open(0, oo), constraints=[sigma > 0],
    title="LogNormal", description="log X ~ Normal(mu, sigma)", check=False)
