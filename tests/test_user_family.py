"""A user-declared family gets what the built-ins get: canonical form, KL
with itself and with compatible families, entropy, cross-entropy."""

import mpmath
import pytest
import sympy
from sympy import Interval, Range, exp, factorial, oo, pi, sqrt

import klsym
from reference import log_density
from tolerances import WORKING_DIGITS, assert_agree, evaluate

x, a = sympy.symbols("x a")


@pytest.fixture(scope="module")
def maxwell():
    family = klsym.define_family(
        "maxwell_test", sqrt(2 / pi) * x ** 2 * exp(-x ** 2 / (2 * a ** 2)) / a ** 3,
        x, [a], Interval(0, oo), constraints=[a > 0], title="Maxwell")
    yield family
    klsym.unregister("maxwell_test")


def _maxwell_log_density(t, scale):
    # typed from the textbook density, independently of the declaration
    return (mpmath.log(mpmath.sqrt(2 / mpmath.pi)) + 2 * mpmath.log(t)
            - t ** 2 / (2 * scale ** 2) - 3 * mpmath.log(scale))


def _quad(f):
    with mpmath.workdps(WORKING_DIGITS + 20):
        return +mpmath.quad(f, [0, 1, 3, 10, mpmath.inf])


def test_user_family_is_registered_and_callable(maxwell):
    assert klsym.family("maxwell_test") is maxwell
    assert repr(maxwell(a=2)) == "Maxwell(a=2)"
    assert maxwell().values[maxwell.params[0]] == maxwell.params[0]  # symbolic member
    assert maxwell.is_exponential_family
    assert maxwell.canonical.sufficient_statistics == (x ** 2,) or \
        [str(t) for t in maxwell.canonical.sufficient_statistics] == ["x**2"]


def test_user_family_kl_with_itself(maxwell):
    ours = evaluate(klsym.kl(maxwell(a=sympy.Rational(3, 2)), maxwell(a=sympy.Rational(7, 10))))

    def integrand(t):
        ap, aq = mpmath.mpf(3) / 2, mpmath.mpf(7) / 10  # at the quadrature's precision
        lp, lq = _maxwell_log_density(t, ap), _maxwell_log_density(t, aq)
        return mpmath.exp(lp) * (lp - lq)
    assert_agree(ours, _quad(integrand), what="KL maxwell")


def test_user_family_entropy(maxwell):
    ours = evaluate(klsym.entropy(maxwell(a=2)))
    reference = _quad(lambda t: -mpmath.exp(_maxwell_log_density(t, 2)) * _maxwell_log_density(t, 2))
    assert_agree(ours, reference, what="H maxwell")


@pytest.mark.parametrize("other, params", [("gamma", {"alpha": 2, "beta": 3}),
                                           ("halfnormal", {"sigma": 2}),
                                           ("rayleigh", {"sigma": sympy.Rational(1, 2)})])
def test_user_family_kl_with_builtin_families(maxwell, other, params):
    ours = evaluate(klsym.kl(maxwell(a=sympy.Rational(3, 2)), klsym.family(other)(**params)))

    def integrand(t):
        lp = _maxwell_log_density(t, mpmath.mpf(3) / 2)
        return mpmath.exp(lp) * (lp - log_density(other, t, **params))
    assert_agree(ours, _quad(integrand), what=f"KL maxwell || {other}")


def test_discrete_user_family():
    k, lam = sympy.symbols("k lam")
    shifted = klsym.define_family(
        "shiftedpoisson_test", lam ** (k - 1) * exp(-lam) / factorial(k - 1), k, [lam],
        Range(1, oo), discrete=True, constraints=[lam > 0], title="ShiftedPoisson")
    try:
        ours = evaluate(klsym.kl(shifted(lam=3), shifted(lam=sympy.Rational(1, 2))))

        def log_pmf(j, rate):
            return (j - 1) * mpmath.log(rate) - rate - mpmath.loggamma(j)

        with mpmath.workdps(WORKING_DIGITS + 20):
            half = mpmath.mpf(1) / 2
            reference = +mpmath.nsum(
                lambda j: mpmath.exp(log_pmf(j, 3)) * (log_pmf(j, 3) - log_pmf(j, half)), [1, mpmath.inf])
        assert_agree(ours, reference, what="KL shifted poisson")
    finally:
        klsym.unregister("shiftedpoisson_test")
