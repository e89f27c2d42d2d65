"""Parameter constraints: three-valued checks and the assumptions they imply.

A constraint is a SymPy relational in a family's parameters (``sigma > 0``,
``b > a``, ``p < 1``).  Checks are three-valued, as in ``sympy.stats``: a value
is refused only when the constraint is *provably* false, so a symbolic
parameter passes and carries its assumptions along.
"""

import math
from fractions import Fraction
from functools import lru_cache
from itertools import product

import sympy
from sympy import And, Not, Or, Q, S
from sympy.core.relational import Relational

from .errors import ParameterError

_Q_OF = {
    sympy.StrictGreaterThan: Q.gt,
    sympy.GreaterThan: Q.ge,
    sympy.StrictLessThan: Q.lt,
    sympy.LessThan: Q.le,
    sympy.Equality: Q.eq,
    sympy.Unequality: Q.ne,
}


def to_number(value):
    """Convert a user-supplied value into a SymPy number or expression.

    Python floats become the decimal they print as (``0.3 -> 3/10``), so a
    derived expression evaluated with ``sympy.N(expr, 50)`` means what the user
    wrote; integers, fractions, decimal strings (``"0.3"``) and SymPy
    expressions are kept exact.

    Examples
    --------
    >>> to_number(0.3), to_number("2.5"), to_number("1/3")
    (3/10, 5/2, 1/3)
    """
    if isinstance(value, bool):
        raise TypeError("a boolean is not a parameter value")
    if isinstance(value, float):
        if not math.isfinite(value):
            return sympy.nan if math.isnan(value) else (S.Infinity if value > 0 else S.NegativeInfinity)
        return sympy.Rational(repr(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if hasattr(value, "dtype") and getattr(value, "shape", None) == ():  # numpy scalar
        return to_number(value.item())
    if isinstance(value, str):
        try:
            return sympy.Rational(value.strip())  # "0.3" and "3/10" exactly
        except (TypeError, ValueError):
            return sympy.sympify(value)
    return sympy.sympify(value, strict=True)


def implied_assumptions(symbol, constraints):
    """SymPy assumptions on ``symbol`` implied by simple bound constraints.

    Only constraints of the form ``symbol (<,<=,>,>=) number`` contribute; a
    dependent constraint such as ``b > a`` implies nothing on its own.
    """
    facts = {"real": True}
    if symbol.is_integer:
        facts["integer"] = True
    for rel in constraints:
        if not isinstance(rel, Relational) or rel.free_symbols != {symbol}:
            continue
        lhs, rhs = rel.lhs, rel.rhs
        if lhs != symbol:  # normalise to "symbol OP number"
            rel = rel.reversed
            lhs, rhs = rel.lhs, rel.rhs
        if lhs != symbol or not rhs.is_number:
            continue
        if isinstance(rel, sympy.StrictGreaterThan) and rhs >= 0:
            facts["positive"] = True
        elif isinstance(rel, sympy.GreaterThan) and rhs > 0:
            facts["positive"] = True
        elif isinstance(rel, sympy.GreaterThan) and rhs == 0:
            facts["nonnegative"] = True
        elif isinstance(rel, sympy.StrictLessThan) and rhs <= 0:
            facts["negative"] = True
    return facts


def _as_q(rel):
    maker = _Q_OF.get(type(rel))
    return maker(rel.lhs, rel.rhs) if maker else None


def decide(condition, facts=()):
    """Decide ``condition`` under ``facts``: True, False, or None (unknown).

    Used to resolve the convergence conditions SymPy attaches to integrals
    and sums (``Piecewise((value, p < 2), ...)``) with the family's declared
    constraints.  Only logical consequences count; nothing is sampled.

    Examples
    --------
    >>> from sympy import Symbol
    >>> p = Symbol("p", positive=True)
    >>> decide(p < 2, [p < 1])
    True
    """
    condition = sympy.sympify(condition)
    if condition in (S.true, S.false):
        return bool(condition)
    # only facts about the condition's own symbols can decide it
    facts = tuple(f for f in map(sympy.sympify, facts) if f.free_symbols & condition.free_symbols)
    return _decide(condition, facts)


@lru_cache(maxsize=4096)
def _decide(condition, facts):
    if isinstance(condition, (And, Or, Not)):
        # decide each atom, then see whether what is left is decided; SymPy's
        # refine of the whole compound is much slower and adds little
        replaced = condition.func(*[
            {True: S.true, False: S.false}.get(decide(arg, facts), arg)
            for arg in condition.args])
        if replaced in (S.true, S.false):
            return bool(replaced)
        condition = replaced
    if not isinstance(condition, (And, Or, Not)):
        assumptions = And(*[q for q in map(_as_q, facts) if q is not None])
        try:
            refined = sympy.refine(condition, assumptions)
        except Exception:  # refine raises on some relationals it cannot handle
            refined = condition
        if refined in (S.true, S.false):
            return bool(refined)
    symbols = condition.free_symbols
    if len(symbols) == 1:
        (s,) = symbols
        local = [f for f in facts if f.free_symbols <= symbols]
        local += [s > 0] if s.is_positive else []
        for target, answer in ((Not(condition), True), (condition, False)):
            try:
                region = sympy.reduce_inequalities(local + [target], [s])
            except Exception:  # reduce_inequalities is not total
                continue
            try:
                empty = region == S.false or region.as_set() == S.EmptySet
            except Exception:  # as_set is not total either
                empty = False
            if empty:
                return answer
    return None


def check_parameters(family_title, values, constraints):
    """Raise ParameterError if ``values`` provably violate a constraint.

    Parameters
    ----------
    family_title : str
        Used in the message, e.g. ``"Normal"``.
    values : dict
        Maps each parameter Symbol to its (SymPy) value.
    constraints : sequence of Relational
        The family's declared constraints.
    """
    for symbol, value in values.items():
        _check_kind(family_title, symbol, value)
    for rel in constraints:
        verdict = rel.subs(values)
        if verdict == S.false:
            names = sorted(str(s) for s in rel.free_symbols)
            shown = ", ".join(f"{n}={values[_by_name(values, n)]}" for n in names)
            which = names[0] if len(names) == 1 else " and ".join(names)
            raise ParameterError(
                f"{family_title}: parameter {which} must satisfy {rel}; got {shown}")


def _by_name(values, name):
    return next(s for s in values if str(s) == name)


def _check_kind(family_title, symbol, value):
    if value.has(sympy.nan) or value.is_extended_real is False:
        raise ParameterError(
            f"{family_title}: parameter {symbol} must be a real number; got {value}")
    if value.is_finite is False or value.has(S.Infinity, S.NegativeInfinity, S.ComplexInfinity):
        raise ParameterError(
            f"{family_title}: parameter {symbol} must be finite; got {value}")
    if symbol.is_integer and value.is_integer is False:
        raise ParameterError(
            f"{family_title}: parameter {symbol} must be an integer; got {value}")


# Candidate values for sampling admissible points: small, exact, varied in
# sign and scale so that dependent constraints (b > a, p < 1) find a match.
_CANDIDATES = [sympy.Rational(3, 2), sympy.Rational(7, 10), 2, sympy.Rational(1, 3),
               3, -sympy.Rational(1, 2), 5, sympy.Rational(9, 4), -2, 1,
               sympy.Rational(2, 5), sympy.Rational(1, 8)]


def admissible_points(params, constraints, count=3):
    """Return up to ``count`` exact parameter points satisfying every constraint.

    The points are dicts ``{symbol: Rational}``; they are deterministic, so a
    check that uses them is reproducible.
    """
    found = []
    # an equation (probabilities summing to 1) fixes its last parameter
    # from the others, which are sampled
    solved = {}
    for rel in constraints:
        if isinstance(rel, sympy.Eq):
            target = [s for s in params if s in rel.free_symbols and s not in solved][-1]
            solved[target] = sympy.solve(rel, target)[0]
    free = [s for s in params if s not in solved]
    n = len(free)
    for shift in range(len(_CANDIDATES)):
        rotated = _CANDIDATES[shift:] + _CANDIDATES[:shift]
        for combo in product(rotated, repeat=n) if n else [()]:
            point = dict(zip(free, map(sympy.sympify, combo)))
            point.update({s: value.subs(point) for s, value in solved.items()})
            point = {s: point[s] for s in params}
            if any(s.is_integer and not v.is_integer for s, v in point.items()):
                continue
            if any(s.is_positive and not v.is_positive for s, v in point.items()):
                continue
            if all(rel.subs(point) == S.true for rel in constraints):
                if point not in found:
                    found.append(point)
                break
        if len(found) >= count:
            break
    return found


def resolve_piecewise(expr, facts):
    """Replace each Piecewise by the branch ``facts`` decide, where they do.

    A branch is taken only when every earlier condition is decided False and
    its own is decided True; otherwise the Piecewise is kept.
    """
    def pick(pw):
        for value, cond in pw.args:
            verdict = decide(cond, facts)
            if verdict is True:
                return value
            if verdict is None:
                return pw
        return pw

    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)
