"""What a generated numeric function computes, independent of the backend.

A :class:`Plan` is read off the derived symbolic result: the arguments (one
per declared parameter, suffixed ``_p`` / ``_q``; vectors and matrices keep
their shape in the last axes), the constraints to validate, the closed-form
branches (rewritten for floating point), where the result is ``+oo`` by the
support rule, where no closed form exists, and for a same-family KL the
series near p = q.  Backends (:mod:`klsym.codegen.numpy_backend`, ...) only
print a plan.
"""

from dataclasses import dataclass, field

import sympy
from sympy import S
from sympy.codegen.cfunctions import log1p

from ..budget import time_budget
from ..derive import cross_entropy, entropy, kl
from ..errors import DerivationError
from .floating import (LARGE_ARGUMENT, factored_leading_part, for_floats,
                       large_argument_form, large_arguments, large_series_terms,
                       second_order, tangent_remainders, xlog1py, xlogy)
from .series import NearEqualSeries, difference_symbols, near_equal_series, switch_point

QUANTITIES = {"kl": kl, "entropy": entropy, "cross_entropy": cross_entropy}

#: series orders tried, highest first, and the seconds SymPy gets for each
SERIES_ORDERS = (16, 12, 8, 6, 4)
SERIES_SECONDS = 15
#: denominators of rational terms beyond which the remainder form's are not
#: made one fraction but one for each set of differences they move with (the
#: categorical's ten ``d_i - p_i d_i / q_i`` would be a numerator of thousands
#: of terms; apart, each is ``d_i^2 / q_i``); many terms over a few
#: denominators (the 3-d normal's determinant and adjugate) are one fraction
FRACTION_TERMS = 6
#: seconds SymPy gets to make the remainder form (the 3-d normal's: about 20
#: on the development machine, most of it factoring its 245 coefficients)
REMAINDER_SECONDS = 60
#: seconds SymPy gets to factor the leading part of each large-argument series
#: term, and how many of the first terms are factored
FACTOR_SECONDS = 5
FACTORED_TERMS = 4
#: seconds for the whole large-argument series (its leading parts multiplied
#: out grow with the number of parameters: the Dirichlet's at K = 5 took 80
#: s, at K = 10 more than 10 minutes); beyond, the plain series serves large
#: arguments too
LARGE_SERIES_SECONDS = 30


@dataclass(frozen=True)
class Argument:
    """One argument of the generated function."""

    name: str            # e.g. "alpha_p"
    side: str            # "p", "q" or "" (entropy)
    shape: tuple         # () scalar, (K,) vector, (d, d) matrix
    entries: tuple       # ((index tuple, scalar symbol), ...)


@dataclass
class Plan:
    quantity: str
    title: str
    arguments: list
    constraints: list            # [(relational in scalar symbols, [argument names], text)]
    branches: list               # [(condition, floating-point expression)]
    infinite: object             # condition for +oo
    open: object                 # condition where no closed form exists
    formula: object              # the symbolic result, for documentation
    series: object = None        # NearEqualSeries for the last branch, or None
    switch: float = 0.0          # series size below which the series is used
    differences: dict = field(default_factory=dict)  # d symbol -> (q symbol, p symbol)
    nonnegative: bool = False
    #: ``(condition, expression)``: where a log-gamma, digamma or Bessel
    #: argument is large, the last branch with their asymptotic series, or None
    large: object = None
    #: ``(condition, NearEqualSeries)``: where a polygamma or Bessel argument
    #: of the series is large, the series with those functions split into
    #: leading part and tail (leading parts combined and factored), or None
    large_series: object = None
    #: the last branch in the p-parameters and the differences, with each
    #: ``loggamma(x + d) - loggamma(x) - d digamma(x)`` as one
    #: ``lgamma_remainder(x, d)``, ``exp(u)`` near 1 as ``expm1mx(u) + 1 + u``
    #: and ``log1p(y)`` as ``log1pmx(y) + y`` (see
    #: :func:`~klsym.codegen.floating.tangent_remainders`), kept only if no two
    #: of its terms cancel at first order: where the closed form cancelled
    #: (every backend), or None
    remainder: object = None

    @property
    def symbols(self):
        """The scalar symbols, each once (a symmetric matrix repeats its own)."""
        return list(dict.fromkeys(s for a in self.arguments for _, s in a.entries))


