"""Gumbel (type I extreme value, maximum) distribution."""
from sympy import EulerGamma, Interval, exp, gamma, oo, pi, symbols

from ..family import define_family

x, mu, beta = symbols("x mu beta")
c = symbols("c", positive=True)  # lemma pattern: any scale
_MGF = "moment generating function E[exp(tX)] = Gamma(1 - beta t) exp(mu t); NIST/SEMATECH e-Handbook 1.3.6.6.16"

Gumbel = define_family(
    "gumbel", exp(-((x - mu) / beta + exp(-(x - mu) / beta))) / beta, x, [mu, beta],
    Interval(-oo, oo), constraints=[beta > 0], title="Gumbel",
    description="location mu, scale beta", check=False,
    lemmas={
        exp(-x / c): (gamma(1 + beta / c) * exp(-mu / c), _MGF),
        x: (mu + EulerGamma * beta, _MGF),
        x ** 2: ((mu + EulerGamma * beta) ** 2 + pi ** 2 * beta ** 2 / 6, _MGF),
    })
