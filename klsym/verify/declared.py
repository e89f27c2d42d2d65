"""What a family's declaration says about each parameter, for drawing points:
bounds from one-symbol constraints, parameters fixed by equations, those the
exponential-family form holds equal, and how parameters move under X -> c X
(read off the density).  Results are memoised per declaration."""

import itertools

import sympy
from sympy import S


def _memo(function):
    table = {}

    def wrapper(family):
        if family.fingerprint not in table:
            table[family.fingerprint] = function(family)
        return table[family.fingerprint]
    wrapper.__doc__, wrapper.__name__ = function.__doc__, function.__name__
    return wrapper


@_memo
def bounds(family):
    """``{symbol: (lower, upper)}``: the numeric bounds one-symbol constraints
    put on each parameter (None where there is none)."""
    out = {s: [None, None] for s in family.params}
    for rel in family.constraints:
        if not isinstance(rel, sympy.core.relational.Relational) or isinstance(rel, sympy.Eq):
            continue
        if len(rel.free_symbols) != 1:
            continue
        (s,) = rel.free_symbols
        lhs, rhs = rel.lhs, rel.rhs
        if lhs != s:
            rel = rel.reversed
            lhs, rhs = rel.lhs, rel.rhs
        if lhs != s or not rhs.is_number:
            continue
        if isinstance(rel, (sympy.StrictGreaterThan, sympy.GreaterThan)):
            out[s][0] = rhs if out[s][0] is None else max(out[s][0], rhs)
        elif isinstance(rel, (sympy.StrictLessThan, sympy.LessThan)):
            out[s][1] = rhs if out[s][1] is None else min(out[s][1], rhs)
    for s in family.params:
        if out[s][0] is None and s.is_positive:
            out[s][0] = S.Zero
    return {s: tuple(b) for s, b in out.items()}


@_memo
def solved(family):
    """``{symbol: expression}`` for parameters fixed by an equation among the
    constraints (the last probability of a categorical)."""
    out = {}
    for rel in family.constraints:
        if isinstance(rel, sympy.Eq):
            target = [s for s in family.params if s in rel.free_symbols and s not in out][-1]
            out[target] = sympy.solve(sympy.Eq(rel.lhs, rel.rhs), target)[0]
    return out


@_memo
def held_equal(family):
    """Parameters that stay equal in p and q near p = q: integers, and those the
    exponential-family form holds fixed (binomial ``n``, negative binomial ``r``)."""
    fixed = set(getattr(family.canonical, "fixed", ()) or ()) if not family.is_multivariate \
        or family.canonical is not None else set()
    return {s for s in family.params if s.is_integer or s in fixed}


@_memo
def scaling_roles(family):
    """How each parameter moves when X becomes c X, read off the density:
    ``"scale"`` (theta -> c theta), ``"rate"`` (theta -> theta / c),
    ``"location"`` (theta -> c theta, with the scales), or None.

    The assignment found is one for which ``p(c x; moved) c = p(x; theta)``
    holds identically; a family with none gets ``{}``.
    """
    roles = {}
    if not family.discrete and family.variable is not None:
        c = sympy.Symbol("c", positive=True)
        x = family.variable
        positive = [s for s in family.params if s.is_positive]
        real = [s for s in family.params if not s.is_positive and not s.is_integer]
        for assignment in itertools.product((None, "scale", "rate"), repeat=len(positive)):
            for location in itertools.product((None, "location"), repeat=len(real)):
                if not any(assignment) and not any(location):
                    continue
                trial = dict(zip(positive, assignment)) | dict(zip(real, location))
                moved = {s: s * c if r in ("scale", "location") else s / c if r == "rate" else s
                         for s, r in trial.items()}
                changed = family.pdf.subs(moved, simultaneous=True).subs(x, c * x) * c
                if sympy.simplify(changed - family.pdf) == 0:
                    roles = {s: r for s, r in trial.items() if r}
                    break
            if roles:
                break
    return roles


@_memo
def _rescalable(family):
    """Unbounded positive parameters not tied by an equation."""
    limits = bounds(family)
    tied = set().union(*[rel.free_symbols for rel in family.constraints
                         if isinstance(rel, sympy.Eq)])
    return [s for s in family.params if not s.is_integer and s not in tied
            and limits[s][0] is not None and limits[s][1] is None]
