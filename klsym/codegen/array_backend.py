"""Print a :class:`~klsym.codegen.plan.Plan` for PyTorch or JAX.

The same expressions as the NumPy module, printed with the framework's
functions, and differentiable (no in-place writes).  Where the closed form
cancelled, the remainder form and the series near p = q are evaluated on
those elements alone (gathered, then put back); when traced (``jax.jit``,
``jax.grad``: no data-dependent shapes) on every element, chosen with
``where`` and fed differences that are 0 where they are not chosen, so that
neither branch sends NaN into a gradient.
"""


from sympy import S

from .common import (CANCELLED, CONVERGES, EPS, FAR_APART, LOST, documentation, large_form, large_series,
                     near_arguments, prepared, remainder_form, summed_sizes, term_sizes)
from .floating import (EXPM1MX_COEFFICIENTS, STIRLING_SHIFT, atanh_terms, expm1mx_terms,
                       stirling_remainders)
from .printers import printer as make_printer, zeta_polygamma
from .pyprint import (VECTORS_HELPER, entries, large_function, remainder_function, series_functions,
                      signature, tail_helpers, validation)

_TORCH_PRELUDE = '''
import torch

inf = float("inf")


def _inputs(*arrays):
    """Float64 tensors on the device of the first tensor given, and the
    dtype of the result (float32 only if every floating input is float32)."""
    device = next((a.device for a in arrays if isinstance(a, torch.Tensor)), None)
    # Python numbers and lists are double precision; tensors and NumPy arrays keep theirs
    typed = [torch.as_tensor(a, device=device) if hasattr(a, "dtype")
             else torch.as_tensor(a, dtype=torch.float64, device=device) for a in arrays]
    kinds = [a.dtype for a, given in zip(typed, arrays)
             if hasattr(given, "dtype") and a.is_floating_point()]
    dtype = kinds[0] if kinds and all(k == kinds[0] for k in kinds) else torch.float64
    return [a.to(torch.float64) for a in typed], dtype


def _output(out, dtype):
    return out.to(dtype)


def _eps(dtype):
    return torch.finfo(dtype).eps


def _broadcast(*arrays):
    return torch.broadcast_tensors(*arrays)


def _require(ok, constraint, owners, values):
    ok = torch.as_tensor(ok)
    if bool(ok.all()):
        return
    index = tuple(int(i) for i in torch.nonzero(~ok)[0]) if ok.dim() else ()
    shown = ", ".join(f"{k}={torch.broadcast_to(torch.as_tensor(v), ok.shape)[index].item()!r}"
                      for k, v in values.items())
    where = f" at index {index}" if index else ""
    raise ValueError(f"{' and '.join(owners)} must satisfy {constraint}; got {shown}{where}")


def _close(a, b, terms, eps):
    return abs(a - b) <= 64 * eps * terms


def _no_closed_form(mask, condition, out):
    if bool(torch.as_tensor(mask).any()):
        raise NotImplementedError(f"no closed form where {condition}; "
                                  "use klsym.kl(..., numeric=True) there")
    return out


def _where(condition, a, b):
    return torch.where(condition, torch.as_tensor(a, dtype=torch.float64),
                       torch.as_tensor(b, dtype=torch.float64))


def _nonnegative(out):
    return torch.clamp(out, min=0.0)


def _selection(function, *args):
    with torch.no_grad():
        return function(*args)


def _any(mask):
    return bool(torch.as_tensor(mask).any())


def _pick(mask):
    """The flat indices where ``mask`` is set."""
    return torch.nonzero(mask.reshape(-1)).reshape(-1)


def _take(a, index, shape):
    """``a`` broadcast to ``shape``, at the flat ``index``."""
    a = a if isinstance(a, torch.Tensor) else torch.as_tensor(a, dtype=torch.float64)
    return torch.broadcast_to(a, shape).reshape(-1)[index]


def _put(target, index, value, shape):
    """``target`` broadcast to ``shape``, with ``value`` at the flat ``index``
    (a new tensor: differentiable)."""
    flat = torch.broadcast_to(torch.as_tensor(target, dtype=torch.float64), shape).reshape(-1)
    return flat.index_put((index,), value).reshape(shape)
'''

