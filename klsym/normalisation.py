"""Checks that a declared density is a density: well-formed support,
non-negative values and total mass one.

Normalisation is decided symbolically when SymPy can integrate (sum) the
density; otherwise it is checked numerically with mpmath to 30 digits at a few
admissible parameter points.  Numerical agreement is reported as such, never
as a proof.
"""

import mpmath
import sympy
from sympy import S

from .budget import time_budget
from .errors import DerivationError, FamilyDefinitionError
from .expectations import total_mass

DIGITS = 30


def _support_ok(family):
    support = family.support
    if family.discrete:
        ok = isinstance(support, (sympy.Range, sympy.FiniteSet)) or support in (S.Naturals0, S.Naturals)
        kind = "a Range or FiniteSet of integers"
    else:
        parts = support.args if isinstance(support, sympy.Union) else (support,)
        ok = all(isinstance(p, sympy.Interval) for p in parts)
        kind = "an Interval (or a union of Intervals)"
    if not ok:
        raise FamilyDefinitionError(
            f"the support of {family.name!r} must be {kind} for a "
            f"{'discrete' if family.discrete else 'continuous'} family; got {support}")


def _symbolic_total(family):
    total = total_mass(family)
    return None if total is None else sympy.simplify(total - 1) == 0


def numeric_total(pdf, variable, support, discrete, dps=DIGITS):
    """Total mass of a numeric density by mpmath quadrature or summation."""
    with mpmath.workdps(dps + 10):
        f = sympy.lambdify(variable, pdf, "mpmath")
        lo, hi = support.inf, support.sup
        if discrete:
            start = int(lo)
            if hi.is_finite:
                total = mpmath.fsum(f(mpmath.mpf(k)) for k in range(start, int(hi) + 1))
            else:
                total = mpmath.nsum(f, [start, mpmath.inf])
        else:
            a = mpmath.mpf(sympy.N(lo, dps + 10)) if lo.is_finite else -mpmath.inf
            b = mpmath.mpf(sympy.N(hi, dps + 10)) if hi.is_finite else mpmath.inf
            points = [a] + [mpmath.mpf(t) for t in (-10, -1, 0, 1, 10) if a < t < b] + [b]
            total = mpmath.quad(_screened(f, pdf, variable), points)
        return +total


def _screened(f, pdf, variable):
    """``f``, but 0 where a float evaluation shows the density underflows.

    Far quadrature nodes can ask mpmath for exp(-exp(10^50)) (a Gumbel
    tail), which it computes exactly and very slowly; in double precision
    such a value is 0 (or overflows on the way), far below the 30 digits
    checked.
    """
    try:
        quick = sympy.lambdify(variable, sympy.log(pdf), "math")
    except Exception:  # no float counterpart for some special function
        return f

    def screened(t):
        try:
            if quick(float(t)) < -5000:
                return mpmath.mpf(0)
        except OverflowError:
            return mpmath.mpf(0)
        except (ValueError, TypeError, NameError, ZeroDivisionError):
            pass
        return f(t)
    return screened


def check_density(family, points=3, budget=30):
    """Raise FamilyDefinitionError unless ``family`` declares a density."""
    if family.is_multivariate:
        raise FamilyDefinitionError(
            f"{family.name!r} is multivariate: define_family checks the normalisation of "
            f"univariate densities only; declare it with check=False and check its "
            f"normalisation numerically (klsym's own multivariate families are checked "
            f"against mpmath in the test suite)")
    _support_ok(family)
    samples = family.admissible_points(points)
    if not samples:
        raise FamilyDefinitionError(
            f"no admissible parameter point was found for {family.name!r}: "
            f"are the constraints {list(family.constraints)} satisfiable?")
    _check_nonnegative(family, samples)
    try:
        with time_budget(budget, route="normalisation"):
            decided = _symbolic_total(family)
    except (DerivationError, NotImplementedError, ValueError, TypeError):
        decided = None
    if decided:
        return
    for point in samples:
        total = numeric_total(family.pdf.subs(point), family.variable,
                              family.support.subs(point), family.discrete)
        if abs(total - 1) > mpmath.mpf(10) ** (-DIGITS + 5):
            shown = ", ".join(f"{s}={v}" for s, v in point.items())
            raise FamilyDefinitionError(
                f"the density of {family.name!r} is not normalised: it "
                f"{'sums' if family.discrete else 'integrates'} to "
                f"{mpmath.nstr(total, 15)} at {shown}, not 1")


def _check_nonnegative(family, samples):
    x = family.variable
    for point in samples:
        support = family.support.subs(point)
        lo, hi = support.inf, support.sup
        if family.discrete:
            grid = [lo + i for i in range(12) if not hi.is_finite or lo + i <= hi]
        else:
            a = lo if lo.is_finite else -S(20)
            b = hi if hi.is_finite else S(20)
            grid = [a + (b - a) * sympy.Rational(i, 40) for i in range(1, 40)]
        # fixed-precision mpmath, not adaptive evalf: a density such as
        # exp(-exp(20)) would make evalf chase 10^8 digits
        with mpmath.workdps(DIGITS):
            density = sympy.lambdify(x, family.pdf.subs(point), "mpmath")
            for value in grid:
                number = density(mpmath.mpf(sympy.N(value, DIGITS)) if not family.discrete
                                 else mpmath.mpf(int(value)))
                if isinstance(number, mpmath.mpc) or number < 0:
                    shown = ", ".join(f"{s}={v}" for s, v in point.items())
                    raise FamilyDefinitionError(
                        f"the density of {family.name!r} is negative or not real at "
                        f"{x}={value} ({shown}): {mpmath.nstr(number, 10)}")
