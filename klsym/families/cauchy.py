"""Cauchy distribution with location x0 and scale gamma."""
from sympy import Interval, log, oo, pi, sqrt, symbols

from ..family import define_family

x, x0, gamma = symbols("x x0 gamma")
B, C = symbols("B C", real=True)  # lemma pattern: any quadratic x^2 + B x + C > 0

Cauchy = define_family(
    "cauchy", gamma / (pi * ((x - x0) ** 2 + gamma ** 2)), x, [x0, gamma], Interval(-oo, oo),
    constraints=[gamma > 0], title="Cauchy", description="location x0, scale gamma", check=False,
    lemmas={
        # with x^2 + B x + C = (x - c)^2 + d^2: E log((X - c)^2 + d^2) = log((gamma + |d|)^2 + (x0 - c)^2)
        log(x ** 2 + B * x + C): (log((gamma + sqrt(C - B ** 2 / 4)) ** 2 + (x0 + B / 2) ** 2),
                                  "Chyzak & Nielsen, arXiv:1905.10965 (2019), Lemma 1 (Poisson kernel)"),
    })
