"""The support rule: KL(p || q) = +oo exactly when p puts mass where q has none.

One rule for every pair, read off the two declared supports: p escapes q when
its lower end lies below q's or its upper end above q's (for densities the
closures are compared, since single points carry no mass).  Where the ends
depend on parameters the answer is a condition, which the derivation turns
into a ``Piecewise`` with a +oo branch.
"""

from dataclasses import dataclass

import sympy
from sympy import S

from .cache import remember_in_memory
from .constraints import decide
from .errors import DerivationError
from .family import subs_set


@dataclass(frozen=True)
class SupportVerdict:
    """Whether supp p lies inside supp q.

    Attributes
    ----------
    contained : True, False or None
        None when it depends on the parameters (see ``escape``).
    escape : sympy boolean
        The condition under which p puts mass outside q's support.
    reason : str
        A sentence for people, e.g. "p has mass on (-oo, 0) where q has density 0".
    """

    contained: object
    escape: object
    reason: str


def support_rule(fp, fq, facts=(), suffixes=("p", "q")):
    """Apply the support rule to families ``fp`` (of p) and ``fq`` (of q).

    Parameters are renamed with ``suffixes``; ``facts`` are constraints in
    those names used to decide the escape condition.

    Examples
    --------
    >>> import klsym
    >>> support_rule(klsym.family("normal"), klsym.family("exponential")).reason
    'p has mass on (-oo, 0) where q has density 0'
    """
    key = (fp.fingerprint, fq.fingerprint, tuple(map(sympy.srepr, facts)), tuple(suffixes))
    if key not in _verdicts:
        _verdicts[key] = _rule(fp, fq, facts, suffixes)
    return _verdicts[key]


_verdicts = remember_in_memory({})


def _rule(fp, fq, facts, suffixes):
    if fp.discrete != fq.discrete:
        raise DerivationError(
            f"{fp.name} is {'discrete' if fp.discrete else 'continuous'} and {fq.name} is not: "
            f"KL between them is not defined", route="support")
    if fp.dimension != fq.dimension:
        raise DerivationError(
            f"{fp.name} has dimension {fp.dimension} and {fq.name} dimension {fq.dimension}: "
            f"KL between them is not defined", route="support")
    if fp.is_multivariate:
        return _multivariate_rule(fp, fq, facts, suffixes)
    sp = fp.support.subs(fp.renaming(suffixes[0]), simultaneous=True)
    sq = fq.support.subs(fq.renaming(suffixes[1]), simultaneous=True)
    # Comparing ends with strict inequalities ignores the end points
    # themselves, which carry no mass for a density.
    what = "mass" if fp.discrete else "density"
    (p_lo, p_hi), (q_lo, q_hi) = _ends(sp), _ends(sq)
    pieces = [(sympy.Lt(p_lo, q_lo), (p_lo, q_lo)), (sympy.Gt(p_hi, q_hi), (q_hi, p_hi))]
    escape, reasons = S.false, []
    for condition, (lo, hi) in pieces:
        verdict = decide(condition, facts)
        if verdict is False:
            continue
        escape = sympy.Or(escape, condition)
        where = f"({lo}, {hi})"
        reasons.append(f"p has mass on {where} where q has {what} 0"
                       + ("" if verdict else f" when {condition}"))
    escapes = decide(escape, facts)
    contained = None if escapes is None else not escapes
    reason = "; ".join(reasons) if reasons else "the support of p lies inside that of q"
    return SupportVerdict(contained, escape, reason)


def _multivariate_rule(fp, fq, facts, suffixes):
    """Equal supports contain each other; two constraint sets over the same
    base (multinomial counts summing to n) are compared by solving p's
    equation for its last coordinate and putting it into q's."""
    sp = subs_set(fp.support, fp.renaming(suffixes[0]))
    sq = subs_set(fq.support, {**fq.renaming(suffixes[1]), **dict(zip(fq.variables, fp.variables))})
    if sp == sq:
        return SupportVerdict(True, S.false, "the supports of p and q are the same set")
    what = "mass" if fp.discrete else "density"
    if (isinstance(sp, sympy.ConditionSet) and isinstance(sq, sympy.ConditionSet)
            and sp.base_set == sq.base_set and isinstance(sp.condition, sympy.Eq)):
        last = fp.variables[-1]
        solutions = sympy.solve(sp.condition, last)
        if len(solutions) == 1:
            inside = sympy.simplify(sq.condition.subs(last, solutions[0]))
            escape = sympy.Not(inside)
            verdict = decide(escape, facts)
            contained = None if verdict is None else not verdict
            reason = (f"p has mass on {{{', '.join(map(str, fp.variables))}: {sp.condition}}} "
                      f"where q has {what} 0" + ("" if verdict else f" when {escape}"))
            if contained:
                reason = "the support of p lies inside that of q"
            return SupportVerdict(contained, escape, reason)
    raise DerivationError(f"cannot compare the supports {sp} of p and {sq} of q", route="support")


def _ends(support):
    """Lower and upper end; a declared ``Interval(a, b)`` keeps ``a`` and ``b``
    (``inf`` would be ``Min(a, b)`` for symbols whose order only a
    constraint knows)."""
    if isinstance(support, sympy.Interval):
        return support.start, support.end
    return support.inf, support.sup
