"""What is checked against the reference: the closed forms (at the same
precision) and the generated float64 functions (in ulps and relative terms).

Closed forms are klsym's own (``klsym.kl(p, q)`` at the exact point, then
``sympy.N`` at the working digits); where a result keeps an unevaluated
``Integral``/``Sum`` it is evaluated by :mod:`klsym.numeric` and marked so.
Either can be replaced (``closed_form=``, ``function=``) to check another
implementation, or to plant a bug in a test.
"""

import math
import warnings

import mpmath
import numpy
import sympy

QUANTITIES = ("kl", "entropy", "cross_entropy")
#: accuracy targets of the generated functions (issue 5): relative error of a
#: KL within a family / between families; H and H(p, q) relative to
#: max(|value|, 1 nat), since differential entropy crosses zero
TARGETS = {("kl", True): 1e-13, ("kl", False): 1e-11,
           ("entropy", True): 1e-13, ("entropy", False): 1e-13,
           ("cross_entropy", True): 1e-13, ("cross_entropy", False): 1e-11}


class NoClosedForm(Exception):
    """The closed form is not available here (the message says why)."""


def _derived(quantity, dp, dq):
    from .. import derive
    if quantity == "entropy":
        return derive.entropy(dp)
    return getattr(derive, quantity)(dp, dq)


def symbolic_value(quantity, dp, dq, injected=None):
    """The closed form of ``quantity`` at the point (a SymPy expression)."""
    source = (injected or {}).get(quantity)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if source is None:
            from ..errors import DerivationError
            try:
                return sympy.sympify(_derived(quantity, dp, dq))
            except DerivationError as exc:
                raise NoClosedForm(f"no closed form ({exc})") from None
        if callable(source):
            return sympy.sympify(source(dp) if quantity == "entropy" else source(dp, dq))
    return at_point(sympy.sympify(source), dp, dq, quantity)


def at_point(expr, dp, dq, quantity):
    """A symbolic result (parameters suffixed ``_p``/``_q``; entropy also
    unsuffixed) at the values of ``dp`` and ``dq``."""
    values = {}
    for side, dist in (("p", dp), ("q", dq)):
        for symbol, value in dist.values.items():
            values[f"{symbol.name}_{side}"] = value
            if quantity == "entropy" and side == "p":
                values[symbol.name] = value
    mapping = {s: values[s.name] for s in expr.free_symbols if s.name in values}
    out = expr.xreplace(mapping)
    if isinstance(out, sympy.Piecewise) or out.has(sympy.Piecewise):
        out = sympy.piecewise_fold(out).doit(deep=False)
    return out


def closed_number(expr, dps):
    """``(mpmath number, kind)`` of a closed form at ``dps`` digits; kind is
    ``"closed"`` or ``"numeric"`` (an unevaluated part computed by mpmath)."""
    if expr.free_symbols:
        raise NoClosedForm(f"the closed form still has free symbols "
                           f"{sorted(map(str, expr.free_symbols))}")
    kind = "closed"
    if expr.has(sympy.Integral, sympy.Sum):
        from ..numeric import evaluate
        kind = "numeric"
        try:
            value = evaluate(expr, dps)
        except (ArithmeticError, ValueError) as exc:
            raise NoClosedForm(f"its unevaluated part could not be computed ({exc})") from None
    else:
        value = sympy.N(expr, dps, maxn=8 * dps)
    if value in (sympy.oo, sympy.zoo) or value == sympy.oo:
        return mpmath.inf, kind
    if value == -sympy.oo or value.has(sympy.nan) or not value.is_real:
        raise NoClosedForm(f"the closed form evaluates to {value}")
    with mpmath.workdps(dps + 10):
        return mpmath.mpf(sympy.Float(value, dps)._mpf_), kind


def relative_error(ours, reference, floor=0):
    """``|ours - reference| / max(|reference|, floor)`` (inf for a wrong +oo)."""
    if mpmath.isinf(reference) or mpmath.isinf(ours):
        return 0.0 if ours == reference else math.inf
    with mpmath.workdps(60):
        size = max(abs(reference), mpmath.mpf(floor))
        error = abs(mpmath.mpf(ours) - reference)
        return float(error / size) if size else (0.0 if error == 0 else math.inf)


def agreement_digits(relative):
    """Significant digits shared, from a relative error."""
    if relative == 0:
        return math.inf
    return -math.log10(relative) if math.isfinite(relative) else 0.0


def function_arguments(family, values, side):
    """Keyword arguments (floats, vectors, matrices) of a generated function."""
    by_symbol = {s: float(values[s.name]) for s in family.params}
    out = {}
    for name, obj in family.declared:
        key = f"{name}_{side}" if side else name
        if isinstance(obj, sympy.Symbol):
            out[key] = by_symbol[obj]
        else:
            array = numpy.array([[by_symbol[obj[i, j]] for j in range(obj.cols)]
                                 for i in range(obj.rows)])
            out[key] = array[:, 0] if obj.cols == 1 else array
    return out


def generated_function(quantity, fp, fq, injected=None):
    """The generated (or injected) vectorised function for ``quantity``."""
    source = (injected or {}).get(quantity)
    if source is not None:
        return source
    from .. import codegen
    if quantity == "entropy":
        return codegen.entropy_function(fp)
    return getattr(codegen, f"{quantity}_function")(fp, fq)


#: the largest finite double
FLOAT_MAX = mpmath.mpf(float(numpy.finfo(numpy.float64).max))


def float_error(value, reference, quantity, same_family):
    """``(relative error, ulps, target)`` of a float64 result."""
    target = TARGETS[(quantity, same_family)]
    # beyond the largest double (a KL of 1e81582 between Gumbels of scale 1e-6)
    # the correctly rounded float64 result is +-oo
    beyond = mpmath.isinf(reference) or abs(reference) > FLOAT_MAX
    if beyond or math.isinf(value):
        ok = math.isinf(value) and beyond and (value > 0) == (reference > 0)
        return (0.0 if ok else math.inf), (0.0 if ok else math.inf), target
    floor = 1 if quantity != "kl" else 0
    relative = relative_error(value, reference, floor)
    with mpmath.workdps(60):
        spacing = numpy.spacing(abs(float(reference))) or numpy.spacing(0.0)
        ulps = float(abs(mpmath.mpf(value) - reference) / mpmath.mpf(float(spacing)))
    return relative, ulps, target