def make_plan(quantity, fp, fq=None, result=None):
    """The plan for ``quantity`` of families ``fp`` (and ``fq``), explicit
    dimension; of ``result`` where it is given (one entry's term of a sum
    over entries, :mod:`klsym.codegen.entries`), else of the derived one."""
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {', '.join(QUANTITIES)}; got {quantity!r}")
    two = quantity != "entropy"
    if two and fq is None:
        raise TypeError(f"{quantity} needs two families")
    sides = [(fp, "p"), (fq, "q")] if two else [(fp, "")]
    arguments, constraints = [], []
    for family, side in sides:
        rename = family.renaming(side) if side else {s: s for s in family.params}
        for name, obj in family.declared:
            full = f"{name}_{side}" if side else name
            if isinstance(obj, sympy.Symbol):
                arguments.append(Argument(full, side, (), (((), rename[obj]),)))
            else:
                entries = tuple(((i,) if obj.cols == 1 else (i, j), rename[obj[i, j]])
                                for i in range(obj.rows) for j in range(obj.cols))
                shape = (obj.rows,) if obj.cols == 1 else obj.shape
                arguments.append(Argument(full, side, shape, entries))
        owner = {s: a.name for a in arguments for _, s in a.entries}
        for a in arguments:
            mirrored = {}
            for index, symbol in a.entries:
                mirrored.setdefault(symbol, []).append(index)
            for symbol, places in mirrored.items():
                if len(places) > 1 and a.side == side:
                    # a symmetric matrix: the mirrored entries must agree
                    first, second = (sympy.Symbol(f"{a.name}[..., {', '.join(map(str, i))}]")
                                     for i in places[:2])
                    constraints.append((sympy.Eq(first, second, evaluate=False), [a.name],
                                        f"{a.name} is symmetric"))
        for rel in family.constraints:
            rel = _renamed(rel, rename)
            constraints.append((rel, sorted({owner[s] for s in rel.free_symbols}), str(rel)))
        for s in family.params:
            if s.is_integer:
                s = rename[s]
                plain = sympy.Symbol(s.name)  # without the assumption that decides floor(s) = s
                constraints.append((sympy.Eq(sympy.floor(plain), plain, evaluate=False),
                                    [owner[s]], f"{s} is an integer"))
    if result is None:
        result = QUANTITIES[quantity](*[f for f, _ in sides])
    branches, infinite, unreachable = _branches(result)
    title = {"kl": "KL({} || {})", "cross_entropy": "H({}, {})", "entropy": "H({})"}[quantity]
    ordered = _ordered_pairs(constraints)
    plan = Plan(quantity, title.format(*[f.title for f, _ in sides]), arguments, constraints,
                [(c, for_floats(e, ordered)) for c, e in branches], infinite, unreachable, result,
                nonnegative=quantity == "kl")
    if quantity == "kl" and fq is fp and branches:
        _add_series(plan, fp, branches[-1][1])
    elif quantity == "cross_entropy" and fq is fp and branches:
        _add_differences(plan, fp, branches[-1][1])
    if branches:
        _add_large(plan, branches[-1][1], ordered)
    return plan


def _ordered_pairs(constraints):
    """The names of the pairs of parameters a constraint orders (a uniform's
    ``a < b``); names, since a derivation's symbols may carry other assumptions."""
    return {frozenset(s.name for s in rel.free_symbols) for rel, _, _ in constraints
            if isinstance(rel, (sympy.StrictGreaterThan, sympy.StrictLessThan,
                                sympy.GreaterThan, sympy.LessThan))
            and rel.lhs.is_Symbol and rel.rhs.is_Symbol}


def _add_large(plan, closed, ordered=()):
    """The last branch for large log-gamma, digamma and Bessel-function
    arguments, where the closed form is a difference of terms of size
    ``u log u`` (``x`` for the Bessel functions)."""
    large = large_argument_form(closed)
    if large is None:
        return
    condition = sympy.Or(*[u >= LARGE_ARGUMENT for u in large_arguments(closed)])
    expr = for_floats(large, ordered)
    if plan.differences:
        expr = _rational_gap(_written_in_differences(expr, plan.differences), plan.differences,
                             vanishing=False)
    plan.large = (condition, expr)


def _on_constraints(series, family, to_p, to_q):
    """Drop a first-order term that vanishes along the family's equations.

    Probabilities summing to 1 make the differences sum to 0; the first-order
    term ``-(d_1 + ... + d_K)`` of the categorical KL is then 0 exactly, and
    in floating point only rounding noise, which must not steer the switch.
    """
    if not series.first_order:
        return series
    d_of = {s: series.differences[to_q[s]] for s in family.params if to_q[s] in series.differences}
    if not _zero_along_equations(series.terms[0], family, to_p, d_of):
        return series
    return NearEqualSeries(series.terms[1:], series.differences, series.order, False)


