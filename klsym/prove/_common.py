"""Shared helpers of the proof modules: resolving arguments, sampling points."""

from itertools import product

import sympy

from ..derive import _resolve
from ..family import Distribution, Family
from ..registry import lookup


def as_family(arg):
    """A Family from a name, a Family or a Distribution."""
    if isinstance(arg, str):
        return lookup(arg)
    if isinstance(arg, Distribution):
        return arg.family
    if isinstance(arg, Family):
        return arg
    raise TypeError(f"expected a family, a family name or a distribution; got {arg!r}")


def is_distribution_like(arg):
    return isinstance(arg, (str, Family, Distribution))


def pair_constraints(p, q):
    """Constraints of p's and q's parameters, in the suffixed symbols."""
    _, vp = _resolve(p if isinstance(p, Distribution) else as_family(p)(), "p")
    _, vq = _resolve(q if isinstance(q, Distribution) else as_family(q)(), "q")
    return vp.constraints + vq.constraints


_POSITIVE = [sympy.Rational(1, 2), sympy.Rational(1, 3), 2, 1, sympy.Rational(7, 3), 5]
_REAL = [sympy.Rational(1, 2), -1, 0, 2, -sympy.Rational(7, 3)]
_INTEGER = [1, 2, 3, 5]


def _candidates(symbol):
    if symbol.is_integer:
        return [sympy.Integer(v) for v in _INTEGER]
    return [sympy.sympify(v) for v in (_POSITIVE if symbol.is_positive else _REAL)]


def sample_points(symbols, constraints=(), count=40):
    """Exact points for the symbols, honouring assumptions and ``constraints``.

    Points with ``name_p == name_q`` for every suffixed pair come first (the
    equality case is where divergence claims are tightest).
    """
    symbols = sorted(symbols, key=lambda s: s.name)
    twins = {s: t for s in symbols for t in symbols
             if s.name.endswith("_q") and t.name == s.name[:-2] + "_p"}
    points = []
    for combo in product(*[_candidates(s) for s in symbols]):
        point = dict(zip(symbols, combo))
        equal = {s: point[t] for s, t in twins.items()}
        for candidate in ({**point, **equal}, point):
            if all(sympy.sympify(c).subs(candidate) == sympy.true for c in constraints) \
                    and candidate not in points:
                points.append(candidate)
        if len(points) >= count:
            break
    return points
