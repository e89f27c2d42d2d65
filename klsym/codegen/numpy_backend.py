"""Print a :class:`~klsym.codegen.plan.Plan` as a standalone NumPy module.

The module depends on numpy (and scipy.special where a special function
appears) and nothing else: it can be written to a file and imported where
klsym is not installed.
"""

import sympy
from sympy import Add, S
from sympy.printing.numpy import SciPyPrinter

from .. import __version__


class _Printer(SciPyPrinter):
    """SciPy printing with the faster or exact special-function names."""

    def __init__(self):
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})

    def _print_polygamma(self, expr):
        n, x = expr.args
        if n == 0:
            return f"{self._module_format('scipy.special.digamma')}({self._print(x)})"
        return f"{self._module_format('scipy.special.polygamma')}({self._print(n)}, {self._print(x)})"

    def _print_Pi(self, expr):
        return self._module_format("numpy.pi")

    def _print_expint(self, expr):
        if expr.args[0] == 1:
            return f"{self._module_format('scipy.special.exp1')}({self._print(expr.args[1])})"
        return super()._print_expint(expr)

    def _print_zeta(self, expr):
        return f"{self._module_format('scipy.special.zeta')}({', '.join(map(self._print, expr.args))})"

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Integer(self, expr):
        return str(expr.p)


def module_source(plan, accuracy=None):
    """Python source of a module defining ``<quantity>(...)`` for ``plan``."""
    printer = _Printer()
    names = [a.name for a in plan.arguments]
    code = printer.doprint

    body = []
    emit = body.append
    emit(f"def {plan.quantity}({', '.join(names)}, *, validate=True):")
    emit(f'    """{plan.title} for arrays of parameters (NumPy broadcasting).')
    emit("")
    emit("    Parameters are " + ", ".join(_describe(a) for a in plan.arguments) + ".")
    emit("    With validate=False invalid parameters are not checked (the result is")
    emit("    then NaN or meaningless there).")
    emit('    """')
    emit(f"    ({', '.join(names)},), dtype = _inputs({', '.join(names)},)")
    seen = set()
    for a in plan.arguments:
        for index, symbol in a.entries:
            if index and symbol not in seen:
                emit(f"    {symbol.name} = {a.name}[..., {', '.join(map(str, index))}]")
            seen.add(symbol)
    scalars = [s.name for s in plan.symbols]
    emit(f"    {', '.join(scalars)}, = numpy.broadcast_arrays({', '.join(scalars)},)")
    emit(f"    shape = {scalars[0]}.shape")
    if plan.constraints:
        emit("    if validate:")
        for rel, owners, text in plan.constraints:
            shown = ", ".join(f"{s.name!r}: {s.name}" for s in sorted(rel.free_symbols, key=str))
            if text.endswith("is symmetric"):
                shown = f"{rel.lhs.name!r}: {rel.lhs.name}, {rel.rhs.name!r}: {rel.rhs.name}"
                test = f"numpy.equal({rel.lhs.name}, {rel.rhs.name})"
            elif isinstance(rel, sympy.Eq) and not rel.lhs.has(sympy.floor):
                # a float sum of probabilities is 1 only up to rounding
                test = (f"_close({printer.doprint(rel.lhs)}, {printer.doprint(rel.rhs)}, dtype, "
                        f"{len(rel.free_symbols)})")
            else:
                test = _condition(rel, printer)
            emit(f"        _require({test}, {text!r}, {owners!r}, {{{shown}}})")
    emit("    with numpy.errstate(all='ignore'):")
    for d, (q, p) in plan.differences.items():
        emit(f"        {d.name} = {q.name} - {p.name}")
    # the last closed branch everywhere (usually the only one), others where
    # their condition holds; +oo and no-closed-form regions are applied after
    if not plan.branches:  # only +oo or no closed form anywhere
        emit("        out = numpy.full(shape, numpy.nan)")
    *others, (_, closed) = plan.branches or [(None, sympy.nan)]
    terms = Add.make_args(closed) if plan.branches else ()
    for i, term in enumerate(terms):
        emit(f"        t{i} = {code(term)}")
    if terms:
        emit(f"        out = {' + '.join(f't{i}' for i in range(len(terms)))}")
        emit("        out = numpy.broadcast_to(out, shape).copy()")
    if plan.series is not None:
        args = [p.name for p in _p_symbols(plan)] + [d.name for d in plan.differences]
        # where the closed form lost digits to cancellation, the series decides
        emit(f"        magnitude = {' + '.join(f'numpy.abs(t{i})' for i in range(len(terms)))}")
        emit("        suspect = numpy.abs(out) < CANCELLED * magnitude")
        scaled = [(d, p) for d, (q, p) in plan.differences.items() if p.is_positive]
        if scaled:
            # positive parameters far apart (relative): the series cannot win there
            rough = " + ".join(f"numpy.abs({d.name} / {p.name})" for d, p in scaled)
            emit(f"        suspect &= {rough} < FAR_APART")
        emit(f"        _near_equal(out, suspect, ({', '.join(args)},))")
    for condition, expr in others:
        emit(f"        out = numpy.where({_condition(condition, printer)}, {code(expr)}, out)")
    if plan.infinite != S.false:
        emit(f"        out = numpy.where({_condition(plan.infinite, printer)}, numpy.inf, out)")
    if plan.open != S.false:
        emit(f"        _no_closed_form({_condition(plan.open, printer)}, {str(plan.open)!r})")
    if plan.nonnegative:
        emit("        out = numpy.maximum(out, 0.0)  # rounding never makes a divergence negative")
    emit("    return _output(out, dtype)")
    if plan.series is not None:
        args = [p.name for p in _p_symbols(plan)] + [d.name for d in plan.differences]
        lead, size = plan.series.ratios
        body.append("")
        body.append("")
        body.append(f"def _size({', '.join(args)}):")
        body.append('    """Ratio of successive series terms: the series is used where it is small."""')
        shared, (lead, size) = _shared([lead, size], "s")
        body += [f"    {name} = {code(value)}" for name, value in shared]
        body.append(f"    lead = {code(lead)}")
        body.append(f"    return numpy.where(lead == 0, 0.0, {code(size)})")
        body.append("")
        body.append("")
        body.append(f"def _series({', '.join(args)}):")
        body.append(f'    """The Taylor series near p = q to order {plan.series.order} '
                    f'(highest terms first)."""')
        shared, terms = _shared(list(plan.series.terms), "s")
        body += [f"    {name} = {code(value)}" for name, value in shared]
        body.append("    total = 0.0")
        for term in reversed(terms):
            body.append(f"    total = total + ({code(term)})")
        body.append("    return total")
    header = _header(plan, accuracy)
    return header + "\n".join(body) + "\n"


