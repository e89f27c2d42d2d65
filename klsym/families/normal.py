"""Normal (Gaussian) distribution with mean mu and standard deviation sigma."""
from sympy import Interval, exp, oo, pi, sqrt, symbols

from ..family import define_family

x, mu, sigma = symbols("x mu sigma")

Normal = define_family(
    "normal", exp(-(x - mu) ** 2 / (2 * sigma ** 2)) / (sqrt(2 * pi) * sigma),
    x, [mu, sigma], Interval(-oo, oo), constraints=[sigma > 0],
    title="Normal", description="mean mu, standard deviation sigma", check=False)
