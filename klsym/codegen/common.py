"""What every backend prints the same way: the module's documentation, shared
subexpressions, and the near-equal series as functions of the parameters of
p and the differences."""

import sympy

from .. import __version__
from .floating import LARGE_ARGUMENT, lgamma_remainder, rounding_floor, rounding_weight, summed_size
from .printers import UnsupportedFunction, check_supported, fold_constants


def prepared(plan, backend):
    """The plan's expressions with constants folded, checked against the
    backend's functions: ``(closed branches, series terms, (lead, size))``.

    Raises :class:`~klsym.codegen.printers.UnsupportedFunction` naming the
    missing function, before any code is printed.
    """
    branches = [(fold_constants(c), fold_constants(e)) for c, e in plan.branches]
    series = tuple(fold_constants(t) for t in plan.series.terms) if plan.series else ()
    ratios = tuple(fold_constants(r) for r in plan.series.ratios) if plan.series else ()
    check_supported(backend, [e for _, e in branches] + list(series) + list(ratios), plan.title)
    return branches, series, ratios


def large_series(plan, backend):
    """``(condition, terms, (lead, size))`` of the plan's near-equal series for
    large polygamma and Bessel arguments, constants folded; None where there is none or the
    backend lacks one of its functions (the plain series is then used)."""
    if plan.large_series is None or plan.series is None:
        return None
    condition, series = plan.large_series
    terms = tuple(fold_constants(t) for t in series.terms)
    ratios = tuple(fold_constants(r) for r in series.ratios)
    try:
        check_supported(backend, list(terms) + list(ratios), plan.title)
    except UnsupportedFunction:
        return None
    return fold_constants(condition), terms, ratios


def vector_entries(plan):
    """``(argument, index, symbol)`` for each scalar entry of a vector or
    matrix argument, each symbol once (a symmetric matrix repeats its own)."""
    seen = set()
    for a in plan.arguments:
        for index, symbol in a.entries:
            if index and symbol not in seen:
                yield a, index, symbol
            seen.add(symbol)


def large_form(plan, branches, backend):
    """``(condition, expression)`` of the plan's large-argument form with
    constants folded, and the symbols it takes; ``(None, [])`` where there is
    none or the backend lacks one of its functions (it then keeps the plain
    closed form there)."""
    if not plan.large or not branches:
        return None, []
    large = tuple(fold_constants(e) for e in plan.large)
    try:
        check_supported(backend, [large[1]], plan.title)
    except UnsupportedFunction:
        return None, []
    used = large[0].free_symbols | large[1].free_symbols
    return large, [s for s in list(plan.symbols) + list(plan.differences) if s in used]


def shared(expressions, prefix):
    """``(assignments, expressions)``: integer powers of symbols by repeated
    multiplication (a general power is slow) and each special-function call
    computed once (``s0 = polygamma(3, a)``)."""
    calls = sorted({f for e in expressions for f in e.atoms(sympy.Function) if f.free_symbols},
                   key=sympy.count_ops)
    names, assignments, powers = {}, [], {}
    for e in expressions:
        for pw in e.atoms(sympy.Pow):
            if pw.base.is_Symbol and pw.exp.is_Integer and abs(pw.exp) > 1:
                key = (pw.base, 1 if pw.exp > 0 else -1)
                powers[key] = max(powers.get(key, 0), abs(int(pw.exp)))
    for (base, sign), top in sorted(powers.items(), key=lambda item: (item[0][0].name, item[0][1])):
        stem = f"{base.name}_{'inv' if sign < 0 else ''}"
        first = base if sign > 0 else sympy.Symbol(f"{stem}1")
        if sign < 0:
            assignments.append((first.name, 1 / base))
        for k in range(2, top + 1):
            previous = first if k == 2 else sympy.Symbol(f"{stem}{k - 1}")
            assignments.append((f"{stem}{k}", previous * first))
            names[base ** (sign * k)] = sympy.Symbol(f"{stem}{k}")
    for i, call in enumerate(calls):
        symbol = sympy.Symbol(f"{prefix}{i}")
        assignments.append((symbol.name, call.xreplace(names)))
        names[call] = symbol
    out = [e.replace(lambda x: x in names, lambda x: names[x]) for e in expressions]
    return _used(assignments, out), out


