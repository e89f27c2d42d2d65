"""Expectations ``E_p[g(X)]`` of elementary functions under a family.

This is the *expectation route*: a log-density is a sum of elementary terms
(``x``, ``x**2``, ``log(x)``, ``log(1 - x)``, ``log(k!)``, ...), and by
linearity every KL, entropy or cross-entropy is a combination of their
expectations.  Each expectation is derived once per family, in this order:

1. a declared, cited lemma of the family (checked numerically in tests);
2. for ``log(u(x))**m``: the m-th derivative at ``s = 0`` of the moment
   ``E[u(X)**s]``, itself integrated by SymPy (Gamma-type integrals are easy
   for SymPy, their log-weighted versions are not);
3. for ``k**m`` under a discrete family: the factorial moments from the
   probability generating function ``E[t**k]`` differentiated at ``t = 1``;
4. direct integration (continuous) or summation (discrete) by SymPy; on
   ``(0, oo)`` with ``log(x)`` in the integrand, after the substitution
   ``x = exp(u)``, which turns log-scale densities into Gaussian-type ones.

When none finishes, the honest answer is the unevaluated ``Integral`` or
``Sum`` of ``p(x) g(x)``; nothing is guessed.
"""

import os

import sympy
from sympy import Add, S

from . import cache
from .budget import time_budget
from .errors import BudgetExceeded, DerivationError
from .constraints import resolve_piecewise

_memo = cache.remember_in_memory({})

#: seconds SymPy may spend on one expectation before it is left unevaluated
#: (the derivation's own, larger budget still bounds the whole)
EXPECTATION_SECONDS = float(os.environ.get("KLSYM_EXPECTATION_BUDGET", "8"))


def expectation(family, g, budget=None):
    """Return ``E[g(X)]`` for ``X`` in ``family`` (in its own parameter symbols).

    Parameters
    ----------
    family : Family
    g : sympy expression in ``family.variable`` (other symbols are constants)
    budget : float, optional
        Seconds allowed for each SymPy integration or summation (default
        ``KLSYM_EXPECTATION_BUDGET`` or 8); past it the expectation is left
        as its unevaluated integral or sum.

    Examples
    --------
    >>> import klsym
    >>> f = klsym.family("exponential")
    >>> expectation(f, f.variable)
    1/lam
    """
    xs = family.variables
    g = sympy.expand(sympy.sympify(g))
    if not g.has(*xs):
        return g
    if isinstance(g, Add):
        return Add(*[expectation(family, term, budget) for term in g.args])
    coefficient, core = g.as_independent(*xs, as_Add=False)
    if coefficient != 1:
        return coefficient * expectation(family, core, budget)
    key = (family.fingerprint, core)
    if key in _memo:
        return _memo[key]
    value, how = _derive(family, core, budget)
    if how == "out of time":
        # honest but machine-dependent: neither remembered nor cached
        global expired
        expired += 1
        return value
    _memo[key] = value
    return value


#: how many expectations ran out of their budget in this process; a
#: derivation that saw this grow is not cached
expired = 0


def _derive(family, g, budget):
    value = lemma_value(family, g)
    if value is not None:
        return value, "lemma"
    if family.is_multivariate:
        # SymPy's multiple integrals and sums of these densities do not finish
        # in useful time: multivariate families rely on their lemmas
        return definition(family, g), "unevaluated"
    try:
        seconds = EXPECTATION_SECONDS if budget is None else budget
        with time_budget(seconds, route="expectation"):
            value = _by_moment(family, g)
            if value is not None:
                return value, "moment"
            value = _by_generating_function(family, g)
            if value is not None:
                return value, "generating function"
            value = _by_integration(family, g)
            if value is not None:
                return value, "integral"
    except BudgetExceeded:
        return definition(family, g), "out of time"
    except (DerivationError, NotImplementedError, ValueError, TypeError, ZeroDivisionError):
        pass
    return definition(family, g), "unevaluated"


def lemma_value(family, g):
    """The value of a declared lemma for ``g``, or None.

    A lemma's left side may hold symbols that are neither parameters nor the
    variable (``Abs(x - c)``): they match any expression free of the variable,
    so one lemma serves ``E_p[|X - mu_q|]`` for every q.
    """
    xs = family.variables
    for key, (value, _) in family.lemmas.items():
        if key == g:
            return value
        extra = key.free_symbols - set(family.params) - set(xs)
        if not extra:
            continue
        wilds = {s: sympy.Wild(s.name, exclude=list(xs)) for s in extra}
        pattern = key.subs(wilds, simultaneous=True)
        attempts = [(g, pattern)]
        if isinstance(g, sympy.Abs) and isinstance(pattern, sympy.Abs):  # |u| = |-u|
            attempts += [(g.args[0], pattern.args[0]), (-g.args[0], pattern.args[0])]
        for target, form in attempts:
            found = target.match(form)
            if found is not None and all(w in found for w in wilds.values()):
                return value.subs({s: found[w] for s, w in wilds.items()}, simultaneous=True)
    return None


def total_mass(family):
    """The symbolic integral (sum) of the density, or None if not found."""
    return _integrate(family, family.pdf)


def definition(family, g):
    """The unevaluated ``Integral``/``Sum`` of ``p(x) g(x)`` over the support."""
    x = family.variable
    support = family.support
    if family.discrete and isinstance(support, sympy.FiniteSet):
        return Add(*[(family.pdf * g).subs(x, k) for k in support])
    return over_support(family, family.pdf * g)


