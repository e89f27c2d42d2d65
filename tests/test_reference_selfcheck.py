"""Self-check of ``tests/reference.py`` (the independent mpmath route).

Every density must integrate (sum) to one, and a handful of quantities with
textbook closed forms -- written here directly with mpmath -- must be
reproduced to 35 significant digits at ``dps=50``.
"""

import os
import sys
from fractions import Fraction

import mpmath
import pytest
from mpmath import mpf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference as ref  # noqa: E402

DPS = 50
DIGITS = 35


def assert_digits(value, exact, digits=DIGITS):
    """Assert ``value`` matches ``exact`` to ``digits`` significant digits."""
    with mpmath.workdps(DPS + 30):
        exact = exact() if callable(exact) else exact
        err = abs(value - exact)
        assert err <= mpf(10) ** (-digits) * abs(exact), (
            "value %s vs exact %s (rel. err %s)"
            % (mpmath.nstr(value, 40), mpmath.nstr(exact, 40),
               mpmath.nstr(err / abs(exact), 3)))


# two parameter points per family, including singular / heavy shapes
NORMALIZATION_CASES = [
    ("normal", {"mu": "0.3", "sigma": "1e-3"}),
    ("normal", {"mu": -2, "sigma": 1000}),
    ("lognormal", {"mu": "0.5", "sigma": 2}),
    ("lognormal", {"mu": -1, "sigma": "0.1"}),
    ("halfnormal", {"sigma": "0.7"}),
    ("halfnormal", {"sigma": 300}),
    ("exponential", {"lam": "2.5"}),
    ("exponential", {"lam": "1e-3"}),
    ("gamma", {"alpha": "0.3", "beta": 2}),
    ("gamma", {"alpha": 40, "beta": Fraction(1, 3)}),
    ("inversegamma", {"alpha": "0.5", "beta": 2}),
    ("inversegamma", {"alpha": 7, "beta": "0.01"}),
    ("beta", {"alpha": "0.5", "beta": "0.5"}),
    ("beta", {"alpha": 3, "beta": "0.2"}),
    ("chisquared", {"k": 1}),
    ("chisquared", {"k": "7.5"}),
    ("rayleigh", {"sigma": "0.01"}),
    ("rayleigh", {"sigma": 3}),
    ("weibull", {"k": "0.4", "lam": 2}),
    ("weibull", {"k": 6, "lam": "0.5"}),
    ("inversegaussian", {"mu": 1, "lam": "0.2"}),
    ("inversegaussian", {"mu": "0.01", "lam": 5}),
    ("laplace", {"mu": 1, "b": "0.3"}),
    ("laplace", {"mu": -5, "b": 40}),
    ("gumbel", {"mu": "0.5", "beta": 2}),
    ("gumbel", {"mu": -3, "beta": "0.05"}),
    ("cauchy", {"x0": 1, "gamma": "0.5"}),
    ("cauchy", {"x0": -2, "gamma": 100}),
    ("vonmises", {"mu": 3, "kappa": 50}),
    ("vonmises", {"mu": "-0.5", "kappa": "0.3"}),
    ("uniform", {"a": -1, "b": "2.5"}),
    ("uniform", {"a": "0.001", "b": "0.002"}),
    ("pareto", {"xm": 2, "alpha": "0.5"}),
    ("pareto", {"xm": "0.1", "alpha": 8}),
    ("bernoulli", {"p": "0.3"}),
    ("bernoulli", {"p": Fraction(9, 10)}),
    ("binomial", {"n": 1, "p": "0.2"}),
    ("binomial", {"n": 60, "p": "0.35"}),
    ("geometric", {"p": "0.3"}),
    ("geometric", {"p": 1}),
    ("poisson", {"lam": "0.01"}),
    ("poisson", {"lam": 250}),
    ("negativebinomial", {"r": "0.5", "p": "0.4"}),
    ("negativebinomial", {"r": 12, "p": "0.8"}),
]


def test_all_contract_families_present():
    assert set(ref.DENSITIES) == {
        "normal", "lognormal", "halfnormal", "exponential", "gamma",
        "inversegamma", "beta", "chisquared", "rayleigh", "weibull",
        "inversegaussian", "laplace", "gumbel", "cauchy", "vonmises",
        "uniform", "pareto", "bernoulli", "binomial", "geometric", "poisson",
        "negativebinomial"}
    assert set(n for n, _ in NORMALIZATION_CASES) == set(ref.DENSITIES)