def _used(assignments, expressions):
    """The assignments something reads (a call inside a shared call may be
    read by nothing once the outer call is named)."""
    needed = {s.name for e in expressions for s in e.free_symbols}
    kept = []
    for name, value in reversed(assignments):
        if name in needed:
            kept.append((name, value))
            needed |= {s.name for s in value.free_symbols}
    return kept[::-1]


def series_arguments(plan, series_terms):
    """The symbols the series functions take: the p-parameters they use, then
    the differences."""
    used = {p for _, p in plan.differences.values()}
    for term in series_terms:
        used |= term.free_symbols
    ps = [s for s in plan.symbols if s in used and s not in plan.differences]
    return ps + list(plan.differences)


def near_arguments(plan, series_terms, large=None):
    """The argument list ``mu_p, sigma_p, d_mu, d_sigma`` of the functions
    that replace a cancelled closed form: the series' (those of its
    large-argument form too); without a series, the remainder form's."""
    every = list(series_terms) + (list(large[1]) + [large[0]] if large else [])
    if plan.series is None and plan.remainder is not None:
        every = [plan.remainder]
    return ", ".join(s.name for s in series_arguments(plan, every))


def far_apart(plan):
    """``(difference, parameter)`` pairs of positive parameters: relative
    differences beyond ``FAR_APART`` never take the series."""
    return [(d, p) for d, (q, p) in plan.differences.items() if p.is_positive]


def describe(argument):
    if not argument.shape:
        return argument.name
    if len(argument.shape) == 1:
        return f"{argument.name} (last axis of length {argument.shape[0]})"
    return f"{argument.name} (last two axes {argument.shape[0]} x {argument.shape[1]})"


def documentation(plan, accuracy, backend_note="", large=False, remainder=False, summed=None):
    """The text at the top of every generated module (formula, series switch,
    remainder form, large-argument form, constraints, accuracy); with
    ``summed`` (the texts of the vectors' equations) that of a module of
    vectors of any length whose result is the formula summed over entries."""
    # once each (a symmetric matrix's mirrored entries are one check per pair)
    texts = [f"{text} (every entry)" if summed is not None else text
             for text in dict.fromkeys(text for _, _, text in plan.constraints)]
    constraints = "\n".join(f"    {text}" for text in texts + list(summed or ())) or "    (none)"
    series = (f"Where the closed form has cancelled, the Taylor series near p = q to order\n"
              f"{plan.series.order} is used instead, from the parameter differences formed once\n"
              f"from the inputs, when its last term is below the closed form's rounding.  It\n"
              f"is tried where the ratio of successive series terms r = |c_3/c_2| +\n"
              f"sqrt|c_4/c_2| is below {plan.switch:.3g}, or below {CONVERGES} and r^{plan.series.order - 1} is below\n"
              f"the relative rounding error of the closed form.\n\n") if plan.series is not None else ""
    if remainder:
        series += ("Where the closed form's estimated rounding (EPS times the size of its terms,\n"
                   "with what a log-gamma, digamma or gamma of this backend errs by beyond that)\n"
                   "exceeds LOST of the result, the remainder form is evaluated instead: the\n"
                   "closed form with each function less its tangent as one term (_remainder),\n"
                   + ("so that no two terms cancel at first order; the series is then tried only\n"
                      "where the remainder form's own terms still cancel.\n\n" if plan.series is not None else
                      "so that no two terms cancel at first order (SymPy finished no series near\n"
                      "p = q for this pair within its time).\n\n"))
    accuracy = accuracy or "See klsym's test suite for the accuracy it was verified to."
    if large:
        series += (f"Where a log-gamma, digamma or Bessel-function argument is at least "
                   f"{LARGE_ARGUMENT}, the\nclosed form is evaluated with the asymptotic series of "
                   f"those functions\n(Stirling's for log-gamma): their large terms cancel "
                   f"symbolically, before\nrounding.\n\n")
    note = f"{backend_note}\n\n" if backend_note else ""
    derived = "Closed form derived by klsym from the declared densities"
    if summed is not None:
        derived += (",\nthe sum over the entries of vectors of any length K (their last axis)\n"
                    "of one term, written here for one entry")
    return (f"{plan.title}, generated by klsym {__version__}.\n\n"
            f"{derived}:\n\n"
            f"    {plan.formula}\n\n{series}{note}"
            f"Parameter constraints (checked unless validation is off):\n{constraints}\n\n"
            f"{accuracy}\n")


