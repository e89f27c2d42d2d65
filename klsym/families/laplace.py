"""Laplace (double exponential) distribution with location mu and scale b."""
from sympy import Abs, Interval, exp, oo, symbols

from ..family import define_family

x, mu, b = symbols("x mu b")
c = symbols("c", real=True)  # lemma pattern: any centre

Laplace = define_family(
    "laplace", exp(-Abs(x - mu) / b) / (2 * b), x, [mu, b], Interval(-oo, oo),
    constraints=[b > 0], title="Laplace", description="location mu, scale b", check=False,
    lemmas={
        # split the integral at mu and c; with d = |c - mu| both halves are elementary
        Abs(x - c): (Abs(c - mu) + b * exp(-Abs(c - mu) / b),
                     "Kotz, Kozubowski & Podgorski, The Laplace Distribution (2001), eq. 2.1.9"),
    })
