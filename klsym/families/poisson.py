"""Poisson distribution with mean lam."""
from sympy import Range, exp, factorial, oo, symbols

from ..family import define_family

k, lam = symbols("k lam")

Poisson = define_family(
    "poisson", lam ** k * exp(-lam) / factorial(k), k, [lam], Range(0, oo), discrete=True,
    constraints=[lam > 0], title="Poisson", description="mean lam", check=False)