@pytest.mark.parametrize("name,params", NORMALIZATION_CASES,
                         ids=lambda v: v if isinstance(v, str) else "")
def test_normalized(name, params):
    total = ref.ref_expectation(name, params, lambda x: mpf(1), dps=DPS)
    assert abs(total - 1) <= mpf(10) ** -40


def test_log_density_values():
    # contract conventions: gamma beta is a RATE, inversegamma beta a SCALE,
    # geometric counts failures, negbin mass C(k+r-1,k) p^r (1-p)^k
    with mpmath.workdps(DPS):
        x = mpf("1.3")
        assert_digits(ref.log_density("gamma", x, alpha=2, beta=3),
                      lambda: mpmath.log(9 * x * mpmath.exp(-3 * x)))
        assert_digits(ref.log_density("inversegamma", x, alpha=2, beta=3),
                      lambda: mpmath.log(9 * x ** -3 * mpmath.exp(-3 / x)))
        assert_digits(ref.log_density("geometric", 3, p="0.25"),
                      lambda: mpmath.log(mpf("0.25") * mpf("0.75") ** 3))
        assert_digits(
            ref.log_density("negativebinomial", 4, r=3, p="0.4"),
            lambda: mpmath.log(mpmath.binomial(6, 4) * mpf("0.4") ** 3
                               * mpf("0.6") ** 4))
    assert ref.log_density("beta", "1.5", alpha=2, beta=2) == mpmath.ninf
    assert ref.log_density("poisson", "2.5", lam=1) == mpmath.ninf
    assert ref.DENSITIES["pareto"].support(xm=2, alpha=1) == (2, mpmath.inf)
    assert ref.DENSITIES["binomial"].discrete


@pytest.mark.parametrize("sigma", ["1e-3", "1", "1e3"])
def test_normal_entropy(sigma):
    h = ref.ref_entropy("normal", {"mu": "0.3", "sigma": sigma}, dps=DPS)
    assert_digits(h, lambda: mpmath.log(2 * mpmath.pi * mpmath.e
                                        * mpf(sigma) ** 2) / 2)


def _normal_kl(m1, s1, m2, s2):
    m1, s1, m2, s2 = map(mpf, (m1, s1, m2, s2))
    return mpmath.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) \
        - mpf(1) / 2


@pytest.mark.parametrize("p,q", [
    (("0.1", "2"), ("-0.7", "0.5")),
    (("0.1", "1e-3"), ("-0.7", "1e3")),
    # nearly equal: KL ~ 5e-17 must keep full relative accuracy
    (("0.3", "1"), ("0.30000001", "1")),
    (("0", "1"), ("0", "1.00000001")),
])
def test_normal_kl(p, q):
    kl = ref.ref_kl("normal", {"mu": p[0], "sigma": p[1]},
                    "normal", {"mu": q[0], "sigma": q[1]}, dps=DPS)
    assert_digits(kl, lambda: _normal_kl(*p, *q))


def test_exponential_entropy():
    h = ref.ref_entropy("exponential", {"lam": "2.5"}, dps=DPS)
    assert_digits(h, lambda: 1 - mpmath.log(mpf("2.5")))


def test_gamma_entropy_singular_density():
    h = ref.ref_entropy("gamma", {"alpha": "0.3", "beta": 2}, dps=DPS)

    def exact():  # evaluated inside assert_digits' precision context
        a, b = mpf("0.3"), mpf(2)
        return (a - mpmath.log(b) + mpmath.loggamma(a)
                + (1 - a) * mpmath.digamma(a))
    assert_digits(h, exact)


def test_beta_kl_singular_at_both_ends():
    def lnB(a, b):
        return mpmath.loggamma(a) + mpmath.loggamma(b) - mpmath.loggamma(a + b)

    kl = ref.ref_kl("beta", {"alpha": "0.5", "beta": "0.5"},
                    "beta", {"alpha": 2, "beta": "0.3"}, dps=DPS)

    def exact():
        a1, b1, a2, b2 = mpf("0.5"), mpf("0.5"), mpf(2), mpf("0.3")
        return (lnB(a2, b2) - lnB(a1, b1)
                + (a1 - a2) * mpmath.digamma(a1)
                + (b1 - b2) * mpmath.digamma(b1)
                + (a2 - a1 + b2 - b1) * mpmath.digamma(a1 + b1))
    assert_digits(kl, exact)


