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
            return mpmath.nsum(body, [lo, hi])
        return mpmath.fsum(body(mpmath.mpf(k)) for k in range(int(lo), int(hi) + 1))
    points = [lo] + ([mpmath.mpf(0)] if lo < 0 < hi else []) + [hi]
    value, error = mpmath.quad(body, points, error=True, maxdegree=10)
    if error > abs(value) * mpmath.mpf(10) ** (-(work - GUARD_DIGITS)) + mpmath.mpf(10) ** (-work):
        raise ArithmeticError(f"numerical integration of {node} did not converge "
                              f"(error estimate {mpmath.nstr(error, 3)})")
    return value


def _mp(bound):
    if bound is S.Infinity:
        return mpmath.inf
    if bound is S.NegativeInfinity:
        return mpmath.ninf
    return mpmath.mpf(sympy.N(bound, mpmath.mp.dps))