def _shared(expressions, prefix):
    """Common special-function calls computed once (``s0 = polygamma(3, a)``)."""
    calls = sorted({f for e in expressions for f in e.atoms(sympy.Function)
                    if f.free_symbols}, key=sympy.count_ops)
    names = {}
    shared = []
    # integer powers of symbols by repeated multiplication (numpy.power is slow)
    powers = {}
    for e in expressions:
        for pw in e.atoms(sympy.Pow):
            if pw.base.is_Symbol and pw.exp.is_Integer and abs(pw.exp) > 1:
                key = (pw.base, 1 if pw.exp > 0 else -1)
                powers[key] = max(powers.get(key, 0), abs(int(pw.exp)))
    for (base, sign), top in sorted(powers.items(), key=lambda item: (item[0][0].name, item[0][1])):
        stem = f"{base.name}_{'inv' if sign < 0 else ''}"
        first = base if sign > 0 else sympy.Symbol(f"{stem}1")
        if sign < 0:
            shared.append((first.name, 1 / base))
        for k in range(2, top + 1):
            previous = first if k == 2 else sympy.Symbol(f"{stem}{k - 1}")
            shared.append((f"{stem}{k}", previous * first))
            names[base ** (sign * k)] = sympy.Symbol(f"{stem}{k}")
    for i, call in enumerate(calls):
        symbol = sympy.Symbol(f"{prefix}{i}")
        shared.append((symbol.name, call.xreplace(names)))
        names[call] = symbol
    return shared, [_replace_powers(e, names) for e in expressions]