def _bern_kl(a, b):
    a, b = mpf(a), mpf(b)
    return a * mpmath.log(a / b) + (1 - a) * mpmath.log((1 - a) / (1 - b))


@pytest.mark.parametrize("a,b", [("0.3", "0.6"), ("0.3", "0.30000001")])
def test_bernoulli_kl(a, b):
    kl = ref.ref_kl("bernoulli", {"p": a}, "bernoulli", {"p": b}, dps=DPS)
    assert_digits(kl, lambda: _bern_kl(a, b))


def test_poisson_and_geometric_kl():
    def poisson_kl(l1="3.5", l2="0.2"):
        l1, l2 = mpf(l1), mpf(l2)
        return l1 * mpmath.log(l1 / l2) + l2 - l1

    def geometric_kl(p1="0.3", p2="0.6"):
        p1, p2 = mpf(p1), mpf(p2)
        return (mpmath.log(p1 / p2)
                + (1 - p1) / p1 * mpmath.log((1 - p1) / (1 - p2)))
    kl = ref.ref_kl("poisson", {"lam": "3.5"}, "poisson", {"lam": "0.2"},
                    dps=DPS)
    assert_digits(kl, poisson_kl)
    kl = ref.ref_kl("geometric", {"p": "0.3"}, "geometric", {"p": "0.6"},
                    dps=DPS)
    assert_digits(kl, geometric_kl)


def test_cross_entropy_with_kink():
    # H(N(0.2, 0.7^2), Laplace(-0.1, 1.3)) = log(2b) + E|X - m| / b
    ce = ref.ref_cross_entropy("normal", {"mu": "0.2", "sigma": "0.7"},
                               "laplace", {"mu": "-0.1", "b": "1.3"},
                               dps=DPS)

    def exact():
        d, s, b = mpf("0.3"), mpf("0.7"), mpf("1.3")
        e_abs = (s * mpmath.sqrt(2 / mpmath.pi) * mpmath.exp(-d ** 2
                                                             / (2 * s ** 2))
                 + d * (1 - 2 * mpmath.ncdf(-d / s)))
        return mpmath.log(2 * b) + e_abs / b
    assert_digits(ce, exact)


@pytest.mark.parametrize("args", [
    ("uniform", {"a": 0, "b": 2}, "uniform", {"a": 0, "b": 1}),
    ("binomial", {"n": 5, "p": "0.3"}, "binomial", {"n": 4, "p": "0.3"}),
    ("pareto", {"xm": 1, "alpha": 2}, "pareto", {"xm": 2, "alpha": 2}),
    ("normal", {"mu": 0, "sigma": 1}, "gamma", {"alpha": 2, "beta": 1}),
    ("poisson", {"lam": 1}, "binomial", {"n": 9, "p": "0.5"}),
    # nested supports, but E_p[-log q] diverges through a tail / end point
    ("cauchy", {"x0": 0, "gamma": 1}, "normal", {"mu": 0, "sigma": 1}),
    ("gamma", {"alpha": "0.5", "beta": 1},
     "inversegamma", {"alpha": 2, "beta": 1}),
])
def test_infinite_cases(args):
    assert ref.ref_kl(*args, dps=DPS) == mpmath.inf
    assert ref.ref_cross_entropy(*args, dps=DPS) == mpmath.inf


def test_identical_is_zero_and_context_untouched():
    dps_before = mpmath.mp.dps
    assert ref.ref_kl("gamma", {"alpha": 2, "beta": 3},
                      "gamma", {"alpha": 2, "beta": 3}, dps=DPS) == 0
    assert mpmath.mp.dps == dps_before


def test_bad_input():
    with pytest.raises(ValueError):
        ref.ref_entropy("gamma", {"alpha": -1, "beta": 1})
    with pytest.raises(ValueError):
        ref.ref_entropy("gamma", {"alpha": 1, "rate": 1})
    with pytest.raises(ValueError):
        ref.ref_kl("bernoulli", {"p": "0.5"}, "normal", {"mu": 0, "sigma": 1})
