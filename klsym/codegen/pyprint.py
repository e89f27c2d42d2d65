"""Pieces the Python backends (NumPy, PyTorch, JAX) print alike: the
signature, the entries of vector and matrix arguments, the validation calls
and the near-equal series functions.  Each backend's module supplies the
helpers these call (``_inputs``, ``_require``, ``_close``)."""

import sympy

from .common import describe, far_apart, near_arguments, shared, summed_sizes, vector_entries
from .floating import (BESSEL_TAIL_SWITCH, EXP1_SWITCH, LARGE_ARGUMENT, TAIL_SWITCH, bessel_ratio_tail,
                       digamma_tail, exp1_scaled, lgamma_tail, logi0_tail, polygamma_lead,
                       polygamma_tail, polygamma_zeta_factor)
from .printers import _squarings


def signature(plan, note, workers=None):
    """``def <quantity>(...)`` and its docstring; with ``workers`` (the lines
    saying what it does), a ``workers=1`` keyword too."""
    names = ", ".join(a.name for a in plan.arguments)
    keywords = "validate=True" + (", workers=1" if workers else "")
    return [f"def {plan.quantity}({names}, *, {keywords}):",
            f'    """{plan.title} for arrays of parameters (broadcasting).',
            "",
            "    Parameters are " + ", ".join(describe(a) for a in plan.arguments) + ".",
            f"    {note}",
            "    With validate=False invalid parameters are not checked (the result is",
            "    then NaN or meaningless there).",
            *(workers or []),
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


def _bound(rel):
    """``(symbol, op, number)`` of a constraint ``symbol op number``, else None."""
    if getattr(rel, "rel_op", None) in _OPS and rel.lhs.is_Symbol and rel.rhs.is_number:
        return rel.lhs, rel.rel_op, rel.rhs
    return None


def vector_bounds(plan):
    """``{argument name: (op, number, entry symbols)}`` for the vector arguments whose every entry
    has the same bound (``p_i > 0``): checked on the whole argument with one
    reduction, where one per entry would read its strided column."""
    found = {}
    bounds_of = [b for b in (_bound(rel) for rel, _, _ in plan.constraints) if b]
    covered = {symbol for symbol, _, _ in bounds_of}
    for a in plan.arguments:
        if len(a.shape) != 1:
            continue
        symbols = {symbol for _, symbol in a.entries}
        bounds = {(op, number) for symbol, op, number in bounds_of if symbol in symbols}
        if len(bounds) == 1 and symbols <= covered:
            found[a.name] = bounds.pop() + (symbols,)
    return found


def _entry_sum(plan, expr):
    """The vector argument whose entries, each once, add up to ``expr``, else None."""
    for a in plan.arguments:
        if len(a.shape) == 1 and expr.is_Add and set(expr.args) == {s for _, s in a.entries} \
                and len(expr.args) == len(a.entries):
            return a
    return None


def validation(plan, printer, indent, extra="", arrays=None, bounds=False, vectors=False):
    """One ``_require(ok, constraint, owners, values{extra})`` per constraint
    (only the symmetry checks with ``arrays=True``, only the others with
    ``arrays=False``); with ``bounds``, a parameter against a number is
    ``_require_bound(x, op, number, ...)``, one reduction instead of a mask.
    With ``vectors`` (the function has its vector arguments whole, as
    ``(rows, K)`` arrays) the bounds of :func:`vector_bounds` are first
    checked on the whole arguments, the entries only where that fails (to
    name the first offending one), and a sum of all entries of a vector
    argument is a product with ones (a strided column each otherwise)."""
    lines, grouped = [], []
    whole = vector_bounds(plan) if vectors else {}
    entries = {symbol for *_, symbols in whole.values() for symbol in symbols}
    for rel, owners, text in plan.constraints:
        if arrays is not None and symmetric(text) != arrays:
            continue
        if bounds and _bound(rel):
            x = rel.lhs.name
            line = (f"_require_bound({x}, {rel.rel_op!r}, {printer.doprint(rel.rhs)}, "
                    f"{text!r}, {owners!r}, {{{x!r}: {x}}}{extra})")
            if rel.lhs in entries:
                grouped.append(line)
            else:
                lines.append(f"{indent}{line}")
            continue
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
                summed = _entry_sum(plan, rel.lhs) if vectors else None
                total = (f"({summed.name} @ numpy.ones({len(summed.entries)}))" if summed
                         else printer.doprint(rel.lhs))
                test = f"_close({total}, {printer.doprint(rel.rhs)}, {len(rel.free_symbols)}, eps)"
            else:
                test = printer.doprint(rel)
        lines.append(f"{indent}_require({test}, {text!r}, {owners!r}, {{{shown}}}{extra})")
    if grouped:
        held = " and ".join(f"_holds({name}, {op!r}, {printer.doprint(bound)})"
                            for name, (op, bound, _) in whole.items())
        lines = ([f"{indent}if not ({held}):  # whole vectors at once; the entries name "
                  "the first that fails"]
                 + [f"{indent}    {line}" for line in grouped] + lines)
    return lines


def series_functions(plan, printer, terms, ratios, where, large=None, masked=False):
    """``_size`` (the ratio of successive series terms), ``_near`` (no
    positive parameter far from its twin) and ``_series`` (the Taylor series
    near p = q, highest terms first).  With ``large`` (``(condition, terms,
    ratios)``, :func:`klsym.codegen.common.large_series`) ``_size`` and
    ``_series`` take those where the condition holds: selected with
    ``where`` (both evaluated: differentiable and traceable), or with
    ``masked`` each on its own elements (NumPy, 1-d arrays)."""
    args = near_arguments(plan, terms, large)
    code = printer.doprint
    suffix = "_plain" if large else ""
    lines = _size_and_series(plan, code, args, terms, ratios, where, suffix)
    if large:
        condition, large_terms, large_ratios = large
        lines += _size_and_series(plan, code, args, large_terms, large_ratios, where, "_large")
        for name, doc in (("_size", "Ratio of successive series terms"),
                          ("_series", "The series and its last term")):
            lines += ["", "", f"def {name}({args}):",
                      f'    """{doc}; where a special function\'s argument is large (below),'
                      '\n    from the series with those functions split into leading part and '
                      'tail."""',
                      f"    large = {code(condition)}"]
            if masked:
                # NumPy: each form evaluated only on its own elements (1-d arrays)
                names = args.split(", ")
                lines += ["    if not numpy.any(large):",
                          f"        return {name}_plain({args})",
                          "    small = ~large",
                          f"    plain = {name}_plain({', '.join(f'{a}[small]' for a in names)})",
                          f"    big = {name}_large({', '.join(f'{a}[large]' for a in names)})"]
                if name == "_size":
                    lines += ["    out = numpy.empty(large.shape)",
                              "    out[small], out[large] = plain, big",
                              "    return out"]
                else:
                    lines += ["    total, last = numpy.empty(large.shape), numpy.empty(large.shape)",
                              "    total[small], last[small] = plain",
                              "    total[large], last[large] = big",
                              "    return total, last"]
                continue
            lines.append(f"    plain, big = {name}_plain({args}), {name}_large({args})")
            if name == "_size":
                lines.append(f"    return {where}(large, big, plain)")
            else:
                lines.append(f"    return {where}(large, big[0], plain[0]), "
                             f"{where}(large, big[1], plain[1])")
    lines += ["", "", f"def _near({args}):",
              '    """Where no positive parameter is FAR_APART (relative) from its twin: the'
              , '    series cannot converge beyond (the KL is singular where one reaches 0)."""']
    far = [f"(abs({d.name} / {p.name}) < FAR_APART)" for d, p in far_apart(plan)]
    lines.append(f"    return {' & '.join(far) if far else 'True'}")
    return lines


def _size_and_series(plan, code, args, terms, ratios, where, suffix):
    lines = ["", "", f"def _size{suffix}({args}):",
             '    """Ratio of successive series terms: the series is used where it is small."""']
    assignments, (lead, size) = shared(list(ratios), "s")
    lines += [f"    {name} = {code(value)}" for name, value in assignments]
    lines.append(f"    lead = {code(lead)}")
    lines.append(f"    return {where}(lead == 0, 0.0, {code(size)})")
    lines += ["", "", f"def _series{suffix}({args}):",
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


def remainder_function(terms, code, args):
    """``_remainder(<series arguments>)``: the closed form with each function
    less its tangent as one term (``terms``, each with the factor of its
    size, :func:`~klsym.codegen.common.remainder_form`), returning its value
    and the size of its terms; ``_remainder = None`` where there is none."""
    if terms is None:
        return ["", "", "_remainder = None  # no remainder form: none found, or its terms cancel at first order"]
    sizes = [(f"{factor!r} * " if factor != 1 else "") + f"abs(r{i})" for i, (_, factor) in enumerate(terms)]
    sums = summed_sizes([t for t, _ in terms], code)
    lines = ["", "", f"def _remainder({args}):",
             '    """The closed form with each log Gamma(x + d) - log Gamma(x) - d psi(x),',
             '    each log(1 + u) - u and each exp(u) - 1 - u of a small u as one term',
             '    evaluated without its cancellation (_lgamma_remainder, _log1pmx,',
             '    _expm1mx); the value, the size of its terms with what their sums of',
             '    several terms may round to, and the size of its terms alone."""',
             *[f"    r{i} = {code(t)}" for i, (t, _) in enumerate(terms)],
             f"    plain = {' + '.join(sizes)}"]
    size = f"plain + {' + '.join(sums)}" if sums else "plain"
    return lines + [f"    return {' + '.join(f'r{i}' for i in range(len(terms)))}, {size}, plain"]


def tail_helpers(names, exprs):
    """Source of the helpers the expressions ``exprs`` call (``_lgamma_tail``,
    ``_digamma_tail``: Stirling's series; ``_logi0_tail``,
    ``_bessel_ratio_tail``: the Bessel functions' asymptotic series; see
    :mod:`klsym.codegen.floating`) with the target's functions ``names``
    (maximum, minimum, where, log, exp, gammaln, digamma, i0e, i1e, exp1):
    ``_exp1_scaled`` (``exp(x) E_1(x)``) too: the series in Horner
    form from the switch on, the function minus its main part below (both
    branches finite for positive arguments, so gradients through ``where``
    are)."""
    def horner(coefficients):
        text = repr(float(coefficients[-1]))
        for c in reversed(coefficients[:-1]):
            text = f"{float(c)!r} + w * ({text})"
        return text

    half_log_2pi = float(sympy.log(2 * sympy.pi) / 2)
    n = names
    used = {type(f).__name__ for e in exprs for f in e.atoms(sympy.Function)}
    helpers = {
        "lgamma_tail": [
            "def _lgamma_tail(u):",
            '    """log Gamma(u) - (u - 1/2) log u + u - log(2 pi) / 2."""',
            f"    v = {n['maximum']}(u, {TAIL_SWITCH}.0)",
            "    w = 1.0 / (v * v)",
            f"    series = ({horner(lgamma_tail.coefficients())}) / v",
            f"    return {n['where']}(u >= {TAIL_SWITCH}, series, {n['gammaln']}(u) "
            f"- (u - 0.5) * {n['log']}(u) + u - {half_log_2pi!r})"],
        "digamma_tail": [
            "def _digamma_tail(u):",
            '    """psi(u) - log u + 1 / (2 u)."""',
            f"    v = {n['maximum']}(u, {TAIL_SWITCH}.0)",
            "    w = 1.0 / (v * v)",
            f"    series = w * ({horner(digamma_tail.coefficients())})",
            f"    return {n['where']}(u >= {TAIL_SWITCH}, series, {n['digamma']}(u) "
            f"- {n['log']}(u) + 0.5 / u)"],
        "logi0_tail": [
            "def _logi0_tail(x):",
            '    """log I_0(x) - x + log(2 pi x) / 2, x > 0."""',
            f"    v = {n['maximum']}(x, {BESSEL_TAIL_SWITCH}.0)",
            "    w = 1.0 / v",
            f"    series = w * ({horner(logi0_tail.coefficients())})",
            f"    return {n['where']}(x >= {BESSEL_TAIL_SWITCH}, series, {n['log']}({n['i0e']}(x)) "
            f"+ 0.5 * {n['log']}(x) + {half_log_2pi!r})"],
        "bessel_ratio_tail": [
            "def _bessel_ratio_tail(x):",
            '    """I_1(x) / I_0(x) - 1 + 1 / (2 x), x > 0."""',
            f"    v = {n['maximum']}(x, {BESSEL_TAIL_SWITCH}.0)",
            "    w = 1.0 / v",
            f"    series = w * w * ({horner(bessel_ratio_tail.coefficients())})",
            f"    return {n['where']}(x >= {BESSEL_TAIL_SWITCH}, series, {n['i1e']}(x) / {n['i0e']}(x) "
            f"- 1.0 + 0.5 / x)"],
        "exp1_scaled": [
            "def _exp1_scaled(x):",
            '    """exp(x) E_1(x), x > 0 (finite where exp(x) overflows)."""',
            f"    v = {n['maximum']}(x, {EXP1_SWITCH}.0)",
            "    w = 1.0 / v",
            f"    series = w * ({horner(exp1_scaled.coefficients())})",
            f"    small = {n['minimum']}(x, {EXP1_SWITCH}.0)",
            f"    return {n['where']}(x >= {EXP1_SWITCH}, series, {n['exp']}(small) * {n['exp1']}(small))"],
    }
    out = [line for name, lines in helpers.items() if name in used for line in ["", ""] + lines]
    orders = sorted({int(f.args[0]) for e in exprs for f in e.atoms(polygamma_tail)})
    for order in orders:
        out += ["", ""] + _polygamma_tail_helper(order, n)
    if n.get("own_polygamma"):
        orders = sorted({int(f.args[0]) for e in exprs for f in e.atoms(sympy.polygamma)
                         if f.args[0] >= 1})
        for order in orders:
            out += ["", ""] + _polygamma_helper(order, n)
    return out


def _polygamma_helper(order, n):
    """``_polygamma<order>(x)``, ``psi^(order)(x)`` for ``x > 0``: the recurrence
    ``psi^(n)(x) = psi^(n)(x + 1) + (-1)^(n+1) n! / x^(n+1)`` until every
    element is past the switch of :meth:`polygamma_tail.recurrence`, then
    the asymptotic series there (Horner's rule in ``w = 1 / x``).  The
    recurrence adds terms of one sign, smallest first: a few ulps (SciPy's
    polygamma is a Hurwitz zeta after a digamma of every element).  In
    chunks that stay in cache, every step written into arrays made once per
    chunk (measured: half the time of the same steps with new arrays)."""
    switch, count = polygamma_tail.recurrence(order)
    step = float(polygamma_zeta_factor(order))
    # psi^(n)(x) = w^n (lead + w (c_0 + w (c_1 + w^2 (c_2 + w^2 (...))))), w = 1/x
    (c0, _), (c1, _), *rest = polygamma_tail.coefficients(order, count)
    later = ", ".join(repr(float(c)) for c, _ in reversed(rest[:-1]))
    lines = [f"def _polygamma{order}(x):",
             f'    """psi^({order})(x), x > 0: the recurrence up to {switch}, then the '
             'asymptotic series."""',
             "    x = numpy.asarray(x, dtype=float)",
             "    flat, out = x.reshape(-1), numpy.empty(x.size)",
             "    for start in range(0, flat.size, 8192):",
             "        part = flat[start:start + 8192]",
             # NaN ignored, and at most switch + 1 steps (x <= 0 is invalid anyway)
             f"        lowest = max(float(numpy.fmin.reduce(part, initial={switch}.0)), 0.0)",
             f"        steps = int({switch}.0 - min(lowest, {switch}.0)) + 1",
             "        w = 1.0 / (part + steps)",
             "        w2 = w * w",
             "        t = numpy.empty(part.shape)",
             f"        value = numpy.full(part.shape, {float(rest[-1][0])!r})",
             f"        for c in ({later},):",
             "            value *= w2",
             "            value += c",
             "        value *= w2",
             f"        value += {float(c1)!r}",
             "        value *= w",
             f"        value += {float(c0)!r}",
             "        value *= w",
             f"        value += {float(polygamma_lead(order, 1))!r}"]
    lines += _power_into("t", "w", order, "        ")
    lines += ["        value *= t",
              "        r = numpy.empty(part.shape)",
              "        for k in range(steps - 1, -1, -1):",
              "            numpy.add(part, k, out=r)",
              "            numpy.divide(1.0, r, out=r)"]
    lines += _power_into("t", "r", order + 1, "            ")
    if step != 1:
        lines.append(f"            t *= {step!r}")
    lines += ["            value += t",
              "        out[start:start + 8192] = value",
              "    return out.reshape(x.shape)"]
    return lines


def _power_into(target, base, k, indent):
    """Lines putting ``base**k`` into the array ``target`` by repeated squaring,
    in place (``k >= 1``)."""
    bits = bin(k)[3:]
    if not bits:
        return [f"{indent}numpy.copyto({target}, {base})"]
    lines = [f"{indent}numpy.multiply({base}, {base}, out={target})"]
    if bits[0] == "1":
        lines.append(f"{indent}{target} *= {base}")
    for bit in bits[1:]:
        lines.append(f"{indent}{target} *= {target}")
        if bit == "1":
            lines.append(f"{indent}{target} *= {base}")
    return lines


def _polygamma_tail_helper(order, n):
    """``_polygamma_tail<order>(u)``: ``psi^(order)(u)`` less its leading term,
    the series from :meth:`polygamma_tail.switch` on, by subtraction below."""
    switch = polygamma_tail.switch(order)
    lead = polygamma_lead(order, 1)
    terms = polygamma_tail.coefficients(order)
    # Horner over the powers: sum c / v^k = w^k1 (c1 + w^(k2-k1) (c2 + ...))
    series = _tail_series(terms)
    return [f"def _polygamma_tail{order}(u):",
            f'    """psi^({order})(u) {"-" if lead > 0 else "+"} {abs(lead)} / u^{order} (polygamma less its '
            'leading term)."""',
            f"    v = {n['maximum']}(u, {switch}.0)",
            "    w = 1.0 / v",
            f"    series = {series}",
            f"    small = {n['minimum']}(u, {switch}.0)",
            f"    return {n['where']}(u >= {switch}, series, {n['polygamma'](order, 'small')} "
            f"- {float(lead)!r} / small**{order})"]


def _tail_series(terms):
    """``sum c / v^k`` over the ``(c, k)`` of ``terms`` in Horner form in
    ``w = 1/v``: ``w^k1 (c1 + w^(k2-k1) (c2 + ...))``."""
    nested = repr(float(terms[-1][0]))
    for (c, k), (_, k_next) in zip(reversed(terms[:-1]), reversed(terms[1:])):
        nested = f"{float(c)!r} + {_power('w', k_next - k)} * ({nested})"
    return f"{_power('w', terms[0][1])} * ({nested})"


def _power(w, k):
    """``w**k`` as products: a power of a float array runs ``pow()`` per
    element in NumPy (3 ns against 0.5 for a few products)."""
    return " * ".join([w] * k) if k <= 3 else _squarings(w, k)


def large_function(printer, large, arguments):
    """Source of ``_large(...)``: the large-argument form's value and the size
    of its terms."""
    terms = large[1].as_ordered_terms()
    lines = ["", "", f"def _large({', '.join(s.name for s in arguments)}):",
             f'    """Where a log-gamma, digamma or Bessel argument is at least {LARGE_ARGUMENT}: '
             f'the closed\n    form with their asymptotic series (their large terms '
             f'cancelled symbolically);\n    the value and the size of its terms."""']
    lines += [f"    l{i} = {printer.doprint(term)}" for i, term in enumerate(terms)]
    lines.append(f"    return {' + '.join(f'l{i}' for i in range(len(terms)))}, "
                 f"{' + '.join(f'abs(l{i})' for i in range(len(terms)))}")
    return lines


#: ``_vectors(**vectors)`` of a module over vectors of any length (NumPy,
#: PyTorch and JAX alike: the arguments are arrays by then)
VECTORS_HELPER = [
    "", "",
    "def _vectors(**vectors):",
    '    """Each argument a vector (its last axis the entries), all of one length."""',
    "    for name, v in vectors.items():",
    "        if v.ndim == 0:",
    '            raise ValueError(f"{name} must be a vector (its last axis holds the entries); "',
    '                             f"got {v.item()!r}")',
    "    lengths = {name: v.shape[-1] for name, v in vectors.items()}",
    "    if len(set(lengths.values())) > 1:",
    '        raise ValueError("the vectors\' last axes must have one length; got "',
    '                         + ", ".join(f"{k}: {v}" for k, v in lengths.items()))']
