"""The two derivation routes agree, and KL(p || p) = 0, symbolically."""

from fractions import Fraction

import mpmath
import pytest
import sympy

import klsym
from catalog import UNIVARIATE
from reference import ref_entropy
from tolerances import assert_agree, evaluate

EXPONENTIAL = [n for n in UNIVARIATE
               if klsym.family(n).canonical is not None and klsym.family(n).canonical.is_minimal]
QUANTITIES = ("kl", "entropy", "cross_entropy")


def _derive(quantity, name, route):
    f = klsym.family(name)
    if quantity == "entropy":
        return klsym.entropy(f, route=route)
    return getattr(klsym, quantity)(f, f, route=route)


def _closed_branches(expr):
    """Values of a Piecewise (or the expression itself)."""
    return [v for v, _ in expr.args] if isinstance(expr, sympy.Piecewise) else [expr]


# The univariate exponential families of the contract (shared/families.md).
CONTRACT_EXPONENTIAL = {"normal", "lognormal", "halfnormal", "exponential", "gamma",
                        "inversegamma", "beta", "chisquared", "rayleigh", "inversegaussian",
                        "bernoulli", "binomial", "geometric", "poisson", "negativebinomial"}


def test_every_univariate_exponential_family_is_recognised():
    assert CONTRACT_EXPONENTIAL <= set(EXPONENTIAL)
    assert {"uniform", "cauchy"}.isdisjoint(EXPONENTIAL)


# Families whose parameters the support holds fixed (pareto xm, laplace mu,
# gumbel beta, weibull k) take the expectation route by default and are
# checked against quadrature in test_catalog_numeric.py instead.
BOTH_ROUTES = [n for n in EXPONENTIAL
               if not klsym.family(n).canonical.fixed or n in CONTRACT_EXPONENTIAL]


@pytest.mark.parametrize("quantity", QUANTITIES)
@pytest.mark.parametrize("name", BOTH_ROUTES)
def test_routes_agree(name, quantity):
    """Where parameters are held fixed (binomial n, Weibull k) the
    exponential-family route is closed only where they agree: compare there."""
    f = klsym.family(name)
    one = _derive(quantity, name, "exponential-family")
    two = _derive(quantity, name, "expectation")
    if quantity != "entropy" and f.canonical.fixed:
        agree = {q: p for p, q in zip(f.symbols("p"), f.symbols("q")) if p.name[:-2] in
                 {s.name for s in f.canonical.fixed}}
        one, two = (_closed_branches(e)[0].subs(agree) if isinstance(e, sympy.Piecewise)
                    else e.subs(agree) for e in (one, two))
    branches_one, branches_two = _closed_branches(one), _closed_branches(two)
    assert len(branches_one) == len(branches_two)
    for a, b in zip(branches_one, branches_two):
        if a == b:  # identical branches (+oo included, where a - b is nan)
            continue
        difference = sympy.simplify(sympy.expand_log(a - b, force=True))
        assert difference == 0, f"{quantity} of {name}: routes differ by {difference}"


@pytest.mark.parametrize("name", UNIVARIATE)
def test_kl_of_a_distribution_with_itself_is_zero(name):
    f = klsym.family(name)
    assert sympy.simplify(klsym.kl(f(), f())) == 0


@pytest.mark.parametrize("name", UNIVARIATE)
def test_cross_entropy_with_itself_is_entropy(name):
    f = klsym.family(name)
    assert sympy.simplify(klsym.cross_entropy(f(), f()) - klsym.entropy(f())) == 0


def test_symbolic_kl_uses_suffixed_parameter_names():
    names = {s.name for s in klsym.kl("gamma", "gamma").free_symbols}
    assert names == {"alpha_p", "beta_p", "alpha_q", "beta_q"}


def test_normal_kl_prints_in_textbook_form():
    mu_p, mu_q = sympy.symbols("mu_p mu_q", real=True)
    s_p, s_q = sympy.symbols("sigma_p sigma_q", positive=True)
    derived = klsym.kl("normal", "normal")
    assert derived.has(sympy.log(s_q / s_p))
    assert derived.has((mu_q - mu_p) ** 2) or derived.has((mu_p - mu_q) ** 2)
    assert sympy.count_ops(derived) <= 16


def test_results_use_digamma_and_loggamma_not_log_of_gamma():
    derived = klsym.kl("beta", "beta")
    assert derived.has(sympy.loggamma) and derived.has(sympy.polygamma)
    assert not derived.has(sympy.gamma)


def test_fixed_parameters_that_differ_leave_the_defining_sum():
    b = klsym.family("binomial")
    equal = klsym.kl(b(n=4, p=sympy.Rational(1, 3)), b(n=4, p=sympy.Rational(1, 2)))
    assert not equal.has(sympy.Sum)
    different = klsym.kl(b(n=4, p=sympy.Rational(1, 3)), b(n=6, p=sympy.Rational(1, 2)))
    assert different.has(sympy.Sum)


def test_base_converts_nats():
    p, q = klsym.Bernoulli(p=sympy.Rational(1, 4)), klsym.Bernoulli(p=sympy.Rational(1, 2))
    assert sympy.simplify(klsym.kl(p, q, base=2) * sympy.log(2) - klsym.kl(p, q)) == 0
    with mpmath.workdps(50):
        reference = ref_entropy("bernoulli", {"p": Fraction(1, 2)}) / mpmath.log(2)
    assert_agree(evaluate(klsym.entropy(q, base=2)), reference, what="entropy in bits")
    with pytest.raises(ValueError, match="base"):
        klsym.entropy(q, base=1)
