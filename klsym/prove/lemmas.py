"""The small, explicit, cited library of facts the proofs rely on.

Two kinds:

* *numeric lemmas*: inequalities about special functions, stated as SymPy
  relationals in one variable with a domain; each is checked against mpmath
  on a grid and at the edges of its domain in ``tests/test_prove_lemmas.py``.
* *theorems*: standard results of convex analysis and exponential-family
  theory, cited and not re-proved here.
"""

from dataclasses import dataclass

import sympy
from sympy import Interval, oo, polygamma

t = sympy.Symbol("t", positive=True)


@dataclass(frozen=True)
class Lemma:
    name: str
    statement: object  # a relational in ``t`` (numeric lemmas) or a sentence (theorems)
    domain: object
    citation: str

    def __str__(self):
        return f"{self.statement} ({self.citation})"


NUMERIC = {
    "trigamma_positive": Lemma(
        "trigamma_positive", sympy.Gt(polygamma(1, t), 0, evaluate=False), Interval.open(0, oo),
        "DLMF 5.15.1: psi'(t) = sum_k 1/(t+k)^2 > 0"),
    "t_trigamma_exceeds_one": Lemma(
        "t_trigamma_exceeds_one", sympy.Gt(t * polygamma(1, t), 1, evaluate=False), Interval.open(0, oo),
        "Alzer, Math. Comp. 66 (1997), x psi'(x) > 1 for x > 0"),
    "log_below_tangent": Lemma(
        "log_below_tangent", sympy.Ge(t - 1 - sympy.log(t), 0, evaluate=False), Interval.open(0, oo),
        "concavity of log: log t <= t - 1"),
}

THEOREMS = {
    "hessian_is_covariance": Lemma(
        "hessian_is_covariance",
        "the Hessian of the log-normalizer in the natural parameters is Cov(T(X))",
        None, "Brown, Fundamentals of Statistical Exponential Families (1986), Cor. 2.3"),
    "natural_space_convex": Lemma(
        "natural_space_convex", "the natural parameter space of an exponential family is convex",
        None, "Brown (1986), Thm. 1.13"),
    "independent_statistics_pd": Lemma(
        "independent_statistics_pd",
        "if 1, T_1, ..., T_m are linearly independent functions on the support, "
        "Var(c . T) > 0 for every c != 0, i.e. Cov(T) is positive definite",
        None, "Brown (1986), Thm. 1.9 (minimal representations)"),
    "bregman": Lemma(
        "bregman",
        "for a strictly convex differentiable A on a convex set, A(y) - A(x) - grad A(x).(y - x) >= 0 "
        "with equality iff y = x",
        None, "Boyd & Vandenberghe, Convex Optimization (2004), Sec. 3.1.3"),
    "gibbs": Lemma(
        "gibbs", "KL(p || q) >= 0 with equality iff p = q almost everywhere (Gibbs' inequality)",
        None, "Cover & Thomas, Elements of Information Theory, Thm. 2.6.3"),
}


def cite(name):
    """Justification text for a cited lemma or theorem."""
    lemma = NUMERIC.get(name) or THEOREMS[name]
    return f"{lemma.name}: {lemma.citation}"
