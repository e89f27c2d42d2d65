"""Dirichlet distribution on the open simplex x1 + ... + xK = 1."""
from sympy import (Add, ConditionSet, Eq, Interval, Matrix, MatrixSymbol, Mul, Product, Sum, Symbol,
                   digamma, gamma, log, symbols)

from ..dimensional import define_dimensional_family
from ..family import define_family
from ..general import GeneralForm

# E log X_i follows from the marginal X_i ~ Beta(alpha_i, alpha_0 - alpha_i)
# and the Beta log-moment; checked against mpmath in tests.
_MARGINAL = ("Kotz, Balakrishnan & Johnson, Continuous Multivariate Distributions 1 (2000), "
             "eq. 49.8 (Beta marginals), with the Beta log-moment")


def dirichlet(K):
    x = symbols(f"x1:{K + 1}")
    alpha = symbols(f"alpha1:{K + 1}")
    total = Add(*alpha)
    return define_family(
        "dirichlet",
        gamma(total) / Mul(*[gamma(a) for a in alpha]) * Mul(*[xi ** (a - 1) for xi, a in zip(x, alpha)]),
        x, [("alpha", Matrix(alpha))],
        ConditionSet(x, Eq(Add(*x), 1), Interval.open(0, 1) ** K),
        constraints=[a > 0 for a in alpha], title="Dirichlet",
        description=f"K = {K} concentrations alpha", check=False, register=False,
        lemmas={log(xi): (digamma(a) - digamma(total), _MARGINAL) for xi, a in zip(x, alpha)})


def general():
    """The same density for a symbolic number of components K."""
    K = Symbol("K", integer=True, positive=True)
    i, j = symbols("i j", integer=True)
    x, alpha = MatrixSymbol("x", K, 1), MatrixSymbol("alpha", K, 1)
    return GeneralForm(
        gamma(Sum(alpha[i, 0], (i, 0, K - 1))) / Product(gamma(alpha[i, 0]), (i, 0, K - 1))
        * Product(x[i, 0] ** (alpha[i, 0] - 1), (i, 0, K - 1)), x, (alpha,), K,
        lemmas={log(x[i, 0]): (digamma(alpha[i, 0]) - digamma(Sum(alpha[j, 0], (j, 0, K - 1))),
                               _MARGINAL)})


Dirichlet = define_dimensional_family(
    "dirichlet", dirichlet, title="Dirichlet", size_from="alpha", smallest=2, general=general(),
    description="concentrations alpha (length K) on the open simplex")
