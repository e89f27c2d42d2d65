"""Print a :class:`~klsym.codegen.plan.Plan` as plain C99.

One scalar function ``double NAME(params)`` and a checker ``int
NAME_check(params, char *message, size_t size)`` that returns 0 for valid
parameters and otherwise 1 (a constraint fails) or 2 (no closed form there),
with the message naming the parameter, the constraint and the value.  Vector
and matrix parameters are ``const double *`` (matrices row-major).  Only
functions the C99 library has are used; a plan needing another (digamma,
Bessel functions) is refused when the source is generated.
"""

import sympy
from sympy import S

from .common import (CANCELLED, CONVERGES, EPS, FAR_APART, LOST, documentation, far_apart, near_arguments,
                     prepared, remainder_form, series_arguments, shared, summed_sizes, term_sizes,
                     vector_entries)
from .floating import EXPM1MX_COEFFICIENTS, STIRLING_SHIFT, atanh_terms, expm1mx_terms, stirling_remainders
from .printers import functions_needed, printer as make_printer

_INCLUDES = """#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
"""

#: helpers a table entry of the printer names, emitted where used
#: (x log(y) and x log1p(y), 0 where x = 0: the convention 0 log 0 = 0)
_HELPERS = {
    "xlogy": "static double klsym_xlogy(double x, double y) { return x == 0.0 ? 0.0 : x * log(y); }",
    "xlog1py": "static double klsym_xlog1py(double x, double y) "
               "{ return x == 0.0 ? 0.0 : x * log1p(y); }",
}


