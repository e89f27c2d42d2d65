"""The one place that owns test tolerances.

Closed forms are evaluated by SymPy at ``WORKING_DIGITS`` and the independent
mpmath reference at the same precision; they must agree to ``AGREE_DIGITS``
significant digits (the issue's requirement is 30).
"""

from fractions import Fraction

import mpmath
import sympy

WORKING_DIGITS = 50
AGREE_DIGITS = 30
LEMMA_DIGITS = 30


def as_fraction(value):
    """A SymPy rational as a ``fractions.Fraction`` for the reference module."""
    value = sympy.Rational(value)
    return Fraction(int(value.p), int(value.q))


def evaluate(expr, digits=WORKING_DIGITS):
    """Evaluate a SymPy expression to an mpmath number at ``digits``."""
    value = sympy.N(expr, digits)
    if value in (sympy.oo, sympy.zoo) or value == sympy.oo:
        return mpmath.inf
    with mpmath.workdps(digits):
        return mpmath.mpf(str(value)) if value.is_real else mpmath.mpc(complex(value))


def assert_agree(ours, reference, digits=AGREE_DIGITS, what=""):
    """Relative agreement to ``digits`` significant digits (absolute near 0)."""
    if mpmath.isinf(reference) or mpmath.isinf(ours):
        assert ours == reference, f"{what}: {ours} vs reference {reference}"
        return
    with mpmath.workdps(WORKING_DIGITS):
        scale = max(abs(reference), mpmath.mpf(10) ** -(WORKING_DIGITS - 10))
        error = abs(ours - reference) / scale
        assert error < mpmath.mpf(10) ** -digits, (
            f"{what}: ours {mpmath.nstr(ours, 40)} vs reference {mpmath.nstr(reference, 40)} "
            f"(relative error {mpmath.nstr(error, 3)})")