def over_support(family, body):
    """``Integral`` (``Sum``) of ``body`` over the family's support, unevaluated.

    A multivariate support is a product of intervals (ranges), or the simplex
    ``x1 + ... + xK = c`` over non-negative coordinates: there the last
    coordinate is eliminated and the others run over nested ranges.
    """
    make = sympy.Sum if family.discrete else sympy.Integral
    support = family.support
    if not family.is_multivariate:
        x = family.variable
        return make(body, (x, support.inf, support.sup))
    xs = family.variables
    if isinstance(support, sympy.ProductSet):
        return make(body, *[(x, part.inf, part.sup) for x, part in zip(xs, support.args)])
    if isinstance(support, sympy.ConditionSet) and isinstance(support.condition, sympy.Eq):
        total = support.condition.lhs - support.condition.rhs
        c = -total.subs({x: 0 for x in xs})
        base = support.base_set
        if sympy.expand(total - (Add(*xs) - c)) == 0 and all(part.inf == 0 for part in base.args):
            *rest, last = xs
            body = body.subs(last, c - Add(*rest))
            limits = [(x, 0, c - Add(*rest[i + 1:])) for i, x in enumerate(rest)]
            return make(body, *limits)
    raise DerivationError(f"cannot write an integral over the support {support} of {family.name}",
                          route="expectation")


def _log_power(g, x):
    """``(u, m)`` if ``g == log(u)**m`` with ``m`` in (1, 2), else None."""
    base, m = (g.base, g.exp) if isinstance(g, sympy.Pow) else (g, S.One)
    if isinstance(base, sympy.log) and m in (1, 2) and base.args[0].has(x):
        u = base.args[0]
        if not u.has(sympy.factorial, sympy.binomial, sympy.gamma):
            return u, int(m)
    return None


def _integrate(family, body, resolve=True):
    x = family.variable
    support = family.support
    lo, hi = support.inf, support.sup
    if family.discrete:
        if isinstance(support, sympy.FiniteSet):
            return Add(*[body.subs(x, k) for k in support])
        value = sympy.summation(body, (x, lo, hi))
        if hi is not S.Infinity:
            value = _finite_sum_closed_form(value)
    elif lo == 0 and hi is S.Infinity and body.has(sympy.log(x)):
        u = sympy.Dummy("u", real=True)
        value = sympy.integrate(body.subs(x, sympy.exp(u)) * sympy.exp(u), (u, -S.Infinity, S.Infinity),
                                conds="none")
    else:
        value = sympy.integrate(body, (x, lo, hi), conds="none")
    if not resolve:
        return value
    return _settled(value, family)


def _settled(value, family):
    """``value`` with its Piecewise guards decided by the constraints, or None."""
    value = resolve_piecewise(value, family.constraints)
    if value.has(sympy.Integral, sympy.Sum, sympy.Piecewise):
        return None
    return value


def _by_moment(family, g):
    found = _log_power(g, family.variable)
    if found is None or family.discrete:
        return None
    u, m = found
    s = sympy.Dummy("s", real=True)
    moment = _integrate(family, family.pdf * u ** s)
    if moment is None:
        return None
    value = sympy.diff(moment, s, m).subs(s, 0)
    if value.has(sympy.Subs, sympy.Derivative, sympy.nan, sympy.zoo):
        return None
    return sympy.simplify(value)


def _finite_sum_closed_form(value):
    """Drop SymPy's convergence guard on a sum with finitely many terms.

    For a finite (symbolic-length) sum SymPy returns
    ``Piecewise((closed, cond), (Sum(...), True))`` where ``cond`` is the
    convergence condition of the corresponding infinite series; a finite sum
    always converges, so the closed form holds.  (Checked numerically in the
    tests at points where ``cond`` is false.)
    """
    def pick(pw):
        last_value, last_cond = pw.args[-1]
        if len(pw.args) == 2 and last_cond == S.true and isinstance(last_value, sympy.Sum):
            return pw.args[0][0]
        return pw
    return value.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


def _by_generating_function(family, g):
    x = family.variable
    if not family.discrete or isinstance(family.support, sympy.FiniteSet):
        return None
    if not (g == x or (isinstance(g, sympy.Pow) and g.base == x and g.exp == 2)):
        return None
    t = sympy.Dummy("t", positive=True)
    # The guards of the generating function mention t; they are decided at
    # t = 1, an interior point of the region where the series converges.
    pgf = _integrate(family, family.pdf * t ** x, resolve=False)
    first = sympy.diff(pgf, t).subs(t, 1)
    value = first if g == x else sympy.diff(pgf, t, 2).subs(t, 1) + first
    value = _settled(value, family)
    if value is None or value.has(sympy.nan, sympy.zoo, sympy.Subs, sympy.Derivative):
        return None
    return sympy.simplify(value)


def _by_integration(family, g):
    value = _integrate(family, family.pdf * g)
    if value is None or value.has(sympy.nan, sympy.zoo):
        return None
    if value.has(sympy.sinh, sympy.cosh):
        value = value.rewrite(sympy.exp)
    # erf(z) + erfc(z) = 1 is left unsimplified by SymPy's integrator
    value = value.replace(sympy.erfc, lambda z: 1 - sympy.erf(z))
    return sympy.simplify(value)
