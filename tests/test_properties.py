"""Property tests over parameters drawn from the declared constraints:
KL >= 0, and H(p, q) = H(p) + KL(p || q) at 40 digits."""

from fractions import Fraction

import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import klsym
from catalog import UNIVARIATE

NAMES = UNIVARIATE


def _value(symbol):
    if symbol.is_integer:
        return st.integers(min_value=-2, max_value=12).map(sympy.Integer)
    magnitudes = st.fractions(min_value=Fraction(1, 50), max_value=Fraction(50), max_denominator=1000)
    if symbol.is_positive:
        return magnitudes.map(sympy.Rational)
    return st.tuples(st.sampled_from([-1, 1]), magnitudes).map(lambda t: t[0] * sympy.Rational(t[1]))


@st.composite
def pairs(draw, name):
    """p and q of one family; parameters held fixed by its exponential-family
    form (binomial n) are shared, as the closed form requires."""
    f = klsym.family(name)
    fixed = f.canonical.fixed if f.canonical else ()
    p = {s: draw(_value(s)) for s in f.params}
    q = {s: p[s] if s in fixed else draw(_value(s)) for s in f.params}
    for point in (p, q):
        assume(all(rel.subs(point) == sympy.true for rel in f.constraints))
    return f, p, q


def _member(f, point):
    return f(**{s.name: v for s, v in point.items()})


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_kl_is_nonnegative_and_decomposes(name, data):
    f, p, q = data.draw(pairs(name))
    dp, dq = _member(f, p), _member(f, q)
    kl = sympy.N(klsym.kl(dp, dq), 40)
    if kl == sympy.oo:  # the support rule: then H(p, q) is +oo as well
        assert sympy.N(klsym.cross_entropy(dp, dq), 40) == sympy.oo
        return
    assert kl >= -sympy.Float(10) ** -35, f"negative KL {kl} for {dp} || {dq}"
    gap = sympy.N(klsym.cross_entropy(dp, dq) - klsym.entropy(dp) - klsym.kl(dp, dq), 40)
    assert abs(gap) < sympy.Float(10) ** -30 * (1 + abs(kl))


def test_only_the_branch_that_holds_is_evaluated():
    """r_p = r_q with a rational r of large terms: the other branch (the
    defining Sum, with p**r) would make SymPy factor a huge power and
    overflow; the closed branch agrees with the independent reference."""
    from reference import ref_kl
    from tolerances import assert_agree, evaluate
    r, p, q = sympy.Rational(14077, 881), sympy.Rational(1, 50), sympy.Rational(729, 764)
    kl = klsym.kl(klsym.NegativeBinomial(r=r, p=p), klsym.NegativeBinomial(r=r, p=q))
    plain = {"r": Fraction(14077, 881)}
    assert_agree(evaluate(kl), ref_kl("negativebinomial", plain | {"p": Fraction(1, 50)},
                                      "negativebinomial", plain | {"p": Fraction(729, 764)}),
                 what="negative binomial, large rational r")