_JAX_PRELUDE = '''
import jax
import jax.numpy
import jax.scipy.special

inf = float("inf")


def _working():
    return jax.numpy.float64 if jax.config.jax_enable_x64 else jax.numpy.float32


def _inputs(*arrays):
    """Arrays in float64 (float32 unless jax_enable_x64 is set), and the
    dtype of the result (float32 only if every floating input is float32)."""
    converted = [jax.numpy.asarray(a) for a in arrays]
    kinds = [a.dtype for a in converted if jax.numpy.issubdtype(a.dtype, jax.numpy.floating)]
    dtype = jax.numpy.result_type(*kinds) if kinds else _working()
    return [a.astype(_working()) for a in converted], dtype


def _output(out, dtype):
    return out.astype(dtype)


def _eps(dtype):
    return jax.numpy.finfo(dtype).eps


def _broadcast(*arrays):
    return jax.numpy.broadcast_arrays(*arrays)


def _concrete(value):
    """``bool(value)``, or None when ``value`` is traced (inside jax.jit)."""
    try:
        return bool(value)
    except jax.errors.ConcretizationTypeError:
        return None


def _require(ok, constraint, owners, values):
    ok = jax.numpy.asarray(ok)
    passed = _concrete(ok.all())
    if passed is None:
        raise TypeError("parameter validation needs concrete values; inside jax.jit or "
                        "jax.grad of a traced value call with validate=False")
    if passed:
        return
    index = tuple(int(i) for i in jax.numpy.argwhere(~ok)[0]) if ok.ndim else ()
    shown = ", ".join(f"{k}={jax.numpy.broadcast_to(v, ok.shape)[index].item()!r}"
                      for k, v in values.items())
    where = f" at index {index}" if index else ""
    raise ValueError(f"{' and '.join(owners)} must satisfy {constraint}; got {shown}{where}")


def _close(a, b, terms, eps):
    return abs(a - b) <= 64 * eps * terms


def _no_closed_form(mask, condition, out):
    """Raise where no closed form exists; when traced, NaN there instead."""
    if _concrete(jax.numpy.any(mask)):
        raise NotImplementedError(f"no closed form where {condition}; "
                                  "use klsym.kl(..., numeric=True) there")
    return jax.numpy.where(mask, jax.numpy.nan, out)


def _where(condition, a, b):
    return jax.numpy.where(condition, a, b)


def _nonnegative(out):
    return jax.numpy.maximum(out, 0.0)


def _selection(function, *args):
    return jax.lax.stop_gradient(function(*args))


def _any(mask):
    """Whether any element is set; True when traced (inside jax.jit)."""
    return _concrete(jax.numpy.any(mask)) is not False


def _log1p(x):
    """log(1 + x) from jax.numpy.log and the rounding error of 1 + x (within 1
    EPS relative; jax.numpy.log1p errs by up to 76 EPS for x near -0.4)."""
    u = 1.0 + x
    usual = jax.numpy.isfinite(u) & (u != 0.0)  # else log1p's -oo, +oo or NaN
    kept = jax.numpy.where(usual, u, 1.0)
    return jax.numpy.where(usual, jax.numpy.log(kept) + (x - (kept - 1.0)) / kept, jax.numpy.log1p(x))


def _xlog1py(x, y):
    """x log(1 + y), 0 where x = 0."""
    return jax.numpy.where(x == 0, 0.0, x * _log1p(y))


def _pick(mask):
    """The flat indices where ``mask`` is set; None when traced (inside
    jax.jit or jax.grad): every element is then evaluated."""
    if _concrete(jax.numpy.any(mask)) is None:
        return None
    return jax.numpy.flatnonzero(mask)


def _take(a, index, shape):
    """``a`` broadcast to ``shape``, at the flat ``index``."""
    return jax.numpy.broadcast_to(a, shape).reshape(-1)[index]


def _put(target, index, value, shape):
    """``target`` broadcast to ``shape``, with ``value`` at the flat ``index``."""
    return jax.numpy.broadcast_to(target, shape).reshape(-1).at[index].set(value).reshape(shape)
'''

