"""Pareto distribution with scale xm and shape alpha."""
from sympy import Interval, oo, symbols

from ..family import define_family

x, xm, alpha = symbols("x xm alpha")

Pareto = define_family(
    "pareto", alpha * xm ** alpha / x ** (alpha + 1), x, [xm, alpha], Interval(xm, oo),
    constraints=[xm > 0, alpha > 0], title="Pareto", description="scale xm, shape alpha",
    check=False)
