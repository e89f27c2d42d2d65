"""Negative binomial distribution: failures before the r-th success."""
from sympy import Range, binomial, oo, symbols

from ..family import define_family

k, r, p = symbols("k r p")

NegativeBinomial = define_family(
    "negativebinomial", binomial(k + r - 1, k) * p ** r * (1 - p) ** k, k, [r, p], Range(0, oo),
    discrete=True, constraints=[r > 0, p > 0, p < 1], title="NegativeBinomial",
    description="failures before the r-th success, success probability p", check=False)
