"""Exponential-family forms read off the declared densities."""

import pytest
import sympy
from sympy import Interval, exp, oo, pi

import klsym
from catalog import UNIVARIATE


def _statistics(name):
    return {str(t) for t in klsym.family(name).canonical.sufficient_statistics}


@pytest.mark.parametrize("name, statistics", [
    ("normal", {"x", "x**2"}), ("lognormal", {"log(x)", "log(x)**2"}),
    ("gamma", {"x", "log(x)"}), ("beta", {"log(x)", "log(1 - x)"}),
    ("inversegamma", {"1/x", "log(x)"}), ("inversegaussian", {"x", "1/x"}),
    ("poisson", {"k"}), ("binomial", {"k"}), ("rayleigh", {"x**2"}),
])
def test_sufficient_statistics(name, statistics):
    assert _statistics(name) == statistics


def test_density_is_rebuilt_from_its_form():
    # h(x) exp(eta . T - A) must give back the declared density, for every family
    for name in UNIVARIATE:
        f = klsym.family(name)
        form = f.canonical
        if form is None:
            continue
        eta_t = sum(e * t for e, t in zip(form.natural_parameters, form.sufficient_statistics))
        rebuilt = eta_t - form.log_normalizer + form.log_base_measure
        assert sympy.simplify(sympy.expand_log(rebuilt - f.log_density, force=True)) == 0, name


def test_fixed_parameters_are_detected_from_the_density():
    assert [s.name for s in klsym.family("binomial").canonical.fixed] == ["n"]
    assert [s.name for s in klsym.family("negativebinomial").canonical.fixed] == ["r"]
    assert not klsym.family("binomial").is_exponential_family
    assert klsym.family("gamma").is_exponential_family


def test_families_without_a_form_are_flagged():
    x, a, b, k, lam = sympy.symbols("x a b k lam")
    uniform = klsym.define_family("uniform_form_test", 1 / (b - a), x, [a, b], Interval(a, b),
                                  constraints=[b > a], register=False)
    assert uniform.canonical is None and not uniform.is_exponential_family
    cauchy = klsym.define_family("cauchy_form_test", a / (pi * (x ** 2 + a ** 2)), x, [a],
                                 Interval(-oo, oo), constraints=[a > 0], register=False)
    assert cauchy.canonical is None
    weibull = klsym.define_family(
        "weibull_form_test", (k / lam) * (x / lam) ** (k - 1) * exp(-(x / lam) ** k), x, [k, lam],
        Interval(0, oo), constraints=[k > 0, lam > 0], register=False, check=False)
    assert [s.name for s in weibull.canonical.fixed] == ["k"]


def test_mean_statistics_come_from_the_log_normalizer():
    f = klsym.family("gamma")
    alpha, beta = f.params
    means = dict(zip(map(str, f.canonical.sufficient_statistics), f.canonical.mean_statistics))
    assert sympy.simplify(means["x"] - alpha / beta) == 0


@pytest.mark.parametrize("name", UNIVARIATE)
def test_builtin_densities_are_normalised_and_non_negative(name):
    klsym.family(name).check_density(points=2)
