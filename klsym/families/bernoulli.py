"""Bernoulli distribution with success probability p."""
from sympy import FiniteSet, symbols

from ..family import define_family

k, p = symbols("k p")

Bernoulli = define_family(
    "bernoulli", p ** k * (1 - p) ** (1 - k), k, [p], FiniteSet(0, 1), discrete=True,
    constraints=[p > 0, p < 1], title="Bernoulli", description="success probability p",
    check=False)
