"""Seeded, exact, admissible parameter points, drawn from the declared constraints.

Point ``i`` of a pair is a pure function of the pair, ``i`` and the seed, so
a sweep gives the same points in any process, on any executor.  Values are
exact dyadic rationals (``m * 2**e`` with a short ``m``): they are exactly
representable in float64, so the generated floating-point functions see the
very point the closed form and the reference are evaluated at, and they
print as finite decimal strings.

Regimes, in turn (``index % len(regimes)``):

``ordinary``
    p and q drawn independently; each parameter of q equals p's with
    probability 1/3 (so branches that need equal parameters, binomial ``n``,
    are hit both ways).
``near-equal`` (same family only)
    q = p with every parameter that may move changed by a relative
    ``2**-k``, ``k`` in 10..50 (1e-3 .. 1e-15).
``extreme``
    p and a moderately different q, both rescaled by ``2**(+-k)``, ``k`` in
    20..27 (1e6 .. 1.3e8), as the law of ``c X`` (scale and location
    parameters times ``c``, rates over ``c``, read off the density); a family
    without such parameters has its unbounded positive parameters rescaled.
``boundary``
    parameters within a relative ``2**-20`` (about 1e-6) of a bound of their
    constraints (a positive parameter near 0, a probability near 0 or 1,
    ``b`` just above ``a``, a nearly singular covariance); integer
    parameters at their lower bound.
"""

import math
import random
from dataclasses import dataclass
from fractions import Fraction

import sympy
from sympy import S

from .declared import _memo, _rescalable, bounds, held_equal, scaling_roles, solved

REGIMES_SAME = ("ordinary", "near-equal", "extreme", "boundary")
REGIMES_CROSS = ("ordinary", "extreme", "boundary")
_TRIES = 400


@dataclass(frozen=True)
class Point:
    """One point of a pair: exact values of every scalar parameter of p and q.

    ``p`` and ``q`` are tuples of ``(name, sympy.Rational)`` in the order of
    the family's scalar parameters.
    """

    index: int
    regime: str
    p: tuple
    q: tuple
    note: str = ""

    def values(self, side):
        """``{name: Rational}`` of side ``"p"`` or ``"q"``."""
        return dict(self.p if side == "p" else self.q)


class _NotApplicable(Exception):
    """The regime has nothing to move for this family."""


def regimes_for(same_family):
    return REGIMES_SAME if same_family else REGIMES_CROSS


def draw_point(fp, fq, index, seed=0):
    """Point ``index`` of the pair ``(fp, fq)`` for ``seed``.

    Examples
    --------
    >>> import klsym
    >>> g = klsym.family("gamma")
    >>> point = draw_point(g, g, 1, seed=0)
    >>> point.regime, point == draw_point(g, g, 1, seed=0)
    ('near-equal', True)
    """
    same = fp is fq
    regimes = regimes_for(same)
    regime = regimes[index % len(regimes)]
    rng = random.Random(f"klsym-verify:{seed}:{fp.name}:{fq.name}:{fp.dimension}:{index}")
    for kind in (regime, "ordinary"):
        for _ in range(_TRIES):
            try:
                drawn = _REGIMES[kind](rng, fp, fq, same)
            except _NotApplicable:
                break
            if drawn is None:
                continue
            p, q, note = drawn
            if _acceptable(fp, p) and _acceptable(fq, q):
                if kind != regime:
                    note = f"no admissible {regime} point found; ordinary point instead"
                return Point(index, regime, _named(fp, p), _named(fq, q), note)
    raise ValueError(f"could not draw an admissible point for {fp.name} / {fq.name} from "
                     f"the constraints {list(fp.constraints)} and {list(fq.constraints)}")


# -- exact numbers ------------------------------------------------------------
def dyadic(value, bits=10):
    """``value`` rounded to ``bits`` significant bits, as an exact Rational."""
    if value == 0:
        return S.Zero
    m, e = math.frexp(float(value))
    return sympy.Rational(Fraction(round(m * 2 ** bits)) * Fraction(2) ** (e - bits))