def _replace_powers(expr, names):
    return expr.replace(lambda e: e in names, lambda e: names[e])


def _p_symbols(plan):
    pairs = set(plan.differences.values())
    used = {p for _, p in pairs}
    for term in plan.series.terms:
        used |= term.free_symbols
    return [s for s in plan.symbols if s in used and s not in plan.differences]


def _condition(condition, printer):
    return printer.doprint(condition)


def _describe(argument):
    if not argument.shape:
        return argument.name
    if len(argument.shape) == 1:
        return f"{argument.name} (last axis of length {argument.shape[0]})"
    return f"{argument.name} (last two axes {argument.shape[0]} x {argument.shape[1]})"


def _header(plan, accuracy):
    constraints = "\n".join(f"    {text}" for _, _, text in plan.constraints) or "    (none)"
    series = (f"Where the ratio of successive series terms |c_3/c_2| + sqrt|c_4/c_2|\n"
              f"is below {plan.switch:.3g}, the Taylor series near p = q to order "
              f"{plan.series.order} is used\ninstead, from the parameter differences formed "
              f"once from the inputs.\n") if plan.series is not None else ""
    accuracy = accuracy or "See klsym's test suite for the accuracy it was verified to."
    return f'''"""{plan.title}, generated by klsym {__version__}.

Closed form derived by klsym from the declared densities:

    {plan.formula}

{series}Parameter constraints (checked unless validate=False):
{constraints}

{accuracy}
"""

import numpy
import scipy.special

SERIES_BELOW = {plan.switch!r}
CANCELLED = 1e-2  # |result| below this times the size of its terms: digits were lost
FAR_APART = 0.5  # relative differences of positive parameters beyond which no series is tried


def _inputs(*arrays):
    """Float64 arrays, and the dtype of the result (float32 only if every
    floating input is float32)."""
    converted = [numpy.asarray(a) for a in arrays]
    kinds = [a.dtype for a in converted if numpy.issubdtype(a.dtype, numpy.floating)]
    dtype = numpy.result_type(*kinds) if kinds else numpy.dtype(numpy.float64)
    scalar = all(a.ndim == 0 for a in converted)
    return [a.astype(numpy.float64, copy=False) for a in converted], (dtype, scalar)


def _output(out, dtype):
    dtype, scalar = dtype
    out = out.astype(dtype, copy=False)
    return out[()] if scalar else out


def _require(ok, constraint, owners, values):
    ok = numpy.asarray(ok, dtype=bool)
    if ok.all():
        return
    index = tuple(int(i) for i in numpy.argwhere(~ok)[0])
    where = f" at index {{index}}" if index else ""
    shown = ", ".join(f"{{k}}={{numpy.broadcast_to(v, ok.shape)[index].item()!r}}"
                      for k, v in values.items())
    raise ValueError(f"{{' and '.join(owners)}} must satisfy {{constraint}}; got {{shown}}{{where}}")


def _close(a, b, dtype, terms):
    return numpy.abs(numpy.asarray(a) - b) <= 64 * numpy.finfo(dtype[0]).eps * terms


def _near_equal(out, suspect, args):
    """Replace ``out`` by the series where the closed form cancelled and the
    series is the more accurate."""
    if not suspect.any():
        return
    flat = out.reshape(-1)  # a view: out is a fresh contiguous array
    where = numpy.flatnonzero(suspect)
    sub = [numpy.broadcast_to(a, out.shape).reshape(-1)[where] for a in args]
    use = _size(*sub) < SERIES_BELOW
    if use.any():
        flat[where[use]] = _series(*[s[use] for s in sub])


def _no_closed_form(mask, condition):
    if numpy.any(mask):
        raise NotImplementedError(
            f"no closed form where {{condition}} (first at index "
            f"{{tuple(int(i) for i in numpy.argwhere(numpy.broadcast_to(mask, numpy.shape(mask)))[0])}}); "
            "use klsym.kl(..., numeric=True) there")


'''
