"""Numbers from derived expressions, including the parts SymPy left unevaluated.

A derived KL, entropy or cross-entropy is a closed form, or a closed form with
an unevaluated ``Integral``/``Sum`` where no closed form was found (Poisson's
``E[log k!]``, a normal against a Cauchy).  :func:`evaluate` turns either into
a number at a chosen precision: each remaining integral is computed by
``mpmath.quad`` (split at 0 and at the ends of its range) and each infinite sum
by ``mpmath.nsum``, at a few guard digits above the precision asked for; the
rest is SymPy's own ``evalf``.
"""

import mpmath
import sympy
from sympy import S

GUARD_DIGITS = 10


def evaluate(expr, dps=15):
    """``expr`` as a SymPy Float with ``dps`` significant digits (or ``oo``).

    The expression must have no free symbols left.

    Examples
    --------
    >>> import sympy as sp
    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> evaluate(sp.Sum(1 / sp.factorial(k), (k, 0, sp.oo)), 20)
    2.7182818284590452354
    """
    expr = sympy.sympify(expr)
    if expr.free_symbols:
        raise ValueError(f"cannot evaluate numerically: {expr} still has the free symbols "
                         f"{', '.join(sorted(map(str, expr.free_symbols)))}")
    work = dps + GUARD_DIGITS
    with mpmath.workdps(work):
        numbers = {}
        for node in _innermost_first(expr):
            numbers[node] = sympy.Float(_integral_or_sum(node.xreplace(numbers), work), work)
        value = sympy.N(expr.xreplace(numbers), work)
    if value.has(S.Infinity) or value == S.Infinity:
        return S.Infinity
    return sympy.Float(value, dps)


def _innermost_first(expr):
    nodes = [e for e in sympy.postorder_traversal(expr) if isinstance(e, (sympy.Integral, sympy.Sum))]
    return list(dict.fromkeys(nodes))


def _integral_or_sum(node, work):
    (var, lo, hi), = node.limits
    body = sympy.lambdify(var, node.function, modules="mpmath")
    lo, hi = _mp(lo), _mp(hi)
    if isinstance(node, sympy.Sum):
        if mpmath.isinf(hi):
            return _infinite_sum(body, int(lo), work)
        return mpmath.fsum(body(mpmath.mpf(k)) for k in range(int(lo), int(hi) + 1))
    points = [lo] + ([mpmath.mpf(0)] if lo < 0 < hi else []) + [hi]
    value, error = mpmath.quad(body, points, error=True, maxdegree=10)
    if error > abs(value) * mpmath.mpf(10) ** (-(work - GUARD_DIGITS)) + mpmath.mpf(10) ** (-work):
        raise ArithmeticError(f"numerical integration of {node} did not converge "
                              f"(error estimate {mpmath.nstr(error, 3)})")
    return value


#: terms summed one by one, at most, on each side of a peak far from the start
MAX_TERMS = 200_000
#: a peak of the terms beyond this many steps from the start is summed directly
FAR_PEAK = 20


def _size(body, k):
    try:
        return abs(body(mpmath.mpf(k)))
    except (ValueError, ZeroDivisionError, OverflowError):
        return mpmath.mpf(0)


def _infinite_sum(body, lo, work):
    """``sum_{k >= lo} body(k)``.  Extrapolation (``mpmath.nsum``) from the
    start is right when the terms decay from there; when they first grow to a
    peak far away (a Poisson mean of 3e5, whose first terms are e^-300000)
    it returns noise, so there the terms are summed one by one outward from
    the peak until they no longer matter, and the decaying tail beyond is
    extrapolated.  Terms that decay too slowly for that raise ArithmeticError
    (no number rather than a wrong one)."""
    # the largest term, among lo + 0, 1, 2, 4, ..., then by ternary search
    peak, best = lo, _size(body, lo)
    step = 1
    while step < 2 ** 62:
        size = _size(body, lo + step)
        if size > best:
            peak, best = lo + step, size
        step *= 2
    if peak - lo <= FAR_PEAK:
        return _extrapolated(body, lo)
    left, right = max(lo, peak // 2), peak * 2
    while right - left > 2:
        a, b = left + (right - left) // 3, right - (right - left) // 3
        if _size(body, a) < _size(body, b):
            left = a
        else:
            right = b
    peak = max(range(left, right + 1), key=lambda k: _size(body, k))
    negligible = mpmath.mpf(10) ** (-(work + 5))
    # MAX_TERMS steps out, a term still above what all the terms up to it
    # could make negligible: the loop below would give up there, so give up
    # now (a Poisson mean of 1e9: a minute of summing before)
    top = _size(body, peak)
    for edge in (peak + MAX_TERMS, peak - 1 - MAX_TERMS):
        if edge >= lo and _size(body, edge) > negligible * (MAX_TERMS + 1) * top:
            raise ArithmeticError(f"the terms of the sum decay too slowly around k = {peak} "
                                  f"to be summed (more than {MAX_TERMS} terms)")
    total = mpmath.mpf(0)
    for direction in (1, -1):
        k = peak if direction == 1 else peak - 1
        count, previous = 0, None
        while k >= lo:
            term = body(mpmath.mpf(k))
            total += term
            count += 1
            # outward from the peak: stop once the terms shrink below notice
            if previous is not None and abs(term) <= negligible * abs(total) \
                    and abs(term) <= abs(previous):
                break
            previous = term
            if count > MAX_TERMS:
                raise ArithmeticError(f"the terms of the sum decay too slowly around k = {peak} "
                                      f"to be summed (more than {MAX_TERMS} terms)")
            k += direction
        if direction == 1:
            total += _extrapolated(body, k + 1)
    return total


def _extrapolated(body, lo):
    """``mpmath.nsum`` of the terms from ``lo`` on, or ArithmeticError where none
    of its extrapolations reached the working precision.  (Without ``strict``
    it returns its best guess: for a negative binomial of r = 7e-7 and
    p = 8.5e-7, whose terms shrink by a factor 1 - 8.5e-7 a step, its
    entropy's sum came out wrong in the seventh digit, and H(p, q) - H(p) - KL
    was 6e-7 instead of 0.)"""
    try:
        return mpmath.nsum(body, [lo, mpmath.inf], strict=True)
    except mpmath.libmp.NoConvergence:
        raise ArithmeticError(f"the sum from k = {lo} did not converge to {mpmath.mp.dps} digits "
                              "(no extrapolation of its terms reached that precision)") from None


def _mp(bound):
    if bound is S.Infinity:
        return mpmath.inf
    if bound is S.NegativeInfinity:
        return mpmath.ninf
    return mpmath.mpf(sympy.N(bound, mpmath.mp.dps))
