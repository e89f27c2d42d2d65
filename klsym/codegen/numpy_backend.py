"""Print a :class:`~klsym.codegen.plan.Plan` as a standalone NumPy module.

The module depends on numpy (and scipy.special where a special function
appears) and nothing else: it can be written to a file and imported where
klsym is not installed.
"""

import sympy
from sympy import S
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


def _printer():
    return _Printer()


def function_name(plan):
    return plan.quantity


def module_source(plan, accuracy=None):
    """Python source of a module defining ``<quantity>(...)`` for ``plan``."""
    printer = _printer()
    names = [a.name for a in plan.arguments]
    code = printer.doprint

    body = []
    emit = body.append
    emit(f"def {function_name(plan)}({', '.join(names)}, *, validate=True):")
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
    emit("        out = numpy.full(shape, numpy.nan)")
    for i, (condition, expr) in enumerate(plan.branches):
        mask = "None" if condition == S.true else _condition(condition, printer)
        last = i == len(plan.branches) - 1 and plan.series is not None
        emit(f"        mask = {mask}")
        emit(f"        _fill(out, mask, lambda: {code(expr)}, "
             f"({', '.join(scalars)},))" if not last else
             f"        _fill(out, mask, lambda: {code(expr)}, ({', '.join(scalars)},))")
        if last:
            series = plan.series
            args = [p.name for p in _p_symbols(plan)] + [d.name for d in plan.differences]
            lead, size = series.ratios
            emit(f"        lead = {code(lead)}")
            emit(f"        size = numpy.where(lead == 0, 0.0, {code(size)})")
            emit(f"        near = size < SERIES_BELOW")
            emit("        if mask is not None:")
            emit("            near &= mask")
            emit("        if near.any():")
            emit(f"            out[near] = _series(*(a[near] for a in ({', '.join(args)},)))")
    if plan.infinite != S.false:
        emit(f"        out = numpy.where({_condition(plan.infinite, printer)}, numpy.inf, out)")
    if plan.open != S.false:
        emit(f"        _no_closed_form({_condition(plan.open, printer)}, {str(plan.open)!r})")
    if plan.nonnegative:
        emit("        out = numpy.maximum(out, 0.0)  # rounding never makes a divergence negative")
    emit("    return _output(out, dtype)")
    if plan.series is not None:
        args = [p.name for p in _p_symbols(plan)] + [d.name for d in plan.differences]
        body.append("")
        body.append("")
        body.append(f"def _series({', '.join(args)}):")
        body.append(f'    """The Taylor series near p = q to order {plan.series.order} '
                    f'(highest terms first)."""')
        body.append("    total = 0.0")
        for term in reversed(plan.series.terms):
            body.append(f"    total = total + ({code(term)})")
        body.append("    return total")
    header = _header(plan, accuracy)
    return header + "\n".join(body) + "\n"


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


def _inputs(*arrays):
    """Float64 arrays, and the dtype of the result (float32 only if every
    floating input is float32)."""
    converted = [numpy.asarray(a) for a in arrays]
    kinds = [a.dtype for a in converted if numpy.issubdtype(a.dtype, numpy.floating)]
    dtype = numpy.result_type(*kinds) if kinds else numpy.dtype(numpy.float64)
    scalar = all(a.ndim == 0 for a in converted)
    return [a.astype(numpy.float64) for a in converted], (dtype, scalar)


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


def _fill(out, mask, formula, arrays):
    if mask is None:
        out[...] = formula()
        return
    mask = numpy.broadcast_to(mask, out.shape)
    if mask.any():
        out[mask] = numpy.broadcast_to(formula(), out.shape)[mask]


def _no_closed_form(mask, condition):
    if numpy.any(mask):
        raise NotImplementedError(
            f"no closed form where {{condition}} (first at index "
            f"{{tuple(int(i) for i in numpy.argwhere(numpy.broadcast_to(mask, numpy.shape(mask)))[0])}}); "
            "use klsym.kl(..., numeric=True) there")


'''