def _renamed(rel, mapping):
    """A constraint in new symbols, kept unevaluated (``sigma_p > 0`` would
    otherwise be True by the symbol's own assumption)."""
    if isinstance(rel, sympy.core.relational.Relational):
        return sympy.Rel(rel.lhs.subs(mapping, simultaneous=True),
                         rel.rhs.subs(mapping, simultaneous=True), rel.rel_op, evaluate=False)
    return rel.subs(mapping, simultaneous=True)


def _in_differences(expr, differences):
    """Each ``theta_q - theta_p`` (or its negative) in ``expr`` becomes the
    difference symbol, which the generated code forms once from the inputs."""
    table = {}
    for d, (q, p) in differences.items():
        table[q - p], table[p - q] = d, -d
    expr = expr.replace(lambda e: isinstance(e, sympy.Add) and e in table, lambda e: table[e])
    return expr.replace(lambda e: isinstance(e, sympy.Add), lambda e: _pair_twins(e, differences))


def _rational_gap(expr, differences, vanishing=True, every=False):
    """The rational terms of ``expr`` (no functions), when their sum vanishes at
    p = q, as one fraction whose numerator is written in the differences:
    ``-1/2 + (sigma_p**2 + d_mu**2)/(2 sigma_q**2)`` ->
    ``(d_mu**2 - d_sigma (2 sigma_p + d_sigma))/(2 sigma_q**2)``, small
    where p is near q instead of a difference of two numbers near 1/2.
    With ``vanishing=False`` also where their sum at p = q is not 0 (a
    cross-entropy's ``alpha_p beta_q / beta_p - alpha_q``: two terms of size
    ``alpha`` whose difference ``(alpha_p d_beta - beta_p d_alpha) / beta_p``
    is what remains).  With ``every=True`` terms in the differences and the
    p-parameters alone join too (the tangents a remainder form split off)."""
    terms = sympy.Add.make_args(expr)
    moving = {q for q, _ in differences.values()} | (set(differences) if every else set())
    rational = [t for t in terms if not t.has(sympy.Function) and t.free_symbols & moving]
    constants = [t for t in terms if t.is_number]
    if not rational:
        return expr
    if every and len({sympy.fraction(t)[1] for t in rational}) > FRACTION_TERMS:
        return _gaps_by_differences(expr, rational, differences)
    part = sympy.Add(*rational, *constants)
    numerator, denominator = sympy.fraction(sympy.together(part))
    moved = {q: p + d for d, (q, p) in differences.items()}
    gap = sympy.expand(numerator.subs(moved, simultaneous=True))
    if gap == 0 or not any(t.has(*differences) for t in sympy.Add.make_args(gap)) or \
            vanishing and not all(t.has(*differences) for t in sympy.Add.make_args(gap)):
        return expr
    rest = [t for t in terms if t not in rational and t not in constants]
    if every:
        gap = _factored_coefficients(gap, differences)
    return sympy.Add(*rest, sympy.factor_terms(gap) / denominator)


def _gaps_by_differences(expr, rational, differences):
    """The rational terms of ``expr`` too many for one fraction, as one
    fraction for each set of differences they move with: the categorical's
    ``d_i - p_i d_i / q_i`` (its tangent, and the term the simplex adds, see
    :func:`_vanishing_tangent`) is ``d_i^2 / q_i`` for each i."""
    groups = {}
    for t in rational:
        groups.setdefault(frozenset(t.free_symbols & set(differences)), []).append(t)
    if len(groups) < 2:
        return expr
    rest = [t for t in sympy.Add.make_args(expr) if t not in rational]
    return sympy.Add(*rest, *[_rational_gap(sympy.Add(*g), differences, every=True)
                              for g in groups.values()])


