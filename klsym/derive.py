"""KL divergence, entropy and cross-entropy, derived from the declarations.

Two routes, both generic:

* ``"exponential-family"`` (same family with a minimal exponential-family
  form): ``KL(p||q) = A(q) - A(p) - (eta_q - eta_p) . E_p[T]`` with
  ``E_p[T] = grad_eta A`` through the chain rule (see :mod:`klsym.canonical`);
  ``H(p) = A(p) - eta_p . E_p[T] - E_p[log h]``;
  ``H(p, q) = A(q) - eta_q . E_p[T] - E_p[log h]``.
* ``"expectation"`` (any pair on the same kind of space): ``log p - log q``
  (or ``log p``, ``log q``) is split into elementary terms whose expectations
  under ``p`` come from :mod:`klsym.expectations`.

Parameters held fixed by a family's form (binomial ``n``, negative binomial
``r``) must agree between p and q for the closed form; otherwise the result is
the unevaluated defining sum or integral, inside a ``Piecewise``.

Symbolic results are derived once per family pair, in parameters suffixed
``_p`` and ``_q``, cached (see :mod:`klsym.cache`), and then evaluated at the
given parameter values.
"""

import warnings

import sympy
from sympy import Add, S

from . import cache, expectations
from .budget import time_budget
from .errors import DerivationError
from .expectations import expectation, over_support
from .dimensional import DimensionalFamily
from .family import Distribution, Family
from .general import derive_general
from .numeric import evaluate
from .registry import lookup
from .support import support_rule
from .textbook import textbook

ROUTES = ("auto", "exponential-family", "expectation")


def kl(p, q, *, route="auto", budget=None, base=None, numeric=False, dps=15):
    """KL(p || q) = E_p[log p(X) - log q(X)], derived in closed form.

    Parameters
    ----------
    p, q : Distribution, Family or str
        A distribution (numeric or symbolic parameters), or a family / family
        name for the fully symbolic result in parameters ``<name>_p`` and
        ``<name>_q``.
    route : {"auto", "exponential-family", "expectation"}
        Derivation route; "auto" takes the exponential-family route where it
        applies.
    budget : float, optional
        Seconds allowed for the derivation (default ``KLSYM_TIME_BUDGET`` or
        120); a :class:`~klsym.errors.DerivationError` is raised past it.
    base : number, optional
        Logarithm base of the result (default: natural log, nats; 2 gives bits).
    numeric : bool
        Return a number with ``dps`` significant digits instead of the
        expression; parts SymPy left unevaluated are computed by mpmath
        quadrature or summation (see :mod:`klsym.numeric`).  Needs numeric
        parameter values.
    dps : int
        Significant digits of a numeric result (default 15).

    Returns
    -------
    sympy.Expr
        The closed form (or a SymPy Float when ``numeric``); ``sympy.N(expr,
        digits)`` evaluates a closed form.

    Examples
    --------
    >>> import klsym
    >>> klsym.kl(klsym.Exponential(lam=1), klsym.Exponential(lam=2))
    1 - log(2)
    >>> klsym.kl(klsym.Exponential(lam=1), klsym.Exponential(lam=2), numeric=True, dps=20)
    0.30685281944005469058
    """
    fp, vp = _resolve(p, "p")
    fq, vq = _resolve(q, "q")
    expr = _symbolic("kl", fp, fq, route, budget)
    return _finish(_evaluate(expr, vp | vq), base, numeric, dps)


def entropy(p, *, route="auto", budget=None, base=None, numeric=False, dps=15):
    """Differential (continuous) or Shannon (discrete) entropy H(p) = -E_p[log p].

    A family or family name gives the symbolic entropy in the family's own
    parameter names; ``route``, ``budget`` and ``base`` are as for :func:`kl`.

    Examples
    --------
    >>> import klsym
    >>> klsym.entropy(klsym.Exponential(lam=1))
    1
    """
    fp, vp = _resolve(p, None)
    expr = _symbolic("entropy", fp, None, route, budget)
    return _finish(_evaluate(expr, vp), base, numeric, dps)


