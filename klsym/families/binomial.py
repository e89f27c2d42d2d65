"""Binomial distribution: successes in n trials of probability p."""
from sympy import Range, Symbol, binomial, symbols

from ..family import define_family

k, p = symbols("k p")
n = Symbol("n", integer=True)

Binomial = define_family(
    "binomial", binomial(n, k) * p ** k * (1 - p) ** (n - k), k, [n, p], Range(0, n + 1),
    discrete=True, constraints=[n >= 1, p > 0, p < 1], title="Binomial",
    description="n trials, success probability p", check=False)
