"""Pieces the Python backends (NumPy, PyTorch, JAX) print alike: the
signature, the entries of vector and matrix arguments, the validation calls
and the near-equal series functions.  Each backend's module supplies the
helpers these call (``_inputs``, ``_require``, ``_close``)."""

import sympy

from .common import describe, far_apart, series_arguments, shared


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
    lines, seen = [], set()
    for a in plan.arguments:
        for index, symbol in a.entries:
            if index and symbol not in seen:
                lines.append(f"{indent}{symbol.name} = {a.name}[..., {', '.join(map(str, index))}]")
            seen.add(symbol)
    return lines


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
