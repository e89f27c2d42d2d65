"""Presentation: rewrite a derived expression the way a textbook prints it.

The derivation routes produce correct but shapeless sums.  :func:`textbook`
expands logs, collects the terms by transcendental atom (``log``,
``loggamma``, ``polygamma``, ...), merges logs that share a coefficient
(``log(s_q) - log(s_p) -> log(s_q/s_p)``), factors each coefficient, and puts
the rational remainder over one denominator, completing squares in parameter
differences (``mu_p**2 - 2 mu_p mu_q + mu_q**2 -> (mu_p - mu_q)**2``) when that
shortens it.  Every step is an identity; nothing is dropped.
"""

import sympy
from sympy import Add, Mul, S


def textbook(expr):
    """Return a tidy form of ``expr`` equal to it.

    Examples
    --------
    >>> from sympy import symbols, log
    >>> a, b = symbols("a b", positive=True)
    >>> textbook(log(a) - log(b) + a**2 / b - 1 / b)
    log(a/b) + (a**2 - 1)/b
    """
    if isinstance(expr, sympy.Piecewise):
        return sympy.Piecewise(*[(textbook(v) if not v.has(sympy.Sum, sympy.Integral) else v, c)
                                 for v, c in expr.args])
    if expr.has(sympy.Sum, sympy.Integral):
        return _tidy_sum(expr)
    return _tidy(expr)


def _tidy_sum(expr):
    """Tidy the closed part of an expression that also holds a Sum/Integral."""
    closed, held = S.Zero, S.Zero
    for term in Add.make_args(sympy.expand(expr)):
        if term.has(sympy.Sum, sympy.Integral):
            held += term
        else:
            closed += term
    return _tidy(closed) + held


def _is_atom(term):
    return isinstance(term, sympy.Function) or isinstance(term, (sympy.Pow,)) and isinstance(
        term.base, sympy.Function)


def _tidy(expr):
    expr = sympy.expand(sympy.expand_log(expr, force=True))
    if expr.has(sympy.sin, sympy.cos):
        expr = sympy.expand(sympy.trigsimp(expr))
    atoms = sorted({a for a in expr.atoms(sympy.Function)
                    if not a.is_number or isinstance(a, sympy.log)},
                   key=sympy.default_sort_key)
    parts = sympy.collect(expr, atoms, evaluate=False) if atoms else {S.One: expr}
    rational = parts.pop(S.One, S.Zero)
    logs, others = {}, []
    for atom, coefficient in parts.items():
        if isinstance(atom, sympy.log):
            sign = -1 if coefficient.could_extract_minus_sign() else 1
            key = sympy.factor(sign * coefficient)
            logs.setdefault(key, []).append((atom.args[0], sign))
        else:
            if coefficient.has(sympy.sin, sympy.cos):
                coefficient = sympy.trigsimp(coefficient)
            others.append(sympy.factor(coefficient) * atom)
    log_part = S.Zero
    for key, args in logs.items():
        if all(sign < 0 for _, sign in args):  # -log(a) rather than log(1/a)
            log_part -= key * sympy.log(Mul(*[a for a, _ in args]))
        else:
            log_part += key * sympy.log(Mul(*[a ** sign for a, sign in args]))
    return log_part + Add(*others) + _tidy_rational(rational)


#: multivariate factoring is exponential in the worst case; a rational part
#: with more terms than this (the 3-d normal KL) is not factored
FACTOR_TERMS = 40


def _tidy_rational(expr):
    constant, rest = expr.as_independent(*expr.free_symbols, as_Add=True) if expr.free_symbols \
        else (expr, S.Zero)
    if rest == 0:
        return constant
    candidates = [sympy.together(rest), sympy.expand(rest)]
    if len(Add.make_args(candidates[1])) <= FACTOR_TERMS:
        candidates.append(sympy.factor(rest))
    numerator, denominator = sympy.fraction(sympy.together(rest))
    completed = _complete_differences(numerator) \
        if len(Add.make_args(sympy.expand(numerator))) <= 3 * FACTOR_TERMS else None
    if completed is not None:
        candidates.append(completed / denominator)
    best = min(candidates, key=sympy.count_ops)
    return constant + best


def _complete_differences(numerator):
    """Rewrite a polynomial in ``a_p - a_q`` where that shortens it."""
    symbols = {s.name: s for s in numerator.free_symbols}
    best, changed = numerator, False
    for name, sp in symbols.items():
        if not name.endswith("_p") or name[:-2] + "_q" not in symbols:
            continue
        sq = symbols[name[:-2] + "_q"]
        t = sympy.Dummy("t")
        shifted = sympy.expand(best.subs(sp, sq + t))
        if sympy.count_ops(shifted) < sympy.count_ops(sympy.expand(best)):
            best = sympy.factor_terms(shifted).subs(t, sp - sq)
            changed = True
    return best if changed else None
