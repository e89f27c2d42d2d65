"""One point of one pair, checked: the unit of work of every executor.

:func:`check_point` is a pure function of its :class:`Task` (pair, point
index, seed, digits, options), so the serial loop, a process pool and a
Dask cluster give the same results.
"""

import runpy
import time
from dataclasses import dataclass, field

import mpmath
import sympy

from . import compare
from .catalog import Pair
from .errors import NotConverged
from .points import Point, draw_point, exact_decimal
from .reference import reference
from .results import FAIL, NOT_CHECKED, PASS, PointResult

#: agreement required between closed form and reference (significant digits)
AGREE_DIGITS = 30
#: seconds one point's reference may take before it is reported not checked
POINT_SECONDS = 120


@dataclass(frozen=True)
class Task:
    pair: Pair
    index: int
    seed: int = 0
    dps: int = 50
    point: Point = None                 # an explicit point (re-checking one)
    closed_form: dict = None            # quantity -> expression or callable
    function: dict = None               # quantity -> callable, or None to generate
    check_functions: bool = True
    seconds: float = POINT_SECONDS
    options: dict = field(default_factory=dict)


_LOADED = set()


def load_family_files(paths):
    """Run each family file once per process (it calls ``klsym.define_family``)."""
    for path in paths:
        if path not in _LOADED:
            _LOADED.add(path)
            runpy.run_path(path, run_name="klsym_family_file")


def resolve(pair):
    """The two :class:`~klsym.family.Family` objects of a pair."""
    from ..dimensional import DimensionalFamily
    from ..registry import lookup
    load_family_files(pair.family_files)
    out = []
    for name in (pair.p, pair.q):
        family = lookup(name) if isinstance(name, str) else name
        if isinstance(family, DimensionalFamily):
            family = family.of(pair.dim)
        out.append(family)
    return out


def command(pair, point, dps):
    """The one-line command that re-checks exactly this point."""
    fp, fq = resolve(pair)
    parts = ["klsym verify", _name(pair.p), _name(pair.q)]
    if pair.dim is not None:
        parts.append(f"--dim {pair.dim}")
    for side, family in (("p", fp), ("q", fq)):
        values = point.values(side)
        shown = []
        for name, obj in family.declared:
            if isinstance(obj, sympy.Symbol):
                shown.append(f"{name}={exact_decimal(values[obj.name])}")
            else:
                rows = [[exact_decimal(values[obj[i, j].name]) for j in range(obj.cols)]
                        for i in range(obj.rows)]
                text = "[" + ",".join(r[0] for r in rows) + "]" if obj.cols == 1 else \
                    "[" + ",".join("[" + ",".join(r) + "]" for r in rows) + "]"
                shown.append(f"{name}={text}")
        parts.append(f"--{side} '{','.join(shown)}'")
    parts.append(f"--dps {dps}")
    parts += [f"--family-file {path}" for path in pair.family_files]
    return " ".join(parts)


def _name(family):
    return family if isinstance(family, str) else family.name


def check_point(task):
    """Run every check at one point; never raises for a check that fails."""
    start = time.perf_counter()
    fp, fq = resolve(task.pair)
    point = task.point or draw_point(fp, fq, task.index, task.seed)
    result = PointResult(task.pair.label, point.index, point.regime,
                         {k: exact_decimal(v) for k, v in point.p},
                         {k: exact_decimal(v) for k, v in point.q})
    if point.note:
        result.notes.append(point.note)
    result.command = command(task.pair, point, task.dps)
    try:
        _checks(task, fp, fq, point, result)
    except Exception as exc:  # a crash is a failure, reported with the point
        result.failures.append(f"unexpected error: {type(exc).__name__}: {exc}")
    if result.failures:
        result.status = FAIL
    elif all(result.closed_digits.get(q) is not None for q in compare.QUANTITIES):
        result.status = PASS
    else:
        result.status = NOT_CHECKED  # something was not compared: never a pass
    result.seconds = time.perf_counter() - start
    return result


def _checks(task, fp, fq, point, result):
    from ..family import Distribution
    dps, same = task.dps, fp is fq
    p_values, q_values = point.values("p"), point.values("q")
    dp = Distribution(fp, {s: p_values[s.name] for s in fp.params})
    dq = Distribution(fq, {s: q_values[s.name] for s in fq.params})
    try:
        ref = reference(fp, p_values, fq, q_values, dps, seconds=task.seconds)
    except NotConverged as exc:
        ref = None
        result.skipped.append(f"reference did not converge: {exc}")
    if ref is not None:
        result.reference = {q: _show(getattr(ref, q)) for q in ("kl", "entropy", "cross_entropy", "mass")}
        _check_reference(ref, dps, result)
        _check_support_rule(fp, fq, dp, dq, ref, result)
    closed = {}
    # the closed forms get the values as Floats of dps + 60 digits (exact for
    # the dyadic points drawn): SymPy would otherwise evaluate a special
    # function at a huge exact argument symbolically (digamma(2**27) as a
    # harmonic number, which does not finish)
    digits = dps + 60
    fp_values = {s: sympy.Float(p_values[s.name], digits) for s in fp.params}
    fq_values = {s: sympy.Float(q_values[s.name], digits) for s in fq.params}
    for s in fp.params:
        if s.is_integer:
            fp_values[s] = p_values[s.name]
    for s in fq.params:
        if s.is_integer:
            fq_values[s] = q_values[s.name]
    fdp, fdq = Distribution(fp, fp_values), Distribution(fq, fq_values)
    for quantity in compare.QUANTITIES:
        try:
            expr = compare.symbolic_value(quantity, fdp, fdq, task.closed_form)
            closed[quantity], kind = compare.closed_number(expr, dps)
        except compare.NoClosedForm as exc:
            result.skipped.append(f"{quantity}: {exc}")
            continue
        if kind == "numeric":
            result.notes.append(f"{quantity}: the closed form keeps an unevaluated part, "
                                f"evaluated numerically by klsym.numeric")
        if ref is None:
            continue
        wanted = getattr(ref, quantity)
        digits_ref = ref.digits[quantity]
        if digits_ref < AGREE_DIGITS + 3:
            result.skipped.append(f"{quantity}: the reference reached only {digits_ref:.0f} digits")
            continue
        floor = mpmath.mpf(10) ** -(dps - 10)
        error = compare.relative_error(closed[quantity], wanted, floor)
        result.closed_digits[quantity] = round(min(compare.agreement_digits(error), dps), 1)
        if error >= 10.0 ** -AGREE_DIGITS:
            result.failures.append(
                f"{quantity}: closed form {_show(closed[quantity])} vs reference {_show(wanted)} "
                f"(agree to {compare.agreement_digits(error):.1f} digits, {AGREE_DIGITS} required)")
    _check_identities(closed, dps, result)
    if task.check_functions and ref is not None:
        _check_functions(task, fp, fq, point, ref, same, result)


