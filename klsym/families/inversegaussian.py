"""Inverse Gaussian (Wald) distribution with mean mu and shape lam."""
from sympy import Interval, exp, expint, log, oo, pi, sqrt, symbols

from ..family import define_family

x, mu, lam = symbols("x mu lam")

# E[log X] = d/ds E[X^s] at s = 0, where E[X^s] involves K_{s-1/2}(lam/mu);
# the order derivative of K at nu = -1/2 is -sqrt(pi/(2z)) E1(2z) e^z
# (DLMF 10.38.7), which gives the minus sign below.
InverseGaussian = define_family(
    "inversegaussian", sqrt(lam / (2 * pi * x ** 3)) * exp(-lam * (x - mu) ** 2 / (2 * mu ** 2 * x)),
    x, [mu, lam], Interval.open(0, oo), constraints=[mu > 0, lam > 0],
    title="InverseGaussian", description="mean mu, shape lam", check=False,
    lemmas={
        log(x): (log(mu) - exp(2 * lam / mu) * expint(1, 2 * lam / mu),
                 "DLMF 10.38.7 applied to E[X^s] = sqrt(2 lam/(pi mu)) exp(lam/mu) mu^s K_{s-1/2}(lam/mu)"),
    })