def _vanishing_tangent(closed, family, to_p, to_q, differences):
    """The first-order term of ``closed`` at p = q, ``sum_j dKL/dq_j d_j``,
    where it vanishes along the family's equations (probabilities summing to
    1: the categorical's ``-(d_1 + ... + d_K)``), else 0.  It is then only the
    inputs' rounding off the simplex, and the closed form less it (a zero
    where the equations hold) has no first-order part: it cancels to the same
    second-order value the series gives, and has a remainder form.  Families
    without equations are left alone (their tangent at p = q is 0)."""
    if not any(isinstance(rel, sympy.Eq) for rel in family.constraints):
        return S.Zero
    at_p = {q: p for _, (q, p) in differences.items()}
    linear = sympy.Add(*[sympy.simplify(sympy.diff(closed, q).xreplace(at_p)) * d
                         for d, (q, _) in differences.items()])
    d_of = {s: d for s in family.params for d, (q, _) in differences.items() if q == to_q[s]}
    return linear if linear != 0 and _zero_along_equations(linear, family, to_p, d_of) else S.Zero


def _zero_along_equations(linear, family, to_p, d_of):
    """Whether the linear form ``linear`` in the differences (``d_of``: the
    difference of each family parameter) is 0 wherever p and q both satisfy
    the family's equations, i.e. along their tangent (probabilities summing
    to 1: the differences sum to 0)."""
    for rel in family.constraints:
        if not isinstance(rel, sympy.Eq):
            continue
        g = (rel.lhs - rel.rhs).subs(to_p, simultaneous=True)
        tangent = sum(sympy.diff(g, to_p[s]) * d for s, d in d_of.items())
        ds = [d for d in d_of.values() if tangent.has(d)]
        if ds:
            linear = linear.subs(ds[-1], sympy.solve(tangent, ds[-1])[0])
    return sympy.simplify(linear) == 0


def _factored_coefficients(gap, differences):
    """``gap`` as a sum over its monomials in the differences, each
    coefficient (a polynomial in the p-parameters) factored: expanded, the
    3-d normal's ``det(Sigma_p)^2 (Sigma22_p Sigma33_p - Sigma23_p^2)`` is
    dozens of terms that cancel to a small determinant (the remainder form
    lost 7e-11 of the KL where Sigma_p's condition number was 144)."""
    poly = sympy.Poly(gap, *differences)
    if all(c.is_number for c in poly.coeffs()):
        return gap
    return sympy.Add(*[sympy.factor(c) * sympy.Mul(*[d ** k for d, k in zip(differences, monomial)])
                       for monomial, c in poly.terms()])


def _log_pairs(expr, differences):
    """``c F(a) - c F(b)`` with ``a - b`` vanishing at p = q, as one log of
    ``1 + (a - b)/(...)`` with ``a - b`` in the differences (``F`` a log,
    ``log1p``, ``xlogy`` or ``xlog1py`` with the same weight): the geometric
    KL's ``log1p(-p_q) - log1p(-p_p)`` becomes ``log1p(-d_p/(1 - p_p))``."""
    moved = {q: p + d for d, (q, p) in differences.items()}
    logs = (sympy.log, log1p, xlogy, xlog1py)
    terms = list(sympy.Add.make_args(expr))

    def split(term):
        for factor in sympy.Mul.make_args(term):
            if isinstance(factor, logs):
                return term / factor, factor
        return None, None

    for i, first in enumerate(terms):
        c1, f1 = split(first)
        if f1 is None:
            continue
        for j in range(i + 1, len(terms)):
            c2, f2 = split(terms[j])
            if f2 is None or type(f1) is not type(f2) or sympy.expand(c1 + c2) != 0 \
                    or f1.args[:-1] != f2.args[:-1]:
                continue
            a, b = f1.args[-1], f2.args[-1]
            gap = sympy.expand((a - b).subs(moved, simultaneous=True))
            if gap == 0 or not all(t.has(*differences) for t in sympy.Add.make_args(gap)):
                continue
            base = b if isinstance(f1, (sympy.log, xlogy)) else 1 + b
            small = sympy.factor_terms(gap) / base
            joined = xlog1py(f1.args[0], small) if isinstance(f1, (xlogy, xlog1py)) else log1p(small)
            terms[i], terms[j] = c1 * joined, sympy.S.Zero
            break
    return sympy.Add(*terms)


def _pair_twins(add, differences):
    """``... + c q + ... - c p`` -> ``... + c d``: twin terms of a sum that
    differ only in the suffix are one exact difference (the Poisson KL's
    ``lam_q - lam_p`` among its other terms)."""
    terms = list(add.args)
    for d, (q, p) in differences.items():
        for term in list(terms):
            coefficient, rest = term.as_independent(q, as_Add=False)
            if term not in terms or rest != q:
                continue  # only terms linear in q: c q and -c p make c d
            twin = -coefficient * p
            if twin in terms:
                terms.remove(term)
                terms.remove(twin)
                terms.append(coefficient * d)
    return sympy.Add(*terms) if len(terms) != len(add.args) else add


