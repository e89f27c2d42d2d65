"""Every declared expectation lemma against mpmath quadrature, on admissible
points and towards the edges of the parameter domain."""

import mpmath
import pytest
import sympy

import klsym
from reference import ref_expectation
from tolerances import LEMMA_DIGITS, as_fraction, assert_agree, evaluate

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
          for f in (klsym.family(n) for n in klsym.families())
          for g in f.lemmas for i, point in enumerate(_points(f))]


def test_lemmas_are_cited():
    for name in klsym.families():
        for g, (value, citation) in klsym.family(name).lemmas.items():
            assert citation.strip(), f"lemma E[{g}] of {name} has no source"


@pytest.mark.parametrize("name, g, point", LEMMAS)
def test_lemma_matches_quadrature(name, g, point):
    f = klsym.family(name)
    value, _ = f.lemmas[g]
    ours = evaluate(value.subs(point))
    g_at = sympy.lambdify(f.variable, g, "mpmath")

    def integrand(x):
        # A quadrature node can round onto a support end (1 - x == 0 at the
        # working precision), where g is infinite but its weight is nil.
        value = g_at(x)
        return value if mpmath.isfinite(value) else mpmath.mpf(0)

    reference = ref_expectation(name, {s.name: as_fraction(v) for s, v in point.items()}, integrand)
    assert_agree(ours, reference, digits=LEMMA_DIGITS, what=f"E[{g}] under {name} at {point}")