def module_source(plan, name, accuracy=None):
    """C99 source defining ``double name(...)`` and ``int name_check(...)``."""
    printer = make_printer("c99")
    code = printer.doprint
    branches, series_terms, ratios = prepared(plan, "c99")
    params = ", ".join(_parameter(a) for a in plan.arguments)
    arguments = near_arguments(plan, series_terms).split(", ") if plan.differences else []
    remainder = remainder_form(plan, "c99", arguments)
    lines = [f"/*\n{_comment(documentation(plan, accuracy, _note(plan, name), remainder=remainder is not None))}*/",
             "", _INCLUDES]
    used = functions_needed([e for _, e in branches] + list(series_terms) + list(ratios))
    lines += [helper for function, helper in _HELPERS.items() if function in used]
    lines.append(f"#define SERIES_BELOW {plan.switch!r}")
    lines.append(f"#define CANCELLED {CANCELLED!r}")
    lines.append(f"#define FAR_APART {FAR_APART!r}")
    lines.append(f"#define EPS {EPS!r}")
    lines.append(f"#define CONVERGES {CONVERGES!r}")
    lines.append(f"#define ORDER {plan.series.order if plan.series is not None else 0!r}")
    if plan.series is not None:
        lines += _series_functions(plan, code, series_terms, ratios)
    if remainder is not None:
        lines.append(f"#define LOST {LOST!r}")
        lines += _remainder_helpers(functions_needed([t for t, _ in remainder]))
        lines += _remainder_function(arguments, remainder, code)

    lines += ["", f"int {name}_check({params}, char *message, size_t size)", "{"]
    lines += _entries(plan)
    for rel, _, text in plan.constraints:
        test, shown = _test(rel, text, code, plan)
        formats = ", ".join(f"{s}=%.17g" for s in shown)
        lines.append(f"    if (!({test})) {{")
        lines.append(f'        if (message) snprintf(message, size, "{_owners(rel, plan, text)} must '
                     f'satisfy {_escape(text)}; got {formats}", {", ".join(shown)});')
        lines.append("        return 1;")
        lines.append("    }")
    if plan.open != S.false:
        lines.append(f"    if ({code(plan.open)}) {{")
        lines.append(f'        if (message) snprintf(message, size, "no closed form where '
                     f'{_escape(str(plan.open))}");')
        lines.append("        return 2;")
        lines.append("    }")
    lines += ["    return 0;", "}"]

    lines += ["", f"double {name}({params})", "{"]
    lines += _entries(plan)
    for d, (q, p) in plan.differences.items():
        lines.append(f"    const double {d.name} = {q.name} - {p.name};")
    if plan.infinite != S.false:
        lines.append(f"    if ({code(plan.infinite)}) return INFINITY;")
    if plan.open != S.false:
        lines.append(f"    if ({code(plan.open)}) return NAN;  /* see {name}_check */")
    lines.append("    double out;")
    if not branches:
        lines.append("    out = NAN;")
    else:
        *others, (_, closed) = branches
        keyword = "if"
        for condition, expr in others:
            lines.append(f"    {keyword} ({code(condition)}) {{")
            lines.append(f"        out = {code(expr)};")
            lines.append("    }")
            keyword = "else if"
        lines.append("    else {" if others else "    {")
        terms = closed.as_ordered_terms()
        for i, term in enumerate(terms):
            lines.append(f"        const double t{i} = {code(term)};")
        lines.append(f"        out = {' + '.join(f't{i}' for i in range(len(terms)))};")
        if plan.series is not None or remainder is not None:
            args = near_arguments(plan, series_terms)
            plain = " + ".join(term_sizes(terms, code, "fabs", backend="c99"))
            sums = "".join(" + " + part for part in summed_sizes(terms, code))
            lines.append(f"        const double plain = {plain};")
            lines.append(f"        double magnitude = plain{sums};")
            lines.append("        int cancelled = out < CANCELLED * magnitude;")
            if remainder is not None:
                # the remainder form; the series only where its own terms still cancel
                lines.append("        if (cancelled) {")
                lines.append("            double size, alone;")
                lines.append(f"            const double value = remainder_({args}, &size, &alone);")
                lines.append("            if (alone < plain) {  /* what cancelled at first order is gone */")
                lines.append("                out = value;")
                lines.append("                magnitude = size;")
                lines.append("            }")
                lines.append("            cancelled = EPS * magnitude > LOST * fabs(out);")
                lines.append("        }")
        if plan.series is not None:
            lines.append(f"        if (cancelled && near_({args})) {{")
            # where the truncated series (about size^(ORDER - 1) relative) may
            # beat the closed form; its last term decides
            lines.append(f"            const double size = size_({args});")
            lines.append("            if (size < SERIES_BELOW || (size < CONVERGES")
            lines.append("                    && pow(size, ORDER - 1) * fabs(out) < EPS * magnitude)) {")
            lines.append("                double last;")
            lines.append(f"                const double total = series_({args}, &last);")
            lines.append("                if (fabs(last) < EPS * magnitude) out = total;")
            lines.append("            }")
            lines.append("        }")
        lines.append("    }")
    if plan.nonnegative:
        lines.append("    return out > 0.0 ? out : 0.0;  /* rounding never makes a divergence negative */")
    else:
        lines.append("    return out;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _note(plan, name):
    return (f"C99: double {name}(...) assumes valid parameters; {name}_check(..., message, size)\n"
            f"returns 0 when they are valid, else 1 (or 2 where no closed form exists) and\n"
            f"writes the reason into message.  Vector and matrix parameters are pointers\n"
            f"(matrices row-major).  Link with -lm.")


def _comment(text):
    return "".join(f" * {line}".rstrip() + "\n" for line in text.replace("*/", "* /").splitlines())


def _escape(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")


def _parameter(argument):
    return f"const double *{argument.name}" if argument.shape else f"double {argument.name}"


def _entries(plan):
    return [f"    const double {symbol.name} = {a.name}[{_flat(a, index)}];"
            for a, index, symbol in vector_entries(plan)]


def _flat(argument, index):
    return index[0] if len(index) == 1 else index[0] * argument.shape[1] + index[1]


def _test(rel, text, code, plan):
    """``(C test, [names shown])`` for one constraint."""
    if text.endswith("is symmetric"):
        # names such as "Sigma_p[..., 0, 1]": compare the two stored entries
        a, b = (_matrix_entry(s.name, plan) for s in (rel.lhs, rel.rhs))
        return f"{a} == {b}", [a, b]
    shown = [s.name for s in sorted(rel.free_symbols, key=str)]
    if isinstance(rel, sympy.Eq) and not rel.lhs.has(sympy.floor):
        # a sum of probabilities is 1 only up to rounding
        return (f"fabs(({code(rel.lhs)}) - ({code(rel.rhs)})) <= "
                f"64 * DBL_EPSILON * {len(rel.free_symbols)}", shown)
    return code(rel), shown


def _matrix_entry(name, plan):
    """``Sigma_p[..., 0, 1]`` -> ``Sigma_p[1]`` (row-major storage)."""
    base, _, rest = name.partition("[..., ")
    i, j = (int(k) for k in rest.rstrip("]").split(","))
    argument = next(a for a in plan.arguments if a.name == base)
    return f"{base}[{_flat(argument, (i, j))}]"


def _owners(rel, plan, text):
    owner = {s: a.name for a in plan.arguments for _, s in a.entries}
    if text.endswith("is symmetric"):
        return text.split(" ")[0]
    return " and ".join(sorted({owner.get(s, s.name) for s in rel.free_symbols}))


def _remainder_function(arguments, terms, code):
    params = ", ".join(f"double {name}" for name in arguments)
    lines = ["", "/* the closed form with each function less its tangent as one term, evaluated",
             "   without its cancellation; *plain the size of its terms, *size that with",
             "   what their sums of several terms may round to */",
             f"static double remainder_({params}, double *size, double *plain)", "{"]
    lines += [f"    const double r{i} = {code(t)};" for i, (t, _) in enumerate(terms)]
    sizes = [(f"{factor!r} * " if factor != 1 else "") + f"fabs(r{i})" for i, (_, factor) in enumerate(terms)]
    sums = summed_sizes([t for t, _ in terms], code)
    lines += [f"    *plain = {' + '.join(sizes)};",
              f"    *size = *plain{''.join(' + ' + part for part in sums)};",
              f"    return {' + '.join(f'r{i}' for i in range(len(terms)))};", "}"]
    return lines


def _remainder_helpers(used):
    """The C helpers of the remainder form (as the NumPy module's, one
    element at a time: loops as long as the element needs)."""
    lines = []
    atanh, terms = atanh_terms(1.0 / 9.0), expm1mx_terms(1.0)
    if "lgamma_remainder" in used or "log1pmx" in used:
        lines += [
            "", "/* log(1 + u) - u for u > -1: where |u| <= 1/2, -u^2 / (2 + u) + 2 s^3",
            f"   sum_j s^2j / (2j + 3) with s = u / (2 + u) ({atanh + 1} terms: s^2 <= 1/9) */",
            "static double klsym_log1pmx(double u)", "{",
            "    if (fabs(u) > 0.5) return log1p(u) - u;",
            "    const double s = u / (2.0 + u), s2 = s * s;",
            f"    double series = {1.0 / (2 * atanh + 3)!r};",
            f"    for (int k = {atanh - 1}; k >= 0; k--) series = series * s2 + 1.0 / (2 * k + 3);",
            "    return 2.0 * s * s2 * series - u * u / (2.0 + u);", "}"]
    if "lgamma_remainder" in used:
        stirling = stirling_remainders()
        coefficients = [a for _, poly in stirling for a in poly]
        lines += [
            "", "/* Stirling's terms less their tangents: B_2k / (2k (2k - 1)) and the",
            "   coefficients of N_n, n = 2k - 1, from the highest power, one row after another */",
            f"static const double klsym_stirling_c[{len(stirling)}] = "
            f"{{{', '.join(repr(c) for c, _ in stirling)}}};",
            f"static const int klsym_stirling_n[{len(stirling)}] = "
            f"{{{', '.join(str(len(poly)) for _, poly in stirling)}}};",
            f"static const double klsym_stirling_a[{len(coefficients)}] = "
            f"{{{', '.join(repr(a) for a in coefficients)}}};",
            "", "/* log Gamma(x + d) - log Gamma(x) - d psi(x), x > 0 and x + d > 0: the",
            f"   recurrence up to z = x + k >= {STIRLING_SHIFT}, each step adding -(log(1 + u) - u) at",
            "   u = d / (x + k), then Stirling's series at z with each term less its",
            "   tangent (terms of one sign) */",
            "static double klsym_lgamma_remainder(double x, double d)", "{",
            "    double total = 0.0;",
            "    int k = 0;",
            f"    for (; x + k < {float(STIRLING_SHIFT)!r}; k++) total -= klsym_log1pmx(d / (x + k));",
            "    const double z = x + k, u = d / z, phi = klsym_log1pmx(u), w = 1.0 / z;",
            "    total += z * ((1.0 + u) * phi + u * u) - 0.5 * phi;",
            "    double scale = w * u * u, power = 1.0 / (1.0 + u);",
            "    const double step = power * power;",
            "    int at = 0;",
            f"    for (int i = 0; i < {len(stirling)}; i++) {{",
            "        double poly = 0.0;",
            "        for (int j = 0; j < klsym_stirling_n[i]; j++) poly = poly * u + klsym_stirling_a[at++];",
            "        total += klsym_stirling_c[i] * scale * poly * power;",
            "        scale *= w * w;",
            "        power *= step;",
            "    }",
            "    return total;", "}"]
    if "expm1mx" in used:
        lines += [
            "", f"/* exp(u) - 1 - u: where |u| <= 1, u^2 sum_k u^k / (k + 2)! ({terms + 1} terms) */",
            "static double klsym_expm1mx(double u)", "{",
            f"    static const double c[{terms + 1}] = "
            f"{{{', '.join(repr(c) for c in EXPM1MX_COEFFICIENTS[:terms + 1])}}};",
            "    if (fabs(u) > 1.0) return expm1(u) - u;",
            f"    double series = c[{terms}];",
            f"    for (int k = {terms - 1}; k >= 0; k--) series = series * u + c[k];",
            "    return u * u * series;", "}"]
    return lines


def _series_functions(plan, code, terms, ratios):
    arguments = series_arguments(plan, terms)
    params = ", ".join(f"double {s.name}" for s in arguments)
    lines = ["", "/* ratio of successive series terms: the series is used where it is small */",
             f"static double size_({params})", "{"]
    assignments, (lead, size) = shared(list(ratios), "s")
    lines += [f"    const double {n} = {code(v)};" for n, v in assignments]
    lines.append(f"    const double lead = {code(lead)};")
    lines.append(f"    return lead == 0.0 ? 0.0 : {code(size)};")
    lines += ["}", "", "/* no positive parameter FAR_APART (relative) from its twin */",
              f"static int near_({params})", "{"]
    far = [f"fabs({d.name} / {p.name}) < FAR_APART" for d, p in far_apart(plan)]
    lines += [f"    return {' && '.join(far) if far else '1'};", "}", "",
              f"/* the Taylor series near p = q to order {plan.series.order}; *last its last term */",
              f"static double series_({params}, double *last)", "{"]
    assignments, terms = shared(list(terms), "s")
    lines += [f"    const double {n} = {code(v)};" for n, v in assignments]
    highest, *rest = reversed(terms)
    lines.append(f"    double total = *last = {code(highest)};")
    lines += [f"    total += {code(t)};" for t in rest]
    lines += ["    return total;", "}"]
    return lines
