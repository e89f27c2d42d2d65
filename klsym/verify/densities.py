"""The declared densities, compiled for numerical work (the reference's input).

Only the declaration is read: ``family.pdf``, its variable(s), parameters and
support.  Nothing derived by klsym (no canonical form, no expectation, no
closed form) is used.  Each density is split into an x-free constant, whose
log is evaluated once per point, and an x-dependent part, lambdified for
mpmath with the parameters as arguments (so that every number is formed at
the working precision of the call).  Substitutions of the variable are done
symbolically before lambdifying, so that the distance to a finite support
end is handed to the density exactly (``1 - x`` stays accurate next to 1).
"""

import math

import mpmath
import sympy
from sympy import S

from ..family import subs_set


def split_constant(pdf, variables):
    """``(constant, rest)`` with ``pdf = constant * rest`` and ``constant`` free
    of the variables."""
    constant, rest = sympy.sympify(pdf).as_independent(*variables, as_Add=False)
    return constant, rest


def mp_function(args, expr):
    """``expr`` as a function of ``args`` evaluated by mpmath."""
    return sympy.lambdify(args, expr, modules="mpmath")


def float_function(args, expr):
    """``expr`` as a function of floats (mpmath where ``math`` has no counterpart)."""
    function = sympy.lambdify(args, expr, modules=["math", "mpmath"])

    def call(*values):
        try:
            return float(function(*values))
        except (OverflowError, ValueError, ZeroDivisionError, TypeError, ArithmeticError):
            return math.nan  # the caller decides: mpmath, or negligible
    return call


def screen_log(expr):
    """A cheap float version of ``log expr`` (logs of products split), used
    only to locate the mass and skip negligible nodes, never for values."""
    return sympy.expand_log(sympy.log(expr), force=True)


def to_mpf(value):
    """An exact SymPy number (or expression) at the current mpmath precision."""
    value = sympy.sympify(value)
    if value is S.Infinity:
        return mpmath.inf
    if value is S.NegativeInfinity:
        return mpmath.ninf
    if value.is_Rational:
        return mpmath.mpf(int(value.p)) / int(value.q)
    return mpmath.mpf(sympy.N(value, mpmath.mp.dps + 10)._mpf_)


def renamed(family, suffix):
    """The family's pdf, support and parameter symbols with parameters renamed
    ``name_suffix`` (p and q of one family must not share symbols)."""
    names = family.renaming(suffix)
    pdf = family.pdf.subs(names, simultaneous=True)
    support = subs_set(family.support, names)
    return pdf, support, tuple(names[s] for s in family.params), names


def parameter_values(family, values, suffix):
    """``{suffixed symbol: exact value}`` from ``{name: value}``."""
    names = family.renaming(suffix)
    return {names[s]: sympy.Rational(values[s.name]) for s in family.params}


def interval_ends(support):
    """``(lo, hi)`` of an Interval-like support, symbolic."""
    if isinstance(support, sympy.Interval):
        return support.start, support.end
    if support is S.Reals:
        return S.NegativeInfinity, S.Infinity
    return support.inf, support.sup


def kinks(expr, x):
    """Points where ``expr`` is not smooth in ``x``: zeros of the arguments
    of Abs, sign, Heaviside, Max/Min and the boundaries of Piecewise conditions
    that are linear in ``x``."""
    found = []
    for node in sympy.preorder_traversal(expr):
        candidates = []
        if isinstance(node, (sympy.Abs, sympy.sign, sympy.Heaviside)):
            candidates = [node.args[0]]
        elif isinstance(node, (sympy.Max, sympy.Min)):
            candidates = [a - b for a in node.args for b in node.args if a != b]
        elif isinstance(node, sympy.Piecewise):
            for _, cond in node.args:
                candidates += [r.lhs - r.rhs for r in cond.atoms(sympy.core.relational.Relational)]
        for arg in candidates:
            if not arg.has(x):
                continue
            try:
                solutions = sympy.solve(arg, x)
            except NotImplementedError:
                continue
            found += [s for s in solutions if s.is_real is not False]
    return list(dict.fromkeys(found))