def exact_decimal(value):
    """The exact decimal string of a rational whose denominator has only the
    prime factors 2 and 5 (``"p/q"`` otherwise).

    >>> exact_decimal(sympy.Rational(5, 8)), exact_decimal(sympy.Rational(1, 3))
    ('0.625', '1/3')
    """
    value = sympy.Rational(value)
    p, q = int(value.p), int(value.q)
    twos = fives = 0
    while q % 2 == 0:
        q //= 2
        twos += 1
    while q % 5 == 0:
        q //= 5
        fives += 1
    if q != 1:
        return f"{value.p}/{value.q}"
    digits = max(twos, fives)
    scaled = abs(p) * 2 ** (digits - twos) * 5 ** (digits - fives)
    text = str(scaled).rjust(digits + 1, "0")
    whole, frac = (text[:-digits], text[-digits:]) if digits else (text, "")
    frac = frac.rstrip("0")
    return ("-" if p < 0 else "") + whole + ("." + frac if frac else "")


def _float_exact(value):
    try:
        number = float(value)
    except (TypeError, OverflowError):
        return False
    return math.isfinite(number) and Fraction(number) == Fraction(int(value.p), int(value.q))


def _acceptable(family, values):
    if any(v is None or not v.is_Rational for v in values.values()):
        return False
    if any(s.is_integer and not v.is_integer for s, v in values.items()):
        return False
    if not all(_float_exact(v) for v in values.values()):
        return False
    return all(bool(rel.subs(values, simultaneous=True) == S.true) for rel in family.constraints)


def _named(family, values):
    return tuple((s.name, values[s]) for s in family.params)


# -- drawing --------------------------------------------------------------------
def _draw_scalar(rng, s, lo, hi):
    if s.is_integer:
        a = int(sympy.ceiling(lo)) if lo is not None else 0
        b = int(sympy.floor(hi)) if hi is not None else a + 9
        return sympy.Integer(rng.randint(a, max(a, min(b, a + 9))))
    if lo is not None and hi is not None:
        return dyadic(float(lo) + float(hi - lo) * rng.uniform(0.03, 0.97))
    typical = math.exp(rng.uniform(math.log(0.2), math.log(5)))
    if lo is not None:
        return dyadic(float(lo) + max(1.0, abs(float(lo))) * typical)
    if hi is not None:
        return dyadic(float(hi) - max(1.0, abs(float(hi))) * typical)
    return dyadic(rng.uniform(-3, 3))


def _complete(family, values):
    """Fill in the parameters fixed by equations."""
    for s, expr in solved(family).items():
        values[s] = sympy.nsimplify(expr.subs(values, simultaneous=True))
    return values


def _draw(rng, family):
    limits = bounds(family)
    fixed = solved(family)
    values = {s: _draw_scalar(rng, s, *limits[s]) for s in family.params if s not in fixed}
    return _complete(family, values)


@_memo
def _movable(family):
    fixed = solved(family)
    return [s for s in family.params if s not in fixed and not s.is_integer]


def _nudge(value, k, sign):
    """``value`` changed by about a relative ``2**-k`` (exactly dyadic)."""
    if value == 0:
        return sympy.Rational(sign, 2 ** k)
    exponent = math.frexp(float(abs(value)))[1] - 1
    return value + sign * sympy.Rational(2) ** (exponent - k)


def _moderate(rng, family, values):
    """A moderately different member: each movable parameter's distance to
    its bound (or the parameter itself) changed by a relative 1/8 .. 1/2."""
    limits = bounds(family)
    out = dict(values)
    for s in _movable(family):
        lo, hi = limits[s]
        anchor = lo if lo is not None else hi if hi is not None else S.Zero
        if lo is not None and hi is not None and values[s] - lo > hi - values[s]:
            anchor = hi
        change = dyadic(rng.choice((-1, 1)) * rng.uniform(0.125, 0.5), bits=6)
        out[s] = anchor + (values[s] - anchor) * (1 + change)
        if out[s] == 0:
            out[s] = change
    return _complete(family, out)


def _ordinary(rng, fp, fq, same):
    p, q = _draw(rng, fp), _draw(rng, fq)
    if same:
        fixed = solved(fq)
        for s in fq.params:
            if s not in fixed and rng.random() < 1 / 3:
                q[s] = p[s]
        q = _complete(fq, q)
    return p, q, ""


