"""Categorical distribution: outcome k in {0, ..., K-1} with probability p[k].

The vector p = (p1, ..., pK) is 1-indexed in symbols (p1 is the probability of
outcome 0); the mass is the product p1**[k=0] ... pK**[k=K-1].
"""
from sympy import (Add, Eq, FiniteSet, KroneckerDelta, Matrix, MatrixSymbol, Mul, Product, Symbol,
                   symbols)

from ..dimensional import define_dimensional_family
from ..family import define_family
from ..general import GeneralForm


def categorical(K):
    k = Symbol("k")
    p = symbols(f"p1:{K + 1}")
    return define_family(
        "categorical", Mul(*[p[i] ** KroneckerDelta(k, i) for i in range(K)]), k,
        [("p", Matrix(p))], FiniteSet(*range(K)), discrete=True,
        constraints=[*(pi > 0 for pi in p), Eq(Add(*p), 1)], title="Categorical",
        description=f"K = {K} outcome probabilities p", check=False, register=False)


def general():
    """The same mass function for a symbolic number of categories K."""
    K = Symbol("K", integer=True, positive=True)
    k, i = Symbol("k", integer=True), Symbol("i", integer=True)
    p = MatrixSymbol("p", K, 1)
    return GeneralForm(Product(p[i, 0] ** KroneckerDelta(k, i), (i, 0, K - 1)), k, (p,), K,
                       lemmas={KroneckerDelta(k, i): (p[i, 0], "definition of the mass function")})


Categorical = define_dimensional_family(
    "categorical", categorical, title="Categorical", size_from="p", general=general(),
    description="outcome probabilities p (length K, sum 1) on {0..K-1}")
