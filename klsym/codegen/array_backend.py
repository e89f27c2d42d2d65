"""Print a :class:`~klsym.codegen.plan.Plan` for PyTorch or JAX.

The same expressions as the NumPy module, printed with the framework's
functions, and differentiable: the series near p = q is chosen per element
with ``where`` (no in-place writes, no data-dependent shapes, so JAX can
trace and compile it), and the series is fed differences that are 0 where it
is not chosen, so neither branch sends NaN into a gradient.
"""


from sympy import S

from .common import (CANCELLED, CONVERGES, EPS, FAR_APART, documentation, large_form, large_series, prepared,
                     term_sizes)
from .printers import printer as make_printer, zeta_polygamma
from .pyprint import (entries, large_function, series_call, series_functions, signature,
                      tail_helpers, validation)

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
'''

PRELUDES = {"torch": _TORCH_PRELUDE, "jax": _JAX_PRELUDE}
#: the functions the helpers of the large-argument form call
TAIL_NAMES = {
    "torch": {"maximum": "torch.clamp_min", "minimum": "torch.clamp_max", "where": "torch.where",
              "log": "torch.log", "exp": "torch.exp", "exp1": None,
              "gammaln": "torch.lgamma", "digamma": "torch.special.digamma",
              "i0e": "torch.special.i0e", "i1e": "torch.special.i1e",
              # PyTorch's own polygamma loses digits; its Hurwitz zeta does not
              "polygamma": zeta_polygamma("torch.special.zeta")},
    "jax": {"maximum": "jax.numpy.maximum", "minimum": "jax.numpy.minimum", "where": "jax.numpy.where",
            "log": "jax.numpy.log", "exp": "jax.numpy.exp", "exp1": "jax.scipy.special.exp1",
            "gammaln": "jax.scipy.special.gammaln", "digamma": "jax.scipy.special.digamma",
            "i0e": "jax.scipy.special.i0e", "i1e": "jax.scipy.special.i1e",
            "polygamma": lambda n, u: f"jax.scipy.special.polygamma({n}, {u})"},
}
NOTES = {"torch": "PyTorch tensors (differentiable), computed in float64; float32 in gives "
                  "float32 out.",
         "jax": "JAX arrays (differentiable, traceable with validate=False); float64 needs "
                "jax_enable_x64."}


def module_source(plan, backend, accuracy=None):
    """Python source of a ``backend`` ("torch" or "jax") module defining
    ``<quantity>(...)`` for ``plan``."""
    printer = make_printer(backend)
    code = printer.doprint
    branches, series_terms, ratios = prepared(plan, backend)
    scalars = [s.name for s in plan.symbols]
    names = [a.name for a in plan.arguments]
    large, large_arguments = large_form(plan, branches, backend)
    near_large = large_series(plan, backend)

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
        if plan.series is not None:
            args = series_call(plan, series_terms, near_large)
            body.append(f"    magnitude = {' + '.join(term_sizes(terms, code))}")
            if large:
                body.append("    if use_large:")
                body.append("        magnitude = _where(large, size, magnitude)")
            body.append("    use = (out < CANCELLED * magnitude)")
            body.append(f"    use = use & _selection(_near, {args})")
            # the series sees differences of 0 where it is not chosen: finite values
            # and gradients there, whatever the differences are
            for d in plan.differences:
                body.append(f"    {d.name} = _where(use, {d.name}, 0.0)")
            # where the truncated series (about size^(ORDER - 1) relative) may beat
            # the closed form; its last term decides below
            body.append(f"    ratio = _selection(_size, {args})")
            body.append("    use = use & ((ratio < SERIES_BELOW) | ((ratio < CONVERGES)"
                        " & (ratio ** (ORDER - 1) * abs(out) < EPS * magnitude)))")
            for d in plan.differences:
                body.append(f"    {d.name} = _where(use, {d.name}, 0.0)")
            body.append(f"    total, last = _series({args})")
            body.append("    use = use & _selection(lambda: abs(last) < EPS * magnitude)")
            body.append("    out = _where(use, total, out)")
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
    if large:
        body += large_function(printer, large, large_arguments)
    body += tail_helpers(TAIL_NAMES[backend], [e for _, e in branches] + ([large[1]] if large else [])
                         + list(near_large[1] if near_large else []))
    header = (f'"""{documentation(plan, accuracy, NOTES[backend], bool(large))}"""\n{PRELUDES[backend]}\n'
              f"SERIES_BELOW = {plan.switch!r}\nCANCELLED = {CANCELLED!r}\n"
              f"FAR_APART = {FAR_APART!r}\nEPS = {EPS!r}\nCONVERGES = {CONVERGES!r}\n"
              f"ORDER = {plan.series.order if plan.series is not None else 0!r}\n\n\n")
    return header + "\n".join(body) + "\n"
