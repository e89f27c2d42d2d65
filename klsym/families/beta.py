"""Beta distribution on (0, 1)."""
from sympy import Interval, beta as beta_function, digamma, log, symbols

from ..family import define_family

x, alpha, beta = symbols("x alpha beta")

# SymPy's integrate needs ~20 s for these and returns unsimplified 2F1(1)
# terms, so the classical log-moments are declared as lemmas (checked against
# mpmath in tests/test_lemmas.py).
_LOG_MOMENTS = "Johnson, Kotz & Balakrishnan, Continuous Univariate Distributions 2, eq. 25.16"

Beta = define_family(
    "beta", x ** (alpha - 1) * (1 - x) ** (beta - 1) / beta_function(alpha, beta),
    x, [alpha, beta], Interval.open(0, 1), constraints=[alpha > 0, beta > 0],
    title="Beta", description="shapes alpha, beta", check=False,
    lemmas={
        log(x): (digamma(alpha) - digamma(alpha + beta), _LOG_MOMENTS),
        log(1 - x): (digamma(beta) - digamma(alpha + beta), _LOG_MOMENTS),
    })
