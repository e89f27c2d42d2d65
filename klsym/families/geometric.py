"""Geometric distribution: failures before the first success."""
from sympy import Range, oo, symbols

from ..family import define_family

k, p = symbols("k p")

Geometric = define_family(
    "geometric", p * (1 - p) ** k, k, [p], Range(0, oo), discrete=True,
    constraints=[p > 0, p <= 1], title="Geometric",
    description="failures before the first success, success probability p", check=False)
