"""The cases the code-generation tests share: admissible float points of
each family in three regimes (ordinary, near-equal, extreme scales), and the
independent mpmath reference for them, computed once per test session and
shared by every backend."""

import math
from fractions import Fraction
from functools import lru_cache

import mpmath
import numpy as np
import pytest
import sympy

import klsym
from catalog import UNIVARIATE, scaling_roles
from reference import ref_kl

SAME_FAMILY_TARGET = 1e-13
CROSS_FAMILY_TARGET = 1e-11


def measures_kl(p, q):
    """``sum p log(p / q) - p + q`` over the entries, in mpmath at the working
    precision, on the exact values given (floats or mpf): the categorical KL
    where both sum to 1, and the KL of the entries as measures otherwise."""
    return mpmath.fsum(x * mpmath.log(x / y) - x + y
                       for x, y in zip(map(mpmath.mpf, p), map(mpmath.mpf, q)))


def relative_error(ours, reference):
    if mpmath.isinf(reference):
        return 0.0 if ours == np.inf else math.inf
    with mpmath.workdps(50):
        reference = mpmath.mpf(reference)
        ours = mpmath.mpf(float(ours))
        if reference == 0:
            return float(abs(ours))
        return float(abs(ours - reference) / abs(reference))


def _bounded_above(family, symbol):
    return any(isinstance(c, (sympy.StrictLessThan, sympy.LessThan)) and c.lhs == symbol
               for c in family.constraints)


def _admissible(family, point):
    exact = {s: sympy.Rational(Fraction(v)) for s, v in point.items()}
    return all(c.subs(exact) == sympy.true for c in family.constraints)


def float_points(family, count=2):
    """Admissible float points: the family's exact points, moved a little so
    that they are not small rationals."""
    out = []
    for i, point in enumerate(family.admissible_points(count + 1)):
        moved = {s: float(v) if s.is_integer or _bounded_above(family, s)
                 else float(v) * (1 + 0.137 * (i + 1)) for s, v in point.items()}
        if _admissible(family, moved):
            out.append(moved)
    return out[:count]


def held_equal(family):
    """Parameters the closed form needs equal in p and q (binomial n): their
    q-twin is gone from the closed branch of the symbolic KL."""
    kl = klsym.kl(family, family)
    branches = [v for v, _ in kl.args] if isinstance(kl, sympy.Piecewise) else [kl]
    closed = [v for v in branches if v != sympy.oo and not v.has(sympy.Sum, sympy.Integral)]
    assert closed, f"no closed branch in KL({family.name} || {family.name}) = {kl}"
    closed = closed[0]
    names = {s.name for s in closed.free_symbols}
    return {s for s in family.params if f"{s.name}_q" not in names}


def _cases(name):
    f = klsym.family(name)
    a, b = float_points(f)
    fixed = held_equal(f)

    def near(point, relative):
        return {s: v if s in fixed or s.is_integer else v * (1 + relative) for s, v in point.items()}

    roles = scaling_roles(f)

    def scaled(point, factor):
        """The law of c X: scale and location parameters times c, rates over c;
        a family without such parameters has its unbounded positive ones scaled."""
        if any(roles.values()):
            return {s: v * factor if roles[s] in ("scale", "location") else
                    v / factor if roles[s] == "rate" else v for s, v in point.items()}
        return {s: v if s.is_integer or _bounded_above(f, s) else v * factor
                for s, v in point.items()}

    cases = [("ordinary", a, {s: a[s] if s in fixed else b[s] for s in a})]
    cases += [(f"near-{e}", a, near(a, 10.0 ** -e)) for e in (3, 9, 15)]
    for factor in (1e-8, 1e8):
        cases += [(f"extreme-{factor:g}", scaled(a, factor), scaled(near(a, 0.3), factor))]
    bounded = [s for s in f.params if _bounded_above(f, s) and not s.is_integer]
    if bounded:
        # a probability a millionth from 1: its complement 1 - p is what the
        # KL is made of, and an expanded series in p would lose it
        edge = {s: 1 - 1e-6 if s in bounded else v for s, v in a.items()}
        cases += [(f"edge-near-{e}", edge, {s: v if s in fixed or s.is_integer else
                                               v * (1 - 10.0 ** -e) for s, v in edge.items()})
                  for e in (3, 6, 9)]
    for kind, p, q in cases:
        if _admissible(f, q):
            # one worker for every backend's test of a case: the mpmath
            # reference (up to 48 s, the Poisson at 1e8) is computed once
            yield pytest.param(name, p, q, id=f"{name}-{kind}",
                               marks=pytest.mark.xdist_group(f"case-{name}-{kind}"))


EXTREME_SKIP = {
    # the reference quadrature itself cannot resolve these densities at 1e8
    ("beta", "extreme-1e+08"), ("vonmises", "extreme-1e+08"), ("negativebinomial", "extreme-1e+08"),
}

CASES = [c for name in UNIVARIATE for c in _cases(name)
         if (name, c.id.split("-", 1)[1]) not in EXTREME_SKIP]




@lru_cache(maxsize=None)
def _reference(name, p, q):
    return ref_kl(name, {k: Fraction(v) for k, v in p}, name, {k: Fraction(v) for k, v in q})


def reference_kl(name, p, q):
    """The mpmath reference KL for float points ``p``, ``q`` (dicts by symbol)."""
    return _reference(name, tuple((s.name, v) for s, v in p.items()),
                      tuple((s.name, v) for s, v in q.items()))


def arguments(name, p, q):
    """Positional arguments of a generated KL function."""
    f = klsym.family(name)
    return [p[s] for s in f.params] + [q[s] for s in f.params]