def _near_one_logs(expr, differences):
    """``log(a / b)`` -> ``log1p((a - b) / b)`` where ``a - b`` vanishes at
    p = q: formed from the exact differences, the argument of ``log1p``
    keeps its digits where the rounded ratio ``a / b`` (within ``eps`` of 1
    by ``eps / |d|`` relative) would not.  ``xlogy`` goes to ``xlog1py``.
    A ratio that tends to another positive number ``k`` at p = q is written
    ``k (1 + (a - k b) / (k b))``: the Cauchy KL's
    ``log(((gamma_p + gamma_q)^2 + (x0_p - x0_q)^2) / (gamma_p gamma_q)) - log 4``
    becomes ``log1p((d_gamma^2 + d_x0^2) / (4 gamma_p gamma_q))``, where the
    expanded ``x0_p^2 - 2 x0_p x0_q + x0_q^2`` lost ``eps x0^2`` to
    cancellation inside the log, which no size of the terms showed."""
    moved = {q: p + d for d, (q, p) in differences.items()}
    at_p = {d: 0 for d in differences}

    def near(u):
        numerator, denominator = sympy.fraction(sympy.together(u))
        at = sympy.simplify((numerator / denominator).subs(moved, simultaneous=True).subs(at_p))
        if not (at.is_number and at.is_positive):
            return None
        gap = sympy.expand((numerator - at * denominator).subs(moved, simultaneous=True))
        if gap == 0 or not all(t.has(*differences) for t in sympy.Add.make_args(gap)):
            return None
        return at, sympy.factor_terms(gap) / (at * denominator)

    def rewrite(e):
        u = e.args[-1]
        found = near(u) if u.free_symbols & {q for q, _ in differences.values()} else None
        if found is None:
            return e
        at, small = found
        if isinstance(e, sympy.log):
            return sympy.log(at) + log1p(small)
        return e.args[0] * sympy.log(at) + xlog1py(e.args[0], small)
    return expr.replace(lambda e: isinstance(e, (sympy.log, xlogy)), rewrite)


def _branches(result):
    """``(closed branches, +oo condition, no-closed-form condition)``."""
    pieces = result.args if isinstance(result, sympy.Piecewise) else ((result, S.true),)
    closed, infinite, unreachable, earlier = [], S.false, S.false, S.false
    for value, condition in pieces:
        region = sympy.And(condition, sympy.Not(earlier))
        earlier = sympy.Or(earlier, condition)
        if value == S.Infinity:
            infinite = sympy.Or(infinite, region)
        elif value.has(sympy.Integral, sympy.Sum):
            unreachable = sympy.Or(unreachable, region)
        else:
            closed.append((region, value))
    if not closed and unreachable == S.false and infinite == S.false:
        raise DerivationError("nothing to generate", route="codegen")
    return closed, infinite, unreachable


def _add_differences(plan, family, closed):
    """The differences ``theta_q - theta_p``, formed once from the inputs, and
    the last branch written in them where terms of p and q nearly cancel;
    the ``(p, q)`` symbol pairs."""
    # parameters whose q-twin is gone from the closed branch (binomial n, set
    # equal there) stay equal; every other one may differ
    to_p, to_q = family.renaming("p"), family.renaming("q")
    pairs = [(to_p[s], to_q[s]) for s in family.params if closed.has(to_q[s])]
    plan.differences = {d: (q, p) for (p, q), d in zip(pairs, difference_symbols(pairs).values())}
    condition, expr = plan.branches[-1]
    plan.branches[-1] = (condition, _written_in_differences(expr, plan.differences))
    if plan.quantity == "cross_entropy":
        plan.branches[-1] = (condition, _rational_gap(plan.branches[-1][1], plan.differences,
                                                      vanishing=False))
    return pairs


def _written_in_differences(expr, differences):
    """``expr`` with the differences formed once from the inputs, and the
    logs of twins that nearly cancel joined into one ``log1p``."""
    expr = _in_differences(expr, differences)
    return _near_one_logs(_log_pairs(expr, differences), differences)