def _near_equal(rng, fp, fq, same):
    if not same:
        return _ordinary(rng, fp, fq, same)
    p = _draw(rng, fp)
    k = rng.randint(10, 50)
    held = held_equal(fp)
    q = dict(p)
    for s in _movable(fp):
        if s not in held:
            q[s] = _nudge(p[s], k, rng.choice((-1, 1)))
    return p, _complete(fq, q), f"relative change 2^-{k} (about {2.0 ** -k:.1e})"


def _scaled(family, values, factor):
    roles = scaling_roles(family)
    out = dict(values)
    for s, v in values.items():
        role = roles.get(s)
        if roles:
            if role in ("scale", "location"):
                out[s] = v * factor
            elif role == "rate":
                out[s] = v / factor
        elif s in _rescalable(family):
            out[s] = v * factor
    return out


def _extreme(rng, fp, fq, same):
    if not any(scaling_roles(f) or _rescalable(f) for f in (fp, fq)):
        raise _NotApplicable
    exponent = rng.randint(20, 27) * rng.choice((-1, 1))
    factor = sympy.Rational(2) ** exponent
    p = _draw(rng, fp)
    q = _moderate(rng, fp, p) if same else _draw(rng, fq)
    return (_scaled(fp, p, factor), _scaled(fq, q, factor),
            f"rescaled by 2^{exponent} (about {2.0 ** exponent:.1e})")


def _near_bounds(rng, family, values):
    """Move some parameters to within a relative 2**-20 of a bound."""
    limits = bounds(family)
    fixed = solved(family)
    out = dict(values)
    moved = []
    small = sympy.Rational(1, 2 ** 20)
    candidates = [s for s in family.params if s not in fixed]
    rng.shuffle(candidates)
    for s in candidates:
        lo, hi = limits[s]
        if (lo is None and hi is None) or rng.random() < 0.4:
            continue
        if s.is_integer:
            if lo is not None:
                out[s] = sympy.Integer(sympy.ceiling(lo))
                moved.append(s.name)
            continue
        width = (hi - lo) if lo is not None and hi is not None else max(1, abs(lo if lo is not None else hi))
        gap = dyadic(float(width * small) * rng.uniform(0.5, 1.0))
        use_lo = lo is not None and (hi is None or rng.random() < 0.5)
        out[s] = lo + gap if use_lo else hi - gap
        moved.append(s.name)
    for rel in family.constraints:
        # a dependent inequality (b > a, a leading minor): its last parameter
        # is put just inside the boundary where the equation is linear in it
        if isinstance(rel, sympy.Eq) or len(rel.free_symbols) < 2 or rng.random() < 0.3:
            continue
        ordered = [s for s in family.params if s in rel.free_symbols and s not in fixed]
        if not ordered:
            continue
        s = ordered[-1]
        g = (rel.lhs - rel.rhs) if isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)) \
            else (rel.rhs - rel.lhs)
        others = {t: v for t, v in out.items() if t != s}
        g_at = sympy.expand(g.subs(others, simultaneous=True))
        if sympy.degree(g_at, s) != 1:
            continue
        size = max([abs(term.subs(s, out[s])) for term in sympy.Add.make_args(sympy.expand(g.subs(out)))] + [S.One])
        target = sympy.solve(sympy.Eq(g_at, size * small), s)
        if len(target) == 1 and target[0].is_real:
            out[s] = dyadic(target[0], bits=40)
            moved.append(s.name)
    return _complete(family, out), moved


def _boundary(rng, fp, fq, same):
    p, q = _draw(rng, fp), _draw(rng, fq)
    if same or rng.random() < 0.5:
        p, moved = _near_bounds(rng, fp, p)
        if same:
            q = _moderate(rng, fq, p)
        side = "p"
    else:
        q, moved = _near_bounds(rng, fq, q)
        side = "q"
    if not moved:
        if not any(v is not None for f in (fp, fq) for b in bounds(f).values() for v in b) and \
                not any(len(r.free_symbols) > 1 for f in (fp, fq) for r in f.constraints):
            raise _NotApplicable
        return None
    moved = ", ".join(dict.fromkeys(f"{name}_{side}" for name in moved))
    return p, q, f"near a bound: {moved}"


_REGIMES = {"ordinary": _ordinary, "near-equal": _near_equal, "extreme": _extreme,
            "boundary": _boundary}