#: the constants every backend's selection uses
EPS = 2.0 ** -52   # double precision: the closed form's rounding is about EPS times its terms
#: estimated relative loss of the closed form (EPS times the size of its
#: terms over the result, an upper bound) beyond which the remainder form
#: (or the series) replaces it: about half the 1e-13 target
LOST = 7e-14
CANCELLED = EPS / LOST  # |result| below this times the size of its terms lost more than LOST
#: the rounding of ``lgamma_remainder`` relative to its value, in units of
#: EPS (measured against mpmath: at most 3.8 over x in (0.3, 20), |d / x| <
#: 0.6; up to 40 where x is 100 or more and d is near x, far from p = q)
LGAMMA_ROUNDING = 4.0
FAR_APART = 0.5    # relative differences of positive parameters beyond which no series is tried
#: ratio of successive series terms below which the series converges fast
#: enough for its last term to bound what it leaves out
CONVERGES = 0.5


def remainder_form(plan, backend, arguments):
    """The terms of the plan's remainder form with constants folded, and for
    each the factor of its size (``LGAMMA_ROUNDING`` for a log-gamma
    remainder, else 1); None where there is none, where it needs a symbol
    outside ``arguments`` (the series' arguments: the p-parameters and the
    differences) or a function the backend lacks."""
    if plan.remainder is None:
        return None
    folded = fold_constants(plan.remainder)
    if not {s.name for s in folded.free_symbols} <= set(arguments):
        return None
    try:
        check_supported(backend, [folded], plan.title)
    except UnsupportedFunction:
        return None
    return [(t, LGAMMA_ROUNDING if t.has(lgamma_remainder) else 1.0) for t in sympy.Add.make_args(folded)]


def term_sizes(terms, code, absolute="abs", fixed=0.0, backend="numpy"):
    """Source of the size of the terms ``t0, t1, ...`` of a closed form, whose
    sum over EPS estimates its rounding, as a list of parts to add: each
    term's absolute value (times its weight where a special function of the
    backend errs by more than EPS relative,
    :func:`~klsym.codegen.floating.rounding_weight`; constant terms folded),
    the rounding of log-gamma and digamma factors that their value does not
    account for (:func:`~klsym.codegen.floating.rounding_floor`), and the
    constant ``fixed`` plus those that are constants, last."""
    parts = []
    for i, term in enumerate(terms):
        floor = rounding_floor(term, backend)
        weight = rounding_weight(term, backend)
        if term.free_symbols:
            parts.append((f"{weight!r} * " if weight != 1 else "") + f"{absolute}(t{i})")
        else:
            fixed += weight * abs(float(term))
        if floor.free_symbols:
            parts.append(code(floor))
        else:
            fixed += float(floor)
    return parts + ([repr(fixed)] if fixed else [])


def summed_sizes(terms, code):
    """Source of what the sums of several terms inside ``terms`` may round to
    beyond their values (:func:`~klsym.codegen.floating.summed_size`), as
    parts to add to their sizes: the 2-d normal's ``Sigma11_p d_Sigma22 -
    2 Sigma12_p d_Sigma12 + Sigma22_p d_Sigma11`` cancels among its own
    terms.  Kept apart from :func:`term_sizes`, whose sum says what cancels
    at first order: the remainder form is chosen where its own such sum is
    the smaller (with an ill-conditioned covariance both forms' sums of
    terms round poorly, and the closed form far from p = q is the better)."""
    sums = [summed_size(t) for t in terms]
    return [code(s) for s in sums if s is not None and s.free_symbols]