PRELUDES = {"torch": _TORCH_PRELUDE, "jax": _JAX_PRELUDE}
#: the functions the helpers of the large-argument form call
TAIL_NAMES = {
    "torch": {"maximum": "torch.clamp_min", "minimum": "torch.clamp_max", "where": "torch.where",
              "log": "torch.log", "exp": "torch.exp", "exp1": None,
              "gammaln": "torch.lgamma", "digamma": "torch.special.digamma",
              "log1p": "torch.log1p", "expm1": "torch.expm1",
              "i0e": "torch.special.i0e", "i1e": "torch.special.i1e",
              # PyTorch's own polygamma loses digits; its Hurwitz zeta does not
              "polygamma": zeta_polygamma("torch.special.zeta")},
    "jax": {"maximum": "jax.numpy.maximum", "minimum": "jax.numpy.minimum", "where": "jax.numpy.where",
            "log": "jax.numpy.log", "exp": "jax.numpy.exp", "exp1": "jax.scipy.special.exp1",
            "gammaln": "jax.scipy.special.gammaln", "digamma": "jax.scipy.special.digamma",
            "log1p": "_log1p", "expm1": "jax.numpy.expm1",
            "i0e": "jax.scipy.special.i0e", "i1e": "jax.scipy.special.i1e",
            "polygamma": lambda n, u: f"jax.scipy.special.polygamma({n}, {u})"},
}
#: the remainder form's helpers: the NumPy module's (see
#: :mod:`klsym.codegen.numpy_backend`) with fixed numbers of terms and steps,
#: which no reduction of the data decides (JAX traces them; every element
#: takes the same operations), and each side of a switch fed a harmless
#: argument where the other side is chosen (finite values and gradients
#: through ``where``).  The steps of ``_lgamma_remainder`` are always STEPS:
#: z = x + STEPS is at least SHIFT, where Stirling's eight terms suffice.
#: the fixed term counts beyond the first: atanh's tail for s^2 <= 1/9, exp's for |u| <= 1
ATANH, EXPM1MX = atanh_terms(1.0 / 9.0), expm1mx_terms(1.0)


def _remainder_helpers(n, body):
    called = lambda name: any(f"{name}(" in line for line in body)  # noqa: E731
    lines = []
    if called("_lgamma_remainder"):
        lines += [
            "", "",
            "def _lgamma_remainder(x, d):",
            '    """log Gamma(x + d) - log Gamma(x) - d psi(x), x > 0 and x + d > 0: STEPS',
            "    steps of the recurrence, each adding -(log(1 + u) - u) at u = d / (x + k),",
            "    then Stirling's series at z = x + STEPS with each term less its tangent",
            "    (terms of one sign); the three terms as they are where d is more than",
            '    max(x, SHIFT) above or half of it below (they do not cancel there)."""',
            "    x = x + 0.0 * d  # an array, whatever x is (a number in some forms)",
            f"    reach = {n['maximum']}(x, SHIFT)",
            "    far = (d < -0.5 * reach) | (d > reach)",
            "    e = _where(far, 0.0, d)",
            "    g = _where(far, d, 0.0)",
            "    total = -_log1pmx(e / x)",
            "    for k in range(1, STEPS):",
            "        total = total - _log1pmx(e / (x + k))",
            "    z = x + STEPS",
            "    u = e / z",
            "    phi = _log1pmx(u)",
            "    total = total + z * ((1.0 + u) * phi + u * u) - 0.5 * phi",
            "    # z^(1-2k) ((1 + u)^-n - 1 + n u) = z^(1-2k) u^2 N_n(u) / (1 + u)^n, n = 2k - 1",
            "    w = 1.0 / z",
            "    scale, power = w * u * u, 1.0 / (1.0 + u)",
            "    step = power * power",
            "    for c, coefficients in _STIRLING_REMAINDERS:",
            "        poly = coefficients[0]",
            "        for a in coefficients[1:]:",
            "            poly = poly * u + a",
            "        total = total + c * scale * poly * power",
            "        scale = scale * w * w",
            "        power = power * step",
            f"    direct = {n['gammaln']}(x + g) - {n['gammaln']}(x) - g * {n['digamma']}(x)",
            "    return _where(far, direct, total)",
            "",
            "",
            f"SHIFT = {float(STIRLING_SHIFT)!r}  # Stirling's series from here on (eight terms: the ninth "
            "is below 6e-17 relative)",
            f"STEPS = {STIRLING_SHIFT!r}  # of the recurrence, for every element",
            "#: (B_2k / (2k (2k - 1)), coefficients of N_n, n = 2k - 1, from the highest power)",
            f"_STIRLING_REMAINDERS = {stirling_remainders()!r}"]
    if called("_log1pmx") or lines:
        lines += [
            "", "",
            "def _log1pmx(u):",
            '    """log(1 + u) - u for u > -1: where |u| <= 1/2, -u^2 / (2 + u) + 2 s^3',
            f"    sum_j s^2j / (2j + 3) with s = u / (2 + u) (s^2 <= 1/9: {ATANH + 1} terms reach full",
            '    precision); log1p(u) - u beyond."""',
            "    near = abs(u) <= 0.5",
            "    v = _where(near, u, 0.0)",
            "    s = v / (2.0 + v)",
            "    s2 = s * s",
            f"    series = 0.0 * s2 + {1.0 / (2 * ATANH + 3)!r}",
            f"    for k in range({ATANH - 1}, -1, -1):",
            "        series = series * s2 + 1.0 / (2 * k + 3)",
            "    other = _where(near, 1.0, u)",
            f"    return _where(near, 2.0 * s * s2 * series - v * v / (2.0 + v), {n['log1p']}(other) - other)"]
    if called("_expm1mx"):
        lines += [
            "", "",
            "def _expm1mx(u):",
            f'    """exp(u) - 1 - u: where |u| <= 1, u^2 sum_k u^k / (k + 2)! ({EXPM1MX + 1} terms reach',
            '    full precision); expm1(u) - u beyond."""',
            "    near = abs(u) <= 1.0",
            "    v = _where(near, u, 0.0)",
            f"    series = 0.0 * v + _EXPM1MX[{EXPM1MX}]",
            f"    for k in range({EXPM1MX - 1}, -1, -1):",
            "        series = series * v + _EXPM1MX[k]",
            "    other = _where(near, 2.0, u)",
            f"    return _where(near, v * v * series, {n['expm1']}(other) - other)",
            "",
            "",
            f"_EXPM1MX = {EXPM1MX_COEFFICIENTS[:EXPM1MX + 1]!r}  # 1 / (k + 2)!"]
    return lines