def cross_entropy(p, q, *, route="auto", budget=None, base=None, numeric=False, dps=15):
    """Cross-entropy H(p, q) = -E_p[log q(X)]; arguments as for :func:`kl`.

    Examples
    --------
    >>> import klsym
    >>> klsym.cross_entropy(klsym.Exponential(lam=1), klsym.Exponential(lam=1))
    1
    """
    fp, vp = _resolve(p, "p")
    fq, vq = _resolve(q, "q")
    expr = _symbolic("cross_entropy", fp, fq, route, budget)
    return _finish(_evaluate(expr, vp | vq), base, numeric, dps)


# -- plumbing -------------------------------------------------------------
class _Values(dict):
    """Parameter values keyed by (suffixed) symbol, with their constraints."""

    def __init__(self, values=(), constraints=()):
        super().__init__(values)
        self.constraints = list(constraints)

    def __or__(self, other):
        return _Values({**self, **other}, self.constraints + other.constraints)


def _resolve(arg, suffix):
    """``(family, values)`` for a distribution, family or name."""
    if isinstance(arg, str):
        arg = lookup(arg)
    if isinstance(arg, DimensionalFamily):
        if arg.general is not None:
            return arg, _Values()
        raise DerivationError(
            f"{arg.name} has a family per dimension: pass klsym.family({arg.name!r}).of(d) "
            f"for the symbolic result in dimension d, or a distribution with values",
            route="expectation")
    if isinstance(arg, Family):
        return arg, _Values()
    if isinstance(arg, Distribution):
        names = arg.family.renaming(suffix) if suffix else {s: s for s in arg.family.params}
        constraints = [c.subs(names, simultaneous=True) for c in arg.family.constraints]
        return arg.family, _Values({names[s]: v for s, v in arg.values.items()}, constraints)
    raise TypeError(f"expected a distribution, a family or a family name; got {arg!r}")


def _finish(expr, base, numeric, dps):
    expr = _in_base(expr, base)
    return evaluate(expr, dps) if numeric else expr


def _in_base(expr, base):
    if base is None:
        return expr
    base = sympy.sympify(base)
    if base.is_positive is False or base == 1:
        raise ValueError(f"base must be positive and not 1; got {base}")
    return expr / sympy.log(base)


def _evaluate(expr, values):
    if not values:
        return expr
    if isinstance(expr, sympy.Piecewise):
        # only the branch that holds: another (a defining Sum with p**r for
        # rational r of large terms) can be costly or overflow to build
        for value, condition in expr.args:
            decided = condition.subs(values, simultaneous=True) if condition is not sympy.true \
                else sympy.true
            if decided is sympy.true:
                return _evaluate(value, values)
            if decided is not sympy.false:
                break
    try:
        out = expr.subs(values, simultaneous=True)
    except OverflowError:
        # SymPy factors a huge rational power to simplify it; keep it unevaluated
        with sympy.evaluate(False):
            out = expr.subs(values, simultaneous=True)
    out = out.doit(deep=False) if isinstance(out, sympy.Piecewise) else out
    if out.has(sympy.nan, sympy.zoo):
        # A closed boundary of the parameter domain (geometric p = 1) can
        # turn a term into 0 * log 0: the value there is the limit from
        # inside the domain.
        return _boundary_limit(expr, values)
    return out


def _boundary_limit(expr, values):
    """Substitute one value at a time, taking the limit (one-sided from the
    admissible side where there is one) where plain substitution gives nan."""
    expr = _branch_at(expr, values)
    for symbol, value in values.items():
        trial = expr.subs(symbol, value)
        if not trial.has(sympy.nan, sympy.zoo):
            expr = trial
            continue
        others = {s: v for s, v in values.items() if s != symbol}
        constraints = [c.subs(others, simultaneous=True) for c in values.constraints]
        direction = _admissible_side(symbol, value, constraints)
        expr = sympy.limit(expr, symbol, value, direction or "+-")
    return expr


def _branch_at(expr, values):
    """Replace each Piecewise by the branch its conditions select at ``values``."""
    def pick(pw):
        for branch, condition in pw.args:
            verdict = condition.subs(values, simultaneous=True)
            if verdict == S.true:
                return branch
            if verdict != S.false:
                return pw
        return pw
    return expr.replace(lambda e: isinstance(e, sympy.Piecewise), pick)


