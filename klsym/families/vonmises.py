"""Von Mises distribution on the circle [-pi, pi)."""
from sympy import Interval, besseli, cos, exp, pi, sin, symbols

from ..family import define_family

x, mu, kappa = symbols("x mu kappa")

VonMises = define_family(
    "vonmises", exp(kappa * cos(x - mu)) / (2 * pi * besseli(0, kappa)), x, [mu, kappa],
    Interval.Ropen(-pi, pi), constraints=[kappa > 0], title="VonMises",
    description="mean direction mu, concentration kappa", check=False,
    lemmas={  # SymPy does not integrate exp(kappa cos x) cos x over the circle
        cos(x): (cos(mu) * besseli(1, kappa) / besseli(0, kappa),
                 "Mardia & Jupp, Directional Statistics (2000), eq. 3.5.21"),
        sin(x): (sin(mu) * besseli(1, kappa) / besseli(0, kappa),
                 "Mardia & Jupp, Directional Statistics (2000), eq. 3.5.21"),
    })