NOTES = {"torch": "PyTorch tensors (differentiable), computed in float64; float32 in gives "
                  "float32 out.",
         "jax": "JAX arrays (differentiable, traceable with validate=False); float64 needs "
                "jax_enable_x64."}


def _remainder_selection(plan, args):
    """Where the closed form lost more than LOST (``use``): the remainder form,
    on those elements alone (every element when traced, the differences 0
    elsewhere); the series is then tried only where its own terms still
    cancel."""
    masked = ", ".join(f"_where(use, {a}, 0.0)" if a in {d.name for d in plan.differences} else a
                       for a in args.split(", "))
    return ["    if _any(use):  # the remainder form: no two terms cancel at first order",
            "        index = _pick(use)",
            "        if index is None:  # traced: every element",
            f"            value, size, alone = _remainder({masked})",
            "        else:",
            f"            value, size, alone = _remainder(*[_take(a, index, out.shape) for a in ({args},)])",
            "            value, size = _put(out, index, value, out.shape), _put(magnitude, index, size, out.shape)",
            "            alone = _put(plain, index, alone, out.shape)",
            "        # where the sum of its terms alone is the smaller: what cancelled at first",
            "        # order is gone (far from p = q the closed form is the better)",
            "        better = use & (alone < plain)",
            "        out = _where(better, value, out)",
            "        magnitude = _where(better, size, magnitude)",
            "        use = use & _selection(lambda: EPS * magnitude > LOST * abs(out))"]


