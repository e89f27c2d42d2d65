"""Multinomial distribution: counts k1, ..., kK summing to n."""
from sympy import (Add, ConditionSet, Dummy, Eq, Matrix, Mul, Naturals0, Sum, Symbol, binomial,
                   factorial, log, symbols)

from ..dimensional import define_dimensional_family
from ..family import define_family

# Each count is Binomial(n, p_i) (Johnson, Kotz & Balakrishnan, Discrete
# Multivariate Distributions (1997), eq. 35.7): its mean, and E log k_i! as
# the honest finite sum it is (it has no closed form).
_MARGINAL = "Johnson, Kotz & Balakrishnan, Discrete Multivariate Distributions (1997), eq. 35.7"


def multinomial(K):
    k = symbols(f"k1:{K + 1}")
    p = symbols(f"p1:{K + 1}")
    n = Symbol("n", integer=True)
    j = Dummy("j", integer=True, nonnegative=True)
    lemmas = {}
    for ki, pi in zip(k, p):
        lemmas[ki] = (n * pi, _MARGINAL)
        lemmas[log(factorial(ki))] = (
            Sum(binomial(n, j) * pi ** j * (1 - pi) ** (n - j) * log(factorial(j)), (j, 0, n)),
            _MARGINAL)
    return define_family(
        "multinomial", factorial(n) / Mul(*[factorial(ki) for ki in k]) * Mul(*[pi ** ki for pi, ki in zip(p, k)]),
        k, [n, ("p", Matrix(p))], ConditionSet(k, Eq(Add(*k), n), Naturals0 ** K), discrete=True,
        constraints=[n >= 1, *(pi > 0 for pi in p), Eq(Add(*p), 1)], title="Multinomial",
        description=f"n trials over K = {K} outcome probabilities p", check=False,
        register=False, lemmas=lemmas)


Multinomial = define_dimensional_family(
    "multinomial", multinomial, title="Multinomial", size_from="p", smallest=2,
    description="n trials, outcome probabilities p (length K, sum 1)")
