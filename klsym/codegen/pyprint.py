"""Pieces the Python backends (NumPy, PyTorch, JAX) print alike: the
signature, the entries of vector and matrix arguments, the validation calls
and the near-equal series functions.  Each backend's module supplies the
helpers these call (``_inputs``, ``_require``, ``_close``)."""

import sympy

from .common import describe, far_apart, series_arguments, shared, vector_entries
from .floating import LARGE_ARGUMENT, TAIL_SWITCH, digamma_tail, lgamma_tail


def signature(plan, note):
    """``def <quantity>(...)`` and its docstring."""
    names = ", ".join(a.name for a in plan.arguments)
    return [f"def {plan.quantity}({names}, *, validate=True):",
            f'    """{plan.title} for arrays of parameters (broadcasting).',
            "",
            "    Parameters are " + ", ".join(describe(a) for a in plan.arguments) + ".",
            f"    {note}",
            "    With validate=False invalid parameters are not checked (the result is",
            "    then NaN or meaningless there).",
            '    """']


def entries(plan, indent):
    """``p1_p = p_p[..., 0]``: the scalar entries of vector and matrix arguments."""
    return [f"{indent}{symbol.name} = {a.name}[..., {', '.join(map(str, index))}]"
            for a, index, symbol in vector_entries(plan)]


def symmetric(text):
    """Whether a plan constraint is the symmetry of a matrix argument (checked
    on the whole argument, not on its distinct entries)."""
    return text.endswith("is symmetric")


_OPS = {">": ">", ">=": ">=", "<": "<", "<=": "<="}


def validation(plan, printer, indent, extra="", arrays=None, bounds=False):
    """One ``_require(ok, constraint, owners, values{extra})`` per constraint
    (only the symmetry checks with ``arrays=True``, only the others with
    ``arrays=False``); with ``bounds``, a parameter against a number is
    ``_require_bound(x, op, number, ...)``, one reduction instead of a mask."""
    lines = []
    for rel, owners, text in plan.constraints:
        if arrays is not None and symmetric(text) != arrays:
            continue
        if bounds and getattr(rel, "rel_op", None) in _OPS and rel.lhs.is_Symbol \
                and rel.rhs.is_number:
            x = rel.lhs.name
            lines.append(f"{indent}_require_bound({x}, {rel.rel_op!r}, {printer.doprint(rel.rhs)}, "
                         f"{text!r}, {owners!r}, {{{x!r}: {x}}}{extra})")
            continue
        if symmetric(text):
            a, b = rel.lhs.name, rel.rhs.name
            shown, test = f"{a!r}: {a}, {b!r}: {b}", f"{a} == {b}"
        else:
            shown = ", ".join(f"{s.name!r}: {s.name}" for s in sorted(rel.free_symbols, key=str))
            if isinstance(rel, sympy.Eq) and not rel.lhs.has(sympy.floor):
                # a float sum of probabilities is 1 only up to rounding
                test = (f"_close({printer.doprint(rel.lhs)}, {printer.doprint(rel.rhs)}, "
                        f"{len(rel.free_symbols)}, eps)")
            else:
                test = printer.doprint(rel)
        lines.append(f"{indent}_require({test}, {text!r}, {owners!r}, {{{shown}}}{extra})")
    return lines


def series_functions(plan, printer, terms, ratios, where):
    """``_size`` (the ratio of successive series terms), ``_near`` (no
    positive parameter far from its twin) and ``_series`` (the Taylor series
    near p = q, highest terms first)."""
    args = ", ".join(s.name for s in series_arguments(plan, terms))
    code = printer.doprint
    lines = ["", "", f"def _size({args}):",
             '    """Ratio of successive series terms: the series is used where it is small."""']
    assignments, (lead, size) = shared(list(ratios), "s")
    lines += [f"    {name} = {code(value)}" for name, value in assignments]
    lines.append(f"    lead = {code(lead)}")
    lines.append(f"    return {where}(lead == 0, 0.0, {code(size)})")
    lines += ["", "", f"def _near({args}):",
              '    """Where no positive parameter is FAR_APART (relative) from its twin: the'
              , '    series cannot converge beyond (the KL is singular where one reaches 0)."""']
    far = [f"(abs({d.name} / {p.name}) < FAR_APART)" for d, p in far_apart(plan)]
    lines.append(f"    return {' & '.join(far) if far else 'True'}")
    lines += ["", "", f"def _series({args}):",
              f'    """The Taylor series near p = q to order {plan.series.order}, and its '
              'last term."""']
    assignments, terms = shared(list(terms), "s")
    lines += [f"    {name} = {code(value)}" for name, value in assignments]
    highest, *rest = reversed(terms)
    lines.append(f"    last = {code(highest)}")
    lines.append("    total = last")
    lines += [f"    total = total + ({code(term)})" for term in rest]
    lines.append("    return total, last")
    return lines


def series_call(plan, terms):
    """The argument list ``(mu_p, sigma_p, d_mu, d_sigma)`` of the series functions."""
    return ", ".join(s.name for s in series_arguments(plan, terms))


def tail_helpers(names):
    """Source of ``_lgamma_tail`` and ``_digamma_tail`` (the tails of
    Stirling's series, :mod:`klsym.codegen.floating`) with the target's
    functions ``names`` (maximum, where, log, gammaln, digamma): the series in
    Horner form from ``TAIL_SWITCH`` on, the function minus its main part below
    (both branches finite everywhere, so gradients through ``where`` are)."""
    def horner(coefficients):
        text = repr(float(coefficients[-1]))
        for c in reversed(coefficients[:-1]):
            text = f"{float(c)!r} + w * ({text})"
        return text

    half_log_2pi = float(sympy.log(2 * sympy.pi) / 2)
    n = names
    return ["", "", "def _lgamma_tail(u):",
            '    """log Gamma(u) - (u - 1/2) log u + u - log(2 pi) / 2."""',
            f"    v = {n['maximum']}(u, {TAIL_SWITCH}.0)",
            "    w = 1.0 / (v * v)",
            f"    series = ({horner(lgamma_tail.coefficients())}) / v",
            f"    return {n['where']}(u >= {TAIL_SWITCH}, series, {n['gammaln']}(u) "
            f"- (u - 0.5) * {n['log']}(u) + u - {half_log_2pi!r})",
            "", "", "def _digamma_tail(u):",
            '    """psi(u) - log u + 1 / (2 u)."""',
            f"    v = {n['maximum']}(u, {TAIL_SWITCH}.0)",
            "    w = 1.0 / (v * v)",
            f"    series = w * ({horner(digamma_tail.coefficients())})",
            f"    return {n['where']}(u >= {TAIL_SWITCH}, series, {n['digamma']}(u) "
            f"- {n['log']}(u) + 0.5 / u)"]


def large_function(printer, large, arguments):
    """Source of ``_large(...)``: the large-argument form's value and the size
    of its terms."""
    terms = large[1].as_ordered_terms()
    lines = ["", "", f"def _large({', '.join(s.name for s in arguments)}):",
             f'    """Where a log-gamma or digamma argument is at least {LARGE_ARGUMENT}: the '
             f'closed form\n    with Stirling\'s series for them (their large terms '
             f'cancelled symbolically);\n    the value and the size of its terms."""']
    lines += [f"    l{i} = {printer.doprint(term)}" for i, term in enumerate(terms)]
    lines.append(f"    return {' + '.join(f'l{i}' for i in range(len(terms)))}, "
                 f"{' + '.join(f'abs(l{i})' for i in range(len(terms)))}")
    return lines