def module_source(plan, backend, accuracy=None, summed=None):
    """Python source of a ``backend`` ("torch" or "jax") module defining
    ``<quantity>(...)`` for ``plan`` (with ``summed``, the texts of the
    vectors' equations, its documentation is that of a sum over entries:
    :func:`summed_source`)."""
    printer = make_printer(backend)
    code = printer.doprint
    branches, series_terms, ratios = prepared(plan, backend)
    scalars = [s.name for s in plan.symbols]
    names = [a.name for a in plan.arguments]
    large, large_arguments = large_form(plan, branches, backend)
    near_large = large_series(plan, backend)
    near_args = near_arguments(plan, series_terms, near_large)
    remainder = remainder_form(plan, backend, near_args.split(", "))

    body = signature(plan, NOTES[backend])
    body.append(f"    ({', '.join(names)},), dtype = _inputs({', '.join(names)},)")
    body += entries(plan, "    ")
    body.append(f"    {', '.join(scalars)}, = _broadcast({', '.join(scalars)},)")
    if plan.constraints:
        body.append("    if validate:")
        body.append("        eps = _eps(dtype)")
        body += validation(plan, printer, "        ", arrays=True)
        body += validation(plan, printer, "        ", arrays=False)
    zero = f"0.0 * {scalars[0]}"  # the result's shape even where the closed form is constant
    for d, (q, p) in plan.differences.items():
        body.append(f"    {d.name} = {q.name} - {p.name}")
    if branches:
        *others, (_, closed) = branches
        terms = closed.as_ordered_terms()
        for i, term in enumerate(terms):
            body.append(f"    t{i} = {code(term)}")
        body.append(f"    out = {' + '.join(f't{i}' for i in range(len(terms)))} + {zero}")
        if large:
            body.append(f"    large = {code(large[0])}")
            body.append("    use_large = _any(large)")
            body.append("    if use_large:")
            body.append(f"        value, size = _large({', '.join(s.name for s in large_arguments)})")
            body.append("        out = _where(large, value, out)")
        if plan.series is not None or remainder is not None:
            args = near_args
            body.append(f"    plain = {' + '.join(term_sizes(terms, code, backend=backend))}")
            sums = "".join(" + " + part for part in summed_sizes(terms, code))
            body.append(f"    magnitude = plain{sums}")
            if large:
                body.append("    if use_large:")
                body.append("        magnitude = _where(large, size, magnitude)")
                body.append("        plain = _where(large, size, plain)")
            body.append("    use = (out < CANCELLED * magnitude)")
            if remainder is not None:
                body += _remainder_selection(plan, args)
        if plan.series is not None:
            taken = [d.name for d in plan.differences if d.name in args.split(", ")]
            # the series on the candidates alone (every element when traced):
            # the arguments, the result and its size are taken there and
            # the same lines run on them
            body.append("    if _any(use):")
            body.append("        index = _pick(use)")
            body.append("        if index is not None:  # those elements alone")
            body.append(f"            whole, arguments = out, ({args},)")
            body.append(f"            {args}, out, magnitude, use = [_take(a, index, whole.shape) for a in "
                        f"({args}, out, magnitude, use)]")
            body.append(f"        use = use & _selection(_near, {args})")
            # the series sees differences of 0 where it is not chosen: finite values
            # and gradients there, whatever the differences are
            for d in taken:
                body.append(f"        {d} = _where(use, {d}, 0.0)")
            # where the truncated series (about size^(ORDER - 1) relative) may beat
            # the closed form; its last term decides below
            body.append(f"        ratio = _selection(_size, {args})")
            body.append("        use = use & ((ratio < SERIES_BELOW) | ((ratio < CONVERGES)"
                        " & (ratio ** (ORDER - 1) * abs(out) < EPS * magnitude)))")
            for d in taken:
                body.append(f"        {d} = _where(use, {d}, 0.0)")
            body.append(f"        total, last = _series({args})")
            body.append("        use = use & _selection(lambda: abs(last) < EPS * magnitude)")
            body.append("        out = _where(use, total, out)")
            body.append("        if index is not None:")
            body.append("            out = _put(whole, index, out, whole.shape)")
            body.append(f"            {args}, = arguments")
        for condition, expr in others:
            body.append(f"    out = _where({code(condition)}, {code(expr)}, out)")
    else:
        body.append(f"    out = float('nan') + {zero}")
    if plan.infinite != S.false:
        body.append(f"    out = _where({code(plan.infinite)}, inf, out)")
    if plan.open != S.false:
        body.append(f"    out = _no_closed_form({code(plan.open)}, {str(plan.open)!r}, out)")
    if plan.nonnegative:
        body.append("    out = _nonnegative(out)  # rounding never makes a divergence negative")
    body.append("    return _output(out, dtype)")
    if plan.series is not None:
        body += series_functions(plan, printer, series_terms, ratios, "_where", near_large)
    if remainder is not None:
        body += remainder_function(remainder, code, near_args)
    if large:
        body += large_function(printer, large, large_arguments)
    body += tail_helpers(TAIL_NAMES[backend], [e for _, e in branches] + ([large[1]] if large else [])
                         + list(near_large[1] if near_large else []))
    body += _remainder_helpers(TAIL_NAMES[backend], body)
    text = documentation(plan, accuracy, NOTES[backend], bool(large), remainder is not None, summed)
    header = (f'"""{text}"""\n{PRELUDES[backend]}\n'
              f"SERIES_BELOW = {plan.switch!r}\nCANCELLED = {CANCELLED!r}\nLOST = {LOST!r}\n"
              f"FAR_APART = {FAR_APART!r}\nEPS = {EPS!r}\nCONVERGES = {CONVERGES!r}\n"
              f"ORDER = {plan.series.order if plan.series is not None else 0!r}\n\n\n")
    return header + "\n".join(body) + "\n"


