"""Every derived KL, entropy and cross-entropy of the catalog against an
independent mpmath quadrature/summation of the densities (tests/reference.py),
at 50 digits, agreeing to 30 significant digits."""

from fractions import Fraction

import pytest
import sympy

import klsym
from catalog import UNIVARIATE
from reference import ref_cross_entropy, ref_entropy, ref_kl
from tolerances import as_fraction, assert_agree, evaluate

CATALOG = UNIVARIATE


def _near(family, point, relative):
    """``point`` with every free parameter moved by ``relative``.

    Parameters the exponential-family form holds fixed (binomial n, negative
    binomial r) stay equal: moving them leaves the closed form's regime.
    """
    step = sympy.Rational(1, 10) ** relative
    fixed = family.canonical.fixed if family.canonical else ()
    return {s: v if s in fixed else v * (1 + step) for s, v in point.items()}


def _pairs(name):
    f = klsym.family(name)
    a, b, c = f.admissible_points(3)
    cases = {"ordinary": (a, b), "ordinary-swapped": (b, c),
             "near-equal-1e-6": (a, _near(f, a, 6)), "near-equal-1e-15": (c, _near(f, c, 15))}
    for kind, (p, q) in cases.items():
        admissible = all(rel.subs(q) == sympy.true for rel in f.constraints)
        if admissible:
            yield pytest.param(name, p, q, id=f"{name}-{kind}")


def _plain(point):
    return {s.name: as_fraction(v) for s, v in point.items()}


PAIRS = [case for name in CATALOG for case in _pairs(name)]
POINTS = [pytest.param(name, point, id=f"{name}-{i}")
          for name in CATALOG for i, point in enumerate(klsym.family(name).admissible_points(2))]


@pytest.mark.parametrize("name, p, q", PAIRS)
def test_kl_matches_quadrature(name, p, q):
    f = klsym.family(name)
    ours = evaluate(klsym.kl(f(**_plain(p)), f(**_plain(q))))
    assert_agree(ours, ref_kl(name, _plain(p), name, _plain(q)), what=f"KL {name} {p} || {q}")


@pytest.mark.parametrize("name, p, q", PAIRS)
def test_cross_entropy_matches_quadrature(name, p, q):
    f = klsym.family(name)
    ours = evaluate(klsym.cross_entropy(f(**_plain(p)), f(**_plain(q))))
    assert_agree(ours, ref_cross_entropy(name, _plain(p), name, _plain(q)),
                 what=f"H(p, q) {name} {p}, {q}")


@pytest.mark.parametrize("name, point", POINTS)
def test_entropy_matches_quadrature(name, point):
    f = klsym.family(name)
    ours = evaluate(klsym.entropy(f(**_plain(point))))
    assert_agree(ours, ref_entropy(name, _plain(point)), what=f"H {name} {point}")


def _boundary_points(name):
    """Admissible points on a closed edge of the domain (geometric p = 1, binomial n = 1)."""
    f = klsym.family(name)
    base = f.admissible_points(1)[0]
    for rel in f.constraints:
        if isinstance(rel, (sympy.LessThan, sympy.GreaterThan)) and len(rel.free_symbols) == 1:
            (s,) = rel.free_symbols
            point = {**base, s: rel.rhs if rel.lhs == s else rel.lhs}
            if all(c.subs(point) == sympy.true for c in f.constraints):
                yield f, base, point


BOUNDARY = [pytest.param(f, base, edge, id=f"{f.name}-{edge}")
            for name in CATALOG for f, base, edge in _boundary_points(name)]


@pytest.mark.parametrize("f, base, edge", BOUNDARY)
def test_closed_domain_edges(f, base, edge):
    for p, q in ((edge, base), (base, edge)):
        ours = evaluate(klsym.kl(f(**_plain(p)), f(**_plain(q))))
        assert_agree(ours, ref_kl(f.name, _plain(p), f.name, _plain(q)), what=f"KL {f.name} {p} || {q}")
    assert_agree(evaluate(klsym.entropy(f(**_plain(edge)))), ref_entropy(f.name, _plain(edge)),
                 what=f"H {f.name} {edge}")


CROSS = [("lognormal", {"mu": Fraction(1, 3), "sigma": Fraction(1, 2)}, "normal", {"mu": 1, "sigma": 2}),
         ("gamma", {"alpha": Fraction(3, 2), "beta": 2}, "lognormal", {"mu": 0, "sigma": 1}),
         ("halfnormal", {"sigma": Fraction(7, 10)}, "exponential", {"lam": 2}),
         ("exponential", {"lam": Fraction(3, 2)}, "gamma", {"alpha": 2, "beta": 3}),
         ("chisquared", {"k": 3}, "gamma", {"alpha": Fraction(3, 2), "beta": Fraction(1, 2)}),
         ("rayleigh", {"sigma": 1}, "halfnormal", {"sigma": Fraction(3, 2)}),
         ("geometric", {"p": Fraction(1, 3)}, "poisson", {"lam": 2}),
         ("poisson", {"lam": Fraction(5, 2)}, "geometric", {"p": Fraction(2, 5)}),
         ("normal", {"mu": 0, "sigma": 1}, "gamma", {"alpha": 2, "beta": 1})]


@pytest.mark.filterwarnings("ignore:klsym. part of the")
@pytest.mark.parametrize("name_p, p, name_q, q", CROSS, ids=[f"{a}-{c}" for a, _, c, _ in CROSS])
def test_pairs_of_different_families(name_p, p, name_q, q):
    dp, dq = klsym.family(name_p)(**p), klsym.family(name_q)(**q)
    assert_agree(evaluate(klsym.kl(dp, dq)), ref_kl(name_p, p, name_q, q), what=f"KL {dp} || {dq}")
    assert_agree(evaluate(klsym.cross_entropy(dp, dq)), ref_cross_entropy(name_p, p, name_q, q),
                 what=f"H({dp}, {dq})")