def _admissible_side(symbol, value, constraints):
    """'-' or '+' when only that side of ``value`` satisfies ``symbol``'s
    constraints; None (two-sided) otherwise."""
    own = [c for c in constraints if c.free_symbols == {symbol}]
    step = sympy.Rational(1, 10 ** 9)
    sides = [side for side, point in (("-", value - step), ("+", value + step))
             if all(c.subs(symbol, point) == S.true for c in own)]
    return sides[0] if len(sides) == 1 else None


def _symbolic(quantity, fp, fq, route, budget):
    if route not in ROUTES:
        raise ValueError(f"route must be one of {', '.join(ROUTES)}; got {route!r}")
    if isinstance(fp, DimensionalFamily) or isinstance(fq, DimensionalFamily):
        return _in_general_dimension(quantity, fp, fq, budget)
    if route == "auto":
        route = "exponential-family" if _prefers_route_one(fp, fq) else "expectation"
    key = cache.make_key(quantity, route, fp.fingerprint, fq.fingerprint if fq else "")
    found = cache.load(key)
    if found is not None:
        return found
    expired_before = expectations.expired
    with time_budget(budget, route=route):
        if route == "exponential-family":
            if not _has_route_one(fp, fq):
                raise DerivationError(
                    f"the exponential-family route needs one family with a minimal "
                    f"exponential-family form; {fp.name}"
                    f"{'' if fq is None else ' / ' + fq.name} has none", route=route)
            expr = _by_exponential_family(quantity, fp)
        else:
            expr = _by_expectation(quantity, fp, fq)
        expr = textbook(expr)
    if expectations.expired == expired_before:  # a result cut short by the clock is not kept
        cache.store(key, expr)
    return expr


def _in_general_dimension(quantity, fp, fq, budget):
    """The result for a symbolic dimension, in matrix notation (see :mod:`klsym.general`)."""
    if fq is not None and fq is not fp:
        raise DerivationError(
            f"in general dimension klsym derives results within one family; got "
            f"{fp.name} and {fq.name}", route="expectation")
    with time_budget(budget, route="expectation"):
        return derive_general(quantity, fp.general)


def _has_route_one(fp, fq):
    return (fq is None or fq is fp) and fp.canonical is not None and fp.canonical.is_minimal


def _prefers_route_one(fp, fq):
    """The exponential-family route, unless parameters are held fixed: then
    the expectation route may still find a closed form for unequal ones
    (Weibull with different shapes)."""
    return _has_route_one(fp, fq) and not fp.canonical.fixed


def _suffixed(family, quantity):
    """Renamings for p and q: q's fixed parameters become p's in the closed form."""
    if quantity == "entropy":
        same = {s: s for s in family.params}
        return same, same, S.true
    to_p, to_q = family.renaming("p"), family.renaming("q")
    fixed = family.canonical.fixed if family.canonical else ()
    agree = sympy.And(*[sympy.Eq(to_p[s], to_q[s]) for s in fixed])
    closed_q = {s: (to_p[s] if s in fixed else to_q[s]) for s in family.params}
    return to_p, closed_q, agree


def _guarded(closed, agree, quantity, fp, fq, facts=()):
    """Attach the support rule and, for families with fixed parameters, the
    agreement of those parameters to a derived value.

    The result is ``+oo`` where p's support escapes q's, ``closed`` where the
    fixed parameters agree (if any), and the defining sum/integral otherwise.
    """
    rule = support_rule(fp, fq, facts)
    if rule.contained is False:
        return S.Infinity
    branches = [] if rule.contained else [(S.Infinity, rule.escape)]
    holds = sympy.Not(rule.escape)
    if isinstance(holds, sympy.Eq) and holds.rhs.is_Symbol:
        # where p's support lies in q's only if two parameters are equal
        # (multinomial n), the closed branch may use that equality
        closed = closed.subs(holds.rhs, holds.lhs)
    if agree == S.true:
        return sympy.Piecewise(*branches, (closed, True)) if branches else closed
    return sympy.Piecewise((closed, agree), *branches, (_definition(quantity, fp, fq), True))