def _add_series(plan, family, closed):
    to_p, to_q = family.renaming("p"), family.renaming("q")
    pairs = _add_differences(plan, family, closed)
    condition, expr = plan.branches[-1]
    expr = expr - _vanishing_tangent(closed, family, to_p, to_q, plan.differences)
    plan.branches[-1] = (condition, _rational_gap(expr, plan.differences))
    series = None
    coupled = _coupled_differences(closed, [q for _, q in pairs])
    # several parameters that each move their own terms (beta, Dirichlet): in
    # the directions where the Fisher information is small (all shapes scaled
    # together) those terms are far larger than the KL, the closed form loses
    # far more than eps / r^2, and the series must reach further; their
    # orders are cheap to derive.  One parameter keeps the usual balance.
    start = 16 if coupled <= 1 and len(pairs) > 1 else \
        12 if coupled <= 2 else 8 if coupled <= 4 else 6
    for order in [o for o in SERIES_ORDERS if o <= start]:
        # many parameters make high orders expensive (the 2-d normal has 5):
        # the highest order that SymPy finishes within the budget is kept
        try:
            with time_budget(SERIES_SECONDS, route="series"):
                series = near_equal_series(closed, pairs, order)
            break
        except DerivationError:
            continue
    # the remainder form needs no series: where SymPy finishes none (the 3-d
    # normal's nine differences), it alone replaces the cancelled closed form
    plan.remainder = _remainder(plan)
    if series is None:
        return  # not smooth at p = q (uniform), or too large: no series
    series = _on_constraints(series, family, to_p, to_q)
    plan.series = NearEqualSeries(tuple(for_floats(t) for t in series.terms),
                                  series.differences, series.order, series.first_order)
    plan.switch = switch_point(series.order)
    try:
        with time_budget(LARGE_SERIES_SECONDS, route="series"):
            plan.large_series = _large_series(series)
    except DerivationError:
        pass  # the plain series serves large arguments too, with fewer digits there


def _large_series(series):
    """``(condition, NearEqualSeries)`` of ``series`` with each polygamma and
    Bessel function of a large argument split into leading part and tail,
    or None where it has none."""
    large = large_series_terms(series.terms)
    if large is None:
        return None
    large, arguments = large
    condition = sympy.Or(*[x >= LARGE_ARGUMENT for x in arguments])
    # the leading terms carry the cancellation (and decide the switch);
    # the later ones are smaller by powers of the relative differences
    large = [_factored(t) if k < FACTORED_TERMS else t for k, t in enumerate(large)]
    return condition, NearEqualSeries(tuple(for_floats(t) for t in large), series.differences,
                                      series.order, series.first_order)


def _remainder(plan):
    """The closed form with each function less its tangent at p = q as one
    term (:func:`~klsym.codegen.floating.tangent_remainders`), the rational
    terms and constants left (the tangents, the Gumbel's EulerGamma terms)
    as one fraction in the differences, then ``q = p + d`` throughout; None
    where there is none, where two of its terms still cancel at first order,
    or where SymPy takes longer than ``REMAINDER_SECONDS``."""
    remainder = tangent_remainders(plan.branches[-1][1], plan.differences)
    if remainder is None:
        return None
    try:
        with time_budget(REMAINDER_SECONDS, route="series"):
            remainder = _rational_gap(remainder, plan.differences, every=True)
            remainder = remainder.xreplace({q: p + d for d, (q, p) in plan.differences.items()})
            return remainder if second_order(remainder, plan.differences) else None
    except DerivationError:
        return None


def _coupled_differences(closed, qs):
    """How many of the parameters ``qs`` one term of ``closed`` depends on
    jointly, a sum of them (``loggamma(alpha1_q + alpha2_q)``) counting as
    one: the series expands that sum in one symbol.  SymPy's cost of a
    series order grows with this number, not with the number of parameters
    (the Dirichlet's terms each move along one entry or along the sum of all,
    the multivariate normal's determinant along every entry at once)."""
    qs = set(qs)

    def linear_sum(e):
        moving = e.free_symbols & qs
        return isinstance(e, sympy.Add) and len(moving) > 1 and \
            not any(sympy.diff(e, q).free_symbols & qs for q in moving)

    collapsed = closed.replace(linear_sum, lambda e: sympy.Dummy("sum"))
    return max((len(t.free_symbols & qs) + len(t.atoms(sympy.Dummy))
                for t in sympy.Add.make_args(collapsed)), default=0)


def _factored(term):
    """:func:`~klsym.codegen.floating.factored_leading_part` within
    ``FACTOR_SECONDS``; the term as it is when SymPy takes longer."""
    try:
        with time_budget(FACTOR_SECONDS, route="series"):
            return factored_leading_part(term)
    except DerivationError:
        return term
