"""The independent route: KL, H(p), H(p, q) and the total mass of p by mpmath
integration or summation of the declared densities.

Nothing here calls klsym's derivation (no expectation, canonical form or
closed form): only the declaration (density, variable, parameters,
support) is read, so a wrong derivation cannot agree with it by sharing
code.  The engines are :mod:`~klsym.verify.quadrature` (univariate
densities), :mod:`~klsym.verify.summation` (mass functions) and
:mod:`~klsym.verify.cubature` (densities of 2 or 3 coordinates).

Each value comes with the number of significant digits its error estimate
supports; where cancellation eats digits (KL between nearly equal laws) the
computation is repeated with more working digits.
"""

import math
import time
from dataclasses import dataclass, field

import mpmath

from . import cubature, quadrature, summation
from .densities import parameter_values
from .errors import NotConverged

#: working digits above the precision asked for
GUARD = 20


@dataclass
class ReferenceValues:
    """Reference values (mpmath numbers) and the digits each one supports."""

    kl: object
    entropy: object
    cross_entropy: object
    mass: object
    digits: dict = field(default_factory=dict)
    escape: str = None     # why p's support is not inside q's, if it is not
    q_zero: str = None     # where q vanishes on p's support, if it does
    working_digits: int = 0


def engine(family):
    """The engine for ``family``: summation, 1-d quadrature or cubature."""
    if family.discrete:
        return summation
    return quadrature if family.variable is not None else cubature


def reference(fp, p_values, fq, q_values, dps=50, seconds=None):
    """KL(p || q), H(p), H(p, q) and the mass of p at ``dps`` digits.

    ``p_values`` / ``q_values`` map parameter names to exact values.  Raises
    :class:`~klsym.verify.errors.NotConverged` if the integrals cannot be
    computed to the accuracy asked for.
    """
    if fp.discrete != fq.discrete or fp.dimension != fq.dimension:
        raise NotConverged(f"{fp.name} and {fq.name} do not live on the same space")
    deadline = None if seconds is None else time.monotonic() + seconds
    p_exact, q_exact = parameter_values(fp, p_values, "p"), parameter_values(fq, q_values, "q")
    run = engine(fp).expectations
    wp = dps + GUARD
    for attempt in range(3):
        values, escape, q_zero = run(fp, p_exact, fq, q_exact, wp, deadline)
        with mpmath.workdps(wp):
            scale = max(mpmath.mpf(1), abs(values["neg_entropy"][0]),
                        abs(values["neg_cross"][0]) if mpmath.isfinite(values["neg_cross"][0]) else 0)
            kl = values["kl"][0]
            lost = 0 if (kl == 0 or not mpmath.isfinite(kl) or escape or q_zero) else \
                max(0, int(math.ceil(float(mpmath.log10(scale / abs(kl))))))
        needed = dps + 10 + lost
        if needed <= wp - 5 or attempt == 2:
            break
        # a few distinct precisions only: mpmath keeps quadrature nodes per precision
        wp = -(-(needed + GUARD // 2) // 10) * 10
    with mpmath.workdps(wp):
        digits = {name: _digits(value, error, scale, wp, lost if name == "kl" else 0)
                  for name, (value, error) in values.items()}
        infinite = escape is not None or q_zero is not None
        out = ReferenceValues(
            kl=mpmath.inf if infinite else +values["kl"][0],
            entropy=-values["neg_entropy"][0],
            cross_entropy=mpmath.inf if infinite else -values["neg_cross"][0],
            mass=+values["mass"][0],
            digits={"kl": math.inf if infinite else digits["kl"],
                    "entropy": digits["neg_entropy"],
                    "cross_entropy": math.inf if infinite else digits["neg_cross"],
                    "mass": digits["mass"]},
            escape=escape, q_zero=q_zero, working_digits=wp)
    return out


def _digits(value, error, scale, wp, lost):
    """Significant digits supported by a quadrature error and the working precision."""
    if not mpmath.isfinite(value):
        return math.inf
    limit = wp - lost - 5
    if value == 0:
        return float(limit) if error == 0 else float(-mpmath.log10(error / scale))
    if error == 0:
        return float(limit)
    return float(min(limit, -mpmath.log10(error / abs(value))))