def _by_exponential_family(quantity, family):
    form = family.canonical
    to_p, to_q, agree = _suffixed(family, quantity)
    a, eta = form.log_normalizer, sympy.Matrix(form.natural_parameters)
    mean_t = sympy.Matrix(form.mean_statistics).subs(to_p, simultaneous=True)
    eta_p = eta.subs(to_p, simultaneous=True)
    eta_q = eta.subs(to_q, simultaneous=True)
    a_p, a_q = a.subs(to_p, simultaneous=True), a.subs(to_q, simultaneous=True)
    if quantity == "kl":
        return _guarded(a_q - a_p - (eta_q - eta_p).dot(mean_t), agree, quantity, family, family)
    log_h = expectation(family, form.log_base_measure).subs(to_p, simultaneous=True)
    if quantity == "entropy":
        return a_p - eta_p.dot(mean_t) - log_h
    return _guarded(a_q - eta_q.dot(mean_t) - log_h, agree, quantity, family, family)


def _by_expectation(quantity, fp, fq):
    if quantity == "entropy":
        return _expected(fp, -fp.log_density)
    to_p, to_q = fp.renaming("p"), fq.renaming("q")
    facts = [c.subs(to_p, simultaneous=True) for c in fp.constraints] + \
        [c.subs(to_q, simultaneous=True) for c in fq.constraints]
    if support_rule(fp, fq, facts).contained is False:
        return S.Infinity  # p puts mass where q has none: nothing to integrate
    # Expectations are taken in p's own symbols; q's parameters are renamed
    # first so the two never collide.
    log_q = fq.log_density.subs(_same_variables(fp, fq), simultaneous=True).subs(to_q, simultaneous=True)
    value = _expected(fp, fp.log_density - log_q if quantity == "kl" else -log_q)
    value = value.subs(to_p, simultaneous=True)
    unevaluated = value.has(sympy.Integral, sympy.Sum)
    fixed = fp.canonical.fixed if fq is fp and fp.canonical else ()
    if unevaluated and fixed:
        # closed only where the fixed parameters agree (binomial n): there the
        # unevaluated parts cancel
        closed = value.subs({to_q[s]: to_p[s] for s in fixed}, simultaneous=True)
        agree = sympy.And(*[sympy.Eq(to_p[s], to_q[s]) for s in fixed])
        return _guarded(closed, agree, quantity, fp, fq, facts)
    if unevaluated and fq is not fp:
        warnings.warn(f"klsym: part of the {quantity} of {fp.name} and {fq.name} has no closed "
                      f"form here and is left as an unevaluated sum/integral", stacklevel=5)
    return _guarded(value, S.true, quantity, fp, fq, facts)


def _same_variables(fp, fq):
    """Map q's variable(s) to p's, coordinate by coordinate."""
    if fp.dimension != fq.dimension:
        raise DerivationError(f"{fp.name} has dimension {fp.dimension} and {fq.name} dimension "
                              f"{fq.dimension}: KL between them is not defined", route="support")
    return dict(zip(fq.variables, fp.variables))


def _expected(family, integrand):
    """E_p[integrand] by linearity over its terms grouped by their x-part."""
    return Add(*[c * expectation(family, g) for g, c in _by_statistic(integrand, family.variables)])


def _by_statistic(expr, xs):
    """Group the additive terms of ``expr`` by their factor in the variables ``xs``."""
    groups = {}
    for term in Add.make_args(sympy.expand(expr)):
        coefficient, g = term.as_independent(*xs, as_Add=False)
        groups[g] = groups.get(g, S.Zero) + coefficient
    return [(g, c) for g, c in groups.items() if c != 0]


def _definition(quantity, fp, fq):
    """The defining, unevaluated sum/integral (used where no closed form holds)."""
    to_p, to_q = fp.renaming("p"), fq.renaming("q")
    p = fp.pdf
    q = fq.pdf.subs(_same_variables(fp, fq), simultaneous=True).subs(to_q, simultaneous=True)
    body = p * sympy.log(p / q) if quantity == "kl" else -p * sympy.log(q)
    return over_support(fp, body).subs(to_p, simultaneous=True)
