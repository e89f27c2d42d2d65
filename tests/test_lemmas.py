"""Every declared expectation lemma against mpmath quadrature, on admissible
points and towards the edges of the parameter domain."""

import mpmath
import pytest
import sympy

import klsym
from catalog import UNIVARIATE
from reference import log_density, ref_expectation
from tolerances import LEMMA_DIGITS, WORKING_DIGITS, as_fraction, assert_agree, evaluate

EDGE_SCALES = (sympy.Rational(1, 10), 40)


def _points(family):
    points = family.admissible_points(3)
    base = points[0]
    for scale in EDGE_SCALES:  # one parameter at a time towards 0 and oo
        for s in family.params:
            moved = {**base, s: base[s] * scale}
            if all(rel.subs(moved) == sympy.true for rel in family.constraints):
                points.append(moved)
    return points


LEMMAS = [pytest.param(f.name, g, point, id=f"{f.name}-E[{g}]-{i}")
          for f in (klsym.family(n) for n in UNIVARIATE)
          for g in f.lemmas for i, point in enumerate(_points(f))]


def test_lemmas_are_cited():
    for name in UNIVARIATE:
        for g, (value, citation) in klsym.family(name).lemmas.items():
            assert citation.strip(), f"lemma E[{g}] of {name} has no source"


# values for a lemma's pattern symbols (Abs(x - c), log(x**2 + B x + C), exp(-x/c))
PATTERN_VALUES = [sympy.Rational(3, 4), sympy.Rational(-1, 3), 2]


@pytest.mark.parametrize("name, g, point", LEMMAS)
def test_lemma_matches_quadrature(name, g, point):
    f = klsym.family(name)
    value, _ = f.lemmas[g]
    extra = sorted(g.free_symbols - set(f.params) - {f.variable}, key=lambda s: s.name)
    for shift, s in enumerate(extra):
        candidates = PATTERN_VALUES[shift:] + PATTERN_VALUES[:shift]
        point = {**point, s: next(v for v in candidates if not s.is_positive or v > 0)}
    if extra and g.has(sympy.log):  # keep the quadratic positive: C > B^2 / 4
        b, c = extra
        point[c] = point[b] ** 2 / 4 + sympy.Rational(1, 2)
    g = g.subs(point)
    ours = evaluate(value.subs(point))
    g_at = sympy.lambdify(f.variable, g, "mpmath")

    def integrand(x):
        # A quadrature node can round onto a support end (1 - x == 0 at the
        # working precision), where g is infinite but its weight is nil.
        value = g_at(x)
        return value if mpmath.isfinite(value) else mpmath.mpf(0)

    params = {s.name: as_fraction(point[s]) for s in f.params}
    if g.has(sympy.Abs) or (f.support.inf == -sympy.oo and g.has(sympy.log)):
        # split at every value in play, so a kink of g (|x - c|) is a breakpoint
        with mpmath.workdps(WORKING_DIGITS + 20):
            cuts = sorted({mpmath.mpf(sympy.N(v, WORKING_DIGITS + 20)) for v in point.values()})
            reference = +mpmath.quad(
                lambda x: mpmath.exp(log_density(name, x, **params)) * integrand(x),
                [-mpmath.inf, *cuts, mpmath.inf])
    else:
        reference = ref_expectation(name, params, integrand)
    assert_agree(ours, reference, digits=LEMMA_DIGITS, what=f"E[{g}] under {name} at {point}")
