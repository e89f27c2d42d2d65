"""Bad input gets a clear error naming what is wrong."""

import pytest
import sympy
from sympy import Interval, Range, exp, oo, sqrt, pi

import klsym
from klsym.errors import FamilyDefinitionError, ParameterError, UnknownFamilyError


@pytest.mark.parametrize("name, values, parameter, constraint", [
    ("normal", {"sigma": -1}, "sigma", "sigma > 0"),
    ("normal", {"sigma": 0}, "sigma", "sigma > 0"),
    ("bernoulli", {"p": 1.5}, "p", "p < 1"),
    ("bernoulli", {"p": 0}, "p", "p > 0"),
    ("gamma", {"alpha": 0, "beta": 1}, "alpha", "alpha > 0"),
    ("geometric", {"p": 1.25}, "p", "p <= 1"),
    ("binomial", {"n": 0, "p": 0.5}, "n", "n >= 1"),
])
def test_invalid_parameters_name_family_parameter_constraint_and_value(name, values, parameter, constraint):
    f = klsym.family(name)
    with pytest.raises(ValueError) as info:
        f(**values)
    message = str(info.value)
    assert isinstance(info.value, ParameterError)
    assert f.title in message and parameter in message and constraint in message
    assert str(sympy.Rational(repr(values[parameter]))) in message


@pytest.mark.parametrize("values, what", [
    ({"n": 2.5, "p": 0.5}, "integer"),
    ({"n": 3, "p": float("nan")}, "real"),
    ({"n": 3, "p": float("inf")}, "finite"),
])
def test_non_numbers_are_refused(values, what):
    with pytest.raises(ParameterError, match=what):
        klsym.Binomial(**values)


def test_symbolic_parameters_pass_unless_their_assumptions_contradict():
    s = sympy.Symbol("s")
    assert klsym.Normal(sigma=s).values[klsym.Normal.params[1]] == s
    with pytest.raises(ParameterError, match="sigma > 0"):
        klsym.Normal(sigma=sympy.Symbol("t", negative=True))


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(TypeError, match="mu, sigma"):
        klsym.Normal(sd=1)


def test_unknown_family_lists_known_names():
    with pytest.raises(UnknownFamilyError) as info:
        klsym.family("gausian")
    message = str(info.value)
    assert "gausian" in message and "normal" in message and "poisson" in message
    with pytest.raises(KeyError):
        klsym.kl("nope", "normal")


def test_a_name_cannot_be_registered_twice():
    x, s = sympy.symbols("x s")
    with pytest.raises(FamilyDefinitionError, match="already registered"):
        klsym.define_family("normal", exp(-x ** 2 / (2 * s ** 2)) / (sqrt(2 * pi) * s), x, [s],
                            Interval(-oo, oo), constraints=[s > 0])


x, a = sympy.symbols("x a")


@pytest.mark.parametrize("kwargs, message", [
    (dict(pdf=2 * a * exp(-a * x)), "not normalised"),
    (dict(pdf=-a * exp(-a * x)), "negative"),
    (dict(pdf=a * exp(-a * x) * sympy.Symbol("c")), "neither the variable nor a declared parameter"),
    (dict(support="0..oo"), "SymPy set"),
    (dict(support=Range(0, oo)), "Interval"),
    (dict(pdf=a), "not normalised"),
    (dict(constraints=[a > 0, a < 0]), "no admissible parameter point"),
])
def test_malformed_user_families_are_refused(kwargs, message):
    declaration = dict(name="bad_test", pdf=a * exp(-a * x), variable=x, params=[a],
                       support=Interval(0, oo), constraints=[a > 0])
    declaration.update(kwargs)
    with pytest.raises(FamilyDefinitionError, match=message):
        klsym.define_family(**declaration)
    assert "bad_test" not in klsym.families()


def test_numerically_checked_normalisation_rejects_a_wrong_constant():
    # SymPy cannot integrate this in closed form; mpmath decides at 30 digits.
    y, k = sympy.symbols("y k")
    pdf = exp(-y ** 4 / k) / k  # integrates to 2 Gamma(5/4) k^(1/4) / k, not 1
    with pytest.raises(FamilyDefinitionError, match="not normalised"):
        klsym.define_family("quartic_test", pdf, y, [k], Interval(-oo, oo), constraints=[k > 0])


def test_discrete_and_continuous_do_not_mix():
    with pytest.raises(klsym.DerivationError, match="discrete"):
        klsym.kl("poisson", "normal")