def summed_source(found, backend, accuracy=None):
    """Python source of a ``backend`` module defining ``<quantity>(...)`` of
    vectors of any length (the last axis) from ``found``, an
    :class:`~klsym.codegen.entries.Entries`: the module of one entry's term
    (its function renamed ``_entry``), evaluated on every entry at once with
    its own cancellation test, remainder form and series per entry, then
    summed over the last axis; the vectors' equations checked on the sums."""
    plan = found.plan
    text = module_source(plan, backend, accuracy, summed=[t for _, _, t in found.sums])
    entry = f"def {plan.quantity}("
    assert text.count(entry) == 1
    text = text.replace(entry, "def _entry(")
    names = [a.name for a in plan.arguments]
    listed = ", ".join(names)
    lines = ["", "", f"def {plan.quantity}({listed}, *, validate=True):",
             f'    """{plan.title} for vectors of any length K (the last axis holds the',
             "    entries; broadcasting over the others): _entry summed over the entries.",
             "",
             f"    Parameters are {listed}, each a vector of the same length on its last axis.",
             f"    {NOTES[backend]}",
             "    With validate=False invalid parameters are not checked (the result is",
             "    then NaN or meaningless there).",
             '    """',
             f"    ({listed},), dtype = _inputs({listed},)",
             f"    _vectors({', '.join(f'{n}={n}' for n in names)})",
             "    # each entry checked (and named by its index) first, then each vector's sum",
             (f"    result = _summed_rows(_entry, ({listed},), validate)" if backend == "torch"
              else f"    result = _entry({listed}, validate=validate).sum(-1)")]
    if found.sums:
        lines += ["    if validate:", "        eps = _eps(dtype)"]
        for name, constant, text_ in found.sums:
            lines += [f"        total = {name}.sum(-1)",
                      f"        _require(_close(total, {constant}, {name}.shape[-1], eps), {text_!r}, "
                      f"[{name!r}], {{'sum({name})': total}})"]
    if found.quantity == "kl":
        lines.append("    result = _nonnegative(result)  # a divergence: the sum is never negative")
    lines.append("    return _output(result, dtype)")
    if backend == "torch":
        lines += SUMMED_ROWS
    return text + "\n".join(lines + VECTORS_HELPER) + "\n"


#: PyTorch's sum over entries, a chunk of rows at a time: glibc maps a
#: tensor above its mmap ceiling (32 MB) afresh at every call, a page fault
#: per 4 KB; the categorical KL on 10^6 rows of 10 entries took 589 ns a row
#: whole (371108 page faults a call) and 205-269 in chunks of 10^4 to 3e5 rows
SUMMED_ROWS = ["", "",
    "CHUNK = 2 ** 20  # entries per chunk of rows (8 MB a float64 tensor)",
    "", "",
    "def _summed_rows(entry, vectors, validate):",
    '    """``entry(*vectors).sum(-1)``, CHUNK entries\' rows at a time (differentiable:',
    "    the chunks' sums are concatenated).  Where a chunk has an invalid entry,",
    '    the whole is checked again, so that the error names its index in the whole."""',
    "    vectors = torch.broadcast_tensors(*vectors)",
    "    shape = vectors[0].shape",
    "    rows, step = vectors[0].numel() // max(1, shape[-1]), max(1, CHUNK // max(1, shape[-1]))",
    "    if rows <= step:",
    "        return entry(*vectors, validate=validate).sum(-1)",
    "    flat = [v.reshape(-1, shape[-1]) for v in vectors]",
    "    parts = []",
    "    for start in range(0, rows, step):",
    "        try:",
    "            parts.append(entry(*[v[start:start + step] for v in flat], validate=validate).sum(-1))",
    "        except ValueError:",
    "            entry(*vectors, validate=True)",
    "            raise",
    "    return torch.cat(parts).reshape(shape[:-1])"]