def _show(value, digits=25):
    return "inf" if mpmath.isinf(value) else mpmath.nstr(value, digits)


def _check_reference(ref, dps, result):
    with mpmath.workdps(dps + 10):
        off = abs(ref.mass - 1)
        if off > mpmath.mpf(10) ** -AGREE_DIGITS and ref.digits["mass"] > AGREE_DIGITS:
            result.failures.append(f"the density of p does not integrate (sum) to 1: total mass "
                                   f"{_show(ref.mass, 20)}")
        if mpmath.isfinite(ref.kl) and ref.kl < -mpmath.mpf(10) ** -(dps - 10):
            result.failures.append(f"KL < 0 by the reference ({_show(ref.kl)}): p or q is not a density")
        if mpmath.isfinite(ref.kl):
            gap = abs(ref.cross_entropy - ref.entropy - ref.kl)
            size = max(abs(ref.cross_entropy), abs(ref.entropy), 1)
            if gap > size * mpmath.mpf(10) ** -AGREE_DIGITS:
                result.failures.append(f"reference: H(p, q) - H(p) - KL = {_show(gap, 5)}")


def _check_support_rule(fp, fq, dp, dq, ref, result):
    from ..support import support_rule
    verdict = support_rule(fp, fq)
    escape = sympy.sympify(verdict.escape)
    values = {}
    for side, dist in (("p", dp), ("q", dq)):
        names = dist.family.renaming(side)
        values.update({names[s]: v for s, v in dist.values.items()})
    at_point = escape.xreplace(values) if escape not in (sympy.true, sympy.false) else escape
    if at_point not in (sympy.true, sympy.false):
        result.skipped.append(f"support rule: its condition {escape} is undecided at the point")
        return
    rule_escapes, escapes = bool(at_point), ref.escape is not None
    if rule_escapes != escapes:
        said = f"+oo ({verdict.reason})" if rule_escapes else "finite (supports nested)"
        found = ref.escape or "p's support lies inside q's"
        result.failures.append(f"support rule says KL is {said}, but the supports say: {found}")


def _check_identities(closed, dps, result):
    kl, h, ce = (closed.get(q) for q in compare.QUANTITIES)
    if kl is not None and mpmath.isfinite(kl) and kl < -mpmath.mpf(10) ** -(dps - 10):
        result.failures.append(f"the closed-form KL is negative: {_show(kl)}")
    if kl is None or h is None or ce is None:
        return
    if mpmath.isinf(kl) or mpmath.isinf(ce):
        if not (mpmath.isinf(kl) and mpmath.isinf(ce)):
            result.failures.append(f"closed forms: KL = {_show(kl)} but H(p, q) = {_show(ce)}")
        return
    with mpmath.workdps(dps + 10):
        gap = abs(ce - h - kl)
        size = max(abs(ce), abs(h), abs(kl), mpmath.mpf(10) ** -(dps - 10))
        if gap > size * mpmath.mpf(10) ** -AGREE_DIGITS:
            result.failures.append(f"closed forms: H(p, q) - H(p) - KL = {_show(gap, 5)}, not 0")


def _check_functions(task, fp, fq, point, ref, same, result):
    for quantity in compare.QUANTITIES:
        wanted = getattr(ref, quantity)
        if ref.digits[quantity] < 20:
            result.notes.append(f"generated {quantity}: not compared (the reference reached "
                                f"only {ref.digits[quantity]:.0f} digits)")
            continue
        try:
            function = compare.generated_function(quantity, fp, fq, task.function)
            args = compare.function_arguments(fp, point.values("p"), "p" if quantity != "entropy" else "")
            if quantity != "entropy":
                args.update(compare.function_arguments(fq, point.values("q"), "q"))
            value = float(function(**args))
        except NotImplementedError:
            result.function_error[quantity] = "n/a"
            result.notes.append(f"generated {quantity}: n/a (no closed form here; "
                                f"klsym.{quantity}(..., numeric=True) evaluates it)")
            continue
        except Exception as exc:
            result.failures.append(f"generated {quantity}: {type(exc).__name__}: {exc}")
            continue
        relative, ulps, target = compare.float_error(value, wanted, quantity, same)
        result.function_error[quantity] = {"relative": relative, "ulps": ulps, "target": target,
                                           "value": repr(value)}
        if not relative < target or (quantity == "kl" and value < 0):
            result.failures.append(
                f"generated {quantity}: {value!r} vs reference {_show(wanted, 20)} "
                f"(relative error {relative:.2g}, {ulps:.3g} ulps; target {target:g})")
