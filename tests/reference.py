"""Independent high-precision reference values for klsym's tests.

This module re-types the densities of the univariate families of
the shared family contract (``shared/families.md``) directly and computes
entropies, cross-entropies, KL divergences and expectations by ``mpmath``
quadrature (continuous families) or direct summation (discrete families).

It deliberately imports neither ``klsym`` nor ``sympy``: it is a second,
purely numerical route against which klsym's closed forms are checked.

Conventions (from the contract)
-------------------------------
* natural logarithms (nats);
* ``gamma``'s ``beta`` is a RATE, ``inversegamma``'s ``beta`` a SCALE;
* ``geometric`` counts failures before the first success (support 0, 1, ...);
* ``negativebinomial`` counts failures before the ``r``-th success, mass
  ``C(k+r-1, k) p^r (1-p)^k``;
* ``KL(p||q) = +inf`` when ``p`` puts mass where ``q`` has none; this module
  also returns ``+inf`` when the support is fine but ``E_p[-log q]``
  diverges through a tail (e.g. Cauchy against a normal).

Numerical method
----------------
All work happens inside ``mpmath.workdps`` contexts (the global ``mp.dps``
is never modified).  For a requested ``dps`` the computation runs at
``dps + 20`` digits and is repeated at a higher precision when the result
is small compared with the magnitude of the integrand (cancellation, e.g.
KL between nearly equal distributions).  Continuous integrals use
tanh-sinh quadrature after a change of variables chosen from the support:

* support ``R``: ``x = c + s*z`` (location/scale of ``p``);
* support ``[lo, oo)``: ``x = lo + exp(u)``, which turns algebraic endpoint
  singularities (gamma with ``alpha < 1``) and algebraic tails (Pareto,
  inverse gamma) into exponentially decaying ones;
* support ``[lo, hi]``: split at the midpoint, ``x = lo + exp(u)`` on the
  left and ``x = hi - exp(u)`` on the right, where the complement
  ``hi - x = exp(u)`` is handed to the densities exactly (beta near 1).

The integrals are split at family-specific location/scale points and at
kinks of ``log q`` (Laplace); tails are cut into a few finite pieces in units
of a family-specific decay scale.  The convergence estimate of every piece is
checked; a :class:`RuntimeError` is raised rather than returning a value that
did not converge.  Discrete expectations are plain sums outward from the
mode until the terms are below the working precision.

Limitations
-----------
* ``ref_expectation`` detects a divergent ``E_p[f]`` only heuristically
  (growing tail or non-converging quadrature -> ``RuntimeError``).
* Discrete sums are direct, so geometric / negative binomial laws with a very
  small success probability ``p`` need ``~ 2.3*(dps+20)/p`` terms (slow for
  ``p < 1e-3``).
"""

import math
import numbers
from fractions import Fraction

import mpmath
from mpmath import mpf

__all__ = [
    "DENSITIES",
    "Family",
    "log_density",
    "ref_entropy",
    "ref_cross_entropy",
    "ref_kl",
    "ref_expectation",
]

#: extra decimal digits used internally on top of the requested ``dps``
_GUARD = 20
#: digits that must survive cancellation beyond the requested ``dps``
_MARGIN = 15
#: hard cap on the number of terms of a discrete sum
_MAX_TERMS = 2_000_000

_INF = mpmath.inf
_NINF = mpmath.ninf


# ---------------------------------------------------------------------------
# parameter conversion
# ---------------------------------------------------------------------------

def _to_mpf(value):
    """Convert a parameter value to ``mpf`` at the current precision.

    Parameters
    ----------
    value : int, float, str, fractions.Fraction, numbers.Rational or mpf
        The value.  Rationals are divided at the working precision so that
        e.g. ``Fraction(1, 3)`` is more accurate than the float ``1/3``.

    Returns
    -------
    mpf
    """
    if isinstance(value, bool):
        raise TypeError("boolean is not a valid parameter value")
    if isinstance(value, mpf):
        return +value
    if isinstance(value, int):
        return mpf(value)
    if isinstance(value, (Fraction, numbers.Rational)) and isinstance(
            getattr(value, "numerator", None), int):
        return mpf(value.numerator) / mpf(value.denominator)
    if isinstance(value, (float, str)):
        return mpf(value)
    try:
        return mpf(value)
    except (TypeError, ValueError):
        return mpf(str(value))


def _to_int(value, what):
    """Convert an integer-valued parameter (e.g. binomial ``n``) to ``int``."""
    if isinstance(value, bool):
        raise TypeError("boolean is not a valid parameter value")
    if isinstance(value, int):
        return value
    v = _to_mpf(value)
    if not mpmath.isint(v):
        raise ValueError("%s must be an integer, got %r" % (what, value))
    return int(v)


def _require(cond, msg):
    if not cond:
        raise ValueError(msg)


# ---------------------------------------------------------------------------
# the Family container
# ---------------------------------------------------------------------------

class Family:
    """A univariate family: log-density plus the metadata the integrator uses.

    Instances are callable: ``DENSITIES["gamma"](x, alpha=2, beta=3)`` returns
    the log-density at the current mpmath precision (``-inf`` outside the
    support).

    Parameters
    ----------
    name : str
        Contract name of the family.
    param_names : tuple of str
        Parameter names in contract order.
    discrete : bool
        True for mass functions on the integers.
    convert : callable
        ``convert(raw: dict) -> dict`` converting and validating parameters
        (mpf values, ``int`` for integer parameters).
    build : callable
        ``build(P) -> logf`` returning a closure.  Continuous: ``logf(x,
        xc=None)`` where ``xc``, when given, is the exact complement
        ``hi - x`` for the upper support end ``hi`` (only beta uses it).
        Discrete: ``logf(k)`` for an ``int`` ``k`` inside the support.
    support : callable
        ``support(P) -> (lo, hi)``; ends may be infinite.  For discrete
        families these are ints (``hi`` may be ``mpmath.inf``).
    points : callable
        ``points(P) -> list`` of interior location/scale points (mode, mean,
        mean +- a few sd, ...) used to split the integration range.  For
        discrete families: ``[start]``, a point near the mode.
    center_scale : callable, optional
        Continuous families on ``R``: ``(c, s)`` used for ``x = c + s*z``.
    tail_scales : callable, optional
        ``(s_left, s_right)``: decay scales of the transformed integrand at
        the ends of the integration variable (``1/a`` for a density
        ``~ (x-lo)^(a-1)`` near ``lo`` in the log variable, etc.).
    kinks : callable, optional
        Points where the log-density is not smooth (Laplace's ``mu``); they
        are breakpoints when the family is ``q``.
    p_tail : callable, optional
        Tail behaviour of the density at each support end (see
        :func:`_diverges`).
    q_growth : callable, optional
        Growth of ``-log density`` at each support end (see
        :func:`_diverges`).
    heavy_tails : bool, optional
        Families on ``R`` with algebraic tails (Cauchy) are integrated in
        ``w`` with ``x = c + s*sinh(w)``, which makes the tails exponential.
    """

    def __init__(self, name, param_names, discrete, convert, build, support,
                 points, center_scale=None, tail_scales=None, kinks=None,
                 p_tail=None, q_growth=None, heavy_tails=False):
        self.name = name
        self.heavy_tails = heavy_tails
        self.param_names = tuple(param_names)
        self.discrete = discrete
        self._convert = convert
        self.build = build
        self._support = support
        self._points = points
        self._center_scale = center_scale
        self._tail_scales = tail_scales
        self._kinks = kinks or (lambda P: [])
        self._p_tail = p_tail or (lambda P: {})
        self._q_growth = q_growth or (lambda P: {})

    # -- parameter handling -------------------------------------------------
    def convert(self, params):
        """Validate and convert a parameter dict at the current precision.

        Parameters
        ----------
        params : dict
            Keyword parameters with exactly the contract names.

        Returns
        -------
        dict
            Converted parameters (mpf, or int for integer parameters).

        Raises
        ------
        ValueError
            Unknown/missing names or a violated constraint.
        """
        params = dict(params)
        missing = [n for n in self.param_names if n not in params]
        extra = [n for n in params if n not in self.param_names]
        _require(not missing and not extra,
                 "%s takes parameters %s, got %s"
                 % (self.name, self.param_names, sorted(params)))
        return self._convert(params)

    # -- public metadata ----------------------------------------------------
    def support(self, **params):
        """Support ``(lo, hi)`` for the given parameters."""
        return self._support(self.convert(params))

    def breakpoints(self, **params):
        """Interior points used to split the integration/summation range."""
        P = self.convert(params)
        return sorted(set(self._points(P)) | set(self._kinks(P)))

    def kinks(self, **params):
        """Points where the log-density is not differentiable."""
        return list(self._kinks(self.convert(params)))

    # -- evaluation ---------------------------------------------------------
    def _logf_checked(self, P):
        """Log-density closure that returns ``-inf`` outside the support."""
        logf = self.build(P)
        lo, hi = self._support(P)
        if self.discrete:
            def f(x):
                xv = _to_mpf(x)
                if not mpmath.isint(xv) or xv < lo or xv > hi:
                    return mpf(_NINF)
                return logf(int(xv))
        else:
            def f(x):
                xv = _to_mpf(x)
                if xv < lo or xv > hi:
                    return mpf(_NINF)
                # closed-interval boundary values: the formulas give the
                # right limit (possibly -inf or +inf)
                try:
                    return logf(xv)
                except (ValueError, ZeroDivisionError):
                    return mpf(_NINF)
        return f

    def __call__(self, x, **params):
        """Log-density (log-mass) at ``x`` at the current precision."""
        dps = mpmath.mp.dps
        with mpmath.workdps(dps + _GUARD):
            val = self._logf_checked(self.convert(params))(x)
        return +val

    def __repr__(self):
        return "Family(%r, %s%s)" % (self.name, self.param_names,
                                     ", discrete" if self.discrete else "")


# ---------------------------------------------------------------------------
# helpers for the family definitions
# ---------------------------------------------------------------------------

def _positive(P, *names):
    for n in names:
        _require(P[n] > 0, "parameter %s must be > 0, got %s" % (n, P[n]))


def _real(P, *names):
    for n in names:
        _require(mpmath.isfinite(P[n]), "parameter %s must be finite" % n)


def _conv(names, positive=(), extra=None):
    """Build a ``convert`` function for all-real-valued parameter families."""
    def convert(raw):
        P = {n: _to_mpf(raw[n]) for n in names}
        _real(P, *names)
        _positive(P, *positive)
        if extra is not None:
            extra(P)
        return P
    return convert


def _log(x):
    return mpmath.log(x)


def _xlog(a, lx):
    """``a * lx`` with ``0 * (-inf) = 0`` (e.g. gamma with alpha = 1 at 0)."""
    return a * lx if a != 0 else mpf(0)


def _pos_points(*xs):
    """Keep the finite positive points (for supports starting at 0)."""
    return [x for x in xs if mpmath.isfinite(x) and x > 0]


# ---------------------------------------------------------------------------
# continuous families
# ---------------------------------------------------------------------------

_families = {}


def _register(fam):
    _families[fam.name] = fam
    return fam


# normal(mu, sigma): exp(-(x-mu)^2/(2 sigma^2)) / (sqrt(2 pi) sigma), R
def _normal_build(P):
    mu, s = P["mu"], P["sigma"]
    c = -_log(s) - _log(2 * mpmath.pi) / 2
    inv = 1 / (2 * s * s)

    def logf(x, xc=None):
        d = x - mu
        return c - d * d * inv
    return logf


_register(Family(
    "normal", ("mu", "sigma"), False,
    _conv(("mu", "sigma"), positive=("sigma",)),
    _normal_build,
    lambda P: (mpf(_NINF), mpf(_INF)),
    lambda P: [P["mu"]],
    center_scale=lambda P: (P["mu"], P["sigma"]),
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"-inf": ("exp", 1 / (2 * P["sigma"] ** 2), 2),
                      "+inf": ("exp", 1 / (2 * P["sigma"] ** 2), 2)},
    q_growth=lambda P: {"-inf": ("pow", 2), "+inf": ("pow", 2)},
))


# lognormal(mu, sigma): exp(-(log x - mu)^2/(2 s^2)) / (x s sqrt(2 pi)), (0,oo)
def _lognormal_build(P):
    mu, s = P["mu"], P["sigma"]
    c = -_log(s) - _log(2 * mpmath.pi) / 2
    inv = 1 / (2 * s * s)

    def logf(x, xc=None):
        lx = _log(x)
        d = lx - mu
        return c - lx - d * d * inv
    return logf


_register(Family(
    "lognormal", ("mu", "sigma"), False,
    _conv(("mu", "sigma"), positive=("sigma",)),
    _lognormal_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: [mpmath.exp(P["mu"] + k * P["sigma"]) for k in (-3, 0, 3)],
    # in u = log x the density is Gaussian with sd sigma
    tail_scales=lambda P: (P["sigma"], P["sigma"]),
    p_tail=lambda P: {"lo": ("fast",), "+inf": ("lognormal",)},
    q_growth=lambda P: {"lo": ("logsq",), "+inf": ("logsq",)},
))


# halfnormal(sigma): sqrt(2/pi)/sigma exp(-x^2/(2 sigma^2)), [0, oo)
def _halfnormal_build(P):
    s = P["sigma"]
    c = _log(2 / mpmath.pi) / 2 - _log(s)
    inv = 1 / (2 * s * s)

    def logf(x, xc=None):
        return c - x * x * inv
    return logf


_register(Family(
    "halfnormal", ("sigma",), False,
    _conv(("sigma",), positive=("sigma",)),
    _halfnormal_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: [P["sigma"] * k for k in (mpf(1) / 4, 1, 3)],
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"lo": ("pow", mpf(1)),
                      "+inf": ("exp", 1 / (2 * P["sigma"] ** 2), 2)},
    q_growth=lambda P: {"lo": ("bounded",), "+inf": ("pow", 2)},
))


# exponential(lam): lam exp(-lam x), [0, oo)
def _exponential_build(P):
    lam = P["lam"]
    c = _log(lam)

    def logf(x, xc=None):
        return c - lam * x
    return logf


_register(Family(
    "exponential", ("lam",), False,
    _conv(("lam",), positive=("lam",)),
    _exponential_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: [k / P["lam"] for k in (mpf(1) / 4, 1, 4)],
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"lo": ("pow", mpf(1)), "+inf": ("exp", P["lam"], 1)},
    q_growth=lambda P: {"lo": ("bounded",), "+inf": ("pow", 1)},
))


def _gamma_points(alpha, beta):
    """Mean and mean +- 3 sd of a gamma(alpha, rate beta), kept if > 0."""
    m = alpha / beta
    sd = mpmath.sqrt(alpha) / beta
    return _pos_points(m / 4, m - 3 * sd, m, m + 3 * sd)


# gamma(alpha, beta RATE): beta^a x^(a-1) exp(-beta x) / Gamma(a), (0, oo)
def _gamma_build(P):
    a, b = P["alpha"], P["beta"]
    c = a * _log(b) - mpmath.loggamma(a)
    a1 = a - 1

    def logf(x, xc=None):
        return c + _xlog(a1, _log(x)) - b * x
    return logf


_register(Family(
    "gamma", ("alpha", "beta"), False,
    _conv(("alpha", "beta"), positive=("alpha", "beta")),
    _gamma_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: _gamma_points(P["alpha"], P["beta"]),
    # density ~ x^(alpha-1) at 0: exp(alpha*u) in u = log x
    tail_scales=lambda P: (1 / P["alpha"], mpf(1)),
    p_tail=lambda P: {"lo": ("pow", P["alpha"]),
                      "+inf": ("exp", P["beta"], 1)},
    q_growth=lambda P: {"lo": ("log",), "+inf": ("pow", 1)},
))


# inversegamma(alpha, beta SCALE): b^a x^(-a-1) exp(-b/x) / Gamma(a), (0, oo)
def _invgamma_build(P):
    a, b = P["alpha"], P["beta"]
    c = a * _log(b) - mpmath.loggamma(a)
    a1 = a + 1

    def logf(x, xc=None):
        return c - a1 * _log(x) - b / x
    return logf


def _invgamma_points(P):
    a, b = P["alpha"], P["beta"]
    # 1/X ~ gamma(a, rate b): use the reciprocals of the gamma points
    return [1 / x for x in _gamma_points(a, b)] + [b / (a + 1)]


_register(Family(
    "inversegamma", ("alpha", "beta"), False,
    _conv(("alpha", "beta"), positive=("alpha", "beta")),
    _invgamma_build,
    lambda P: (mpf(0), mpf(_INF)),
    _invgamma_points,
    # density ~ x^(-alpha-1) at oo: exp(-alpha*u) in u = log x
    tail_scales=lambda P: (mpf(1), 1 / P["alpha"]),
    p_tail=lambda P: {"lo": ("fast",), "+inf": ("pow", P["alpha"])},
    q_growth=lambda P: {"lo": ("inv",), "+inf": ("log",)},
))


# beta(alpha, beta): x^(a-1) (1-x)^(b-1) / B(a, b), (0, 1)
def _beta_build(P):
    a, b = P["alpha"], P["beta"]
    c = mpmath.loggamma(a + b) - mpmath.loggamma(a) - mpmath.loggamma(b)
    a1, b1 = a - 1, b - 1

    def logf(x, xc=None):
        # xc = 1 - x exactly when supplied (points near 1)
        l1 = _log(xc) if xc is not None else mpmath.log1p(-x)
        return c + _xlog(a1, _log(x)) + _xlog(b1, l1)
    return logf


def _beta_points(P):
    a, b = P["alpha"], P["beta"]
    m = a / (a + b)
    sd = mpmath.sqrt(a * b / (a + b + 1)) / (a + b)
    pts = [m, m - 2 * sd, m + 2 * sd]
    return [x for x in pts if 0 < x < 1]


_register(Family(
    "beta", ("alpha", "beta"), False,
    _conv(("alpha", "beta"), positive=("alpha", "beta")),
    _beta_build,
    lambda P: (mpf(0), mpf(1)),
    _beta_points,
    # both halves are integrated in u = log(distance to the end)
    tail_scales=lambda P: (1 / P["alpha"], 1 / P["beta"]),
    p_tail=lambda P: {"lo": ("pow", P["alpha"]), "hi": ("pow", P["beta"])},
    q_growth=lambda P: {"lo": ("log",), "hi": ("log",)},
))


# chisquared(k): x^(k/2-1) exp(-x/2) / (2^(k/2) Gamma(k/2)), (0, oo)
def _chisq_build(P):
    h = P["k"] / 2
    c = -h * _log(2) - mpmath.loggamma(h)
    h1 = h - 1

    def logf(x, xc=None):
        return c + _xlog(h1, _log(x)) - x / 2
    return logf


_register(Family(
    "chisquared", ("k",), False,
    _conv(("k",), positive=("k",)),
    _chisq_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: _gamma_points(P["k"] / 2, mpf(1) / 2),
    tail_scales=lambda P: (2 / P["k"], mpf(1)),
    p_tail=lambda P: {"lo": ("pow", P["k"] / 2),
                      "+inf": ("exp", mpf(1) / 2, 1)},
    q_growth=lambda P: {"lo": ("log",), "+inf": ("pow", 1)},
))


# rayleigh(sigma): x/sigma^2 exp(-x^2/(2 sigma^2)), [0, oo)
def _rayleigh_build(P):
    s = P["sigma"]
    c = -2 * _log(s)
    inv = 1 / (2 * s * s)

    def logf(x, xc=None):
        return c + _log(x) - x * x * inv
    return logf


_register(Family(
    "rayleigh", ("sigma",), False,
    _conv(("sigma",), positive=("sigma",)),
    _rayleigh_build,
    lambda P: (mpf(0), mpf(_INF)),
    lambda P: [P["sigma"] * k for k in (mpf(1) / 4, 1, 3)],
    tail_scales=lambda P: (mpf(1) / 2, mpf(1)),
    p_tail=lambda P: {"lo": ("pow", mpf(2)),
                      "+inf": ("exp", 1 / (2 * P["sigma"] ** 2), 2)},
    q_growth=lambda P: {"lo": ("log",), "+inf": ("pow", 2)},
))


# weibull(k shape, lam scale): (k/lam) (x/lam)^(k-1) exp(-(x/lam)^k), [0, oo)
def _weibull_build(P):
    k, lam = P["k"], P["lam"]
    llam = _log(lam)
    c = _log(k) - llam
    k1 = k - 1

    def logf(x, xc=None):
        lz = _log(x) - llam
        return c + _xlog(k1, lz) - mpmath.exp(k * lz)
    return logf


_register(Family(
    "weibull", ("k", "lam"), False,
    _conv(("k", "lam"), positive=("k", "lam")),
    _weibull_build,
    lambda P: (mpf(0), mpf(_INF)),
    # (x/lam)^k ~ Exp(1): points at the quantiles exp(-1)..3 of that
    lambda P: [P["lam"] * mpmath.power(q, 1 / P["k"])
               for q in (mpf(1) / 4, mpf(1), mpf(4))],
    # in u = log x the density is exp(k u - exp(k u)): scale 1/k both sides
    tail_scales=lambda P: (1 / P["k"], 1 / P["k"]),
    p_tail=lambda P: {"lo": ("pow", P["k"]),
                      "+inf": ("exp", P["lam"] ** (-P["k"]), P["k"])},
    q_growth=lambda P: {"lo": ("log",), "+inf": ("pow", P["k"])},
))


# inversegaussian(mu, lam):
#   sqrt(lam/(2 pi x^3)) exp(-lam (x-mu)^2/(2 mu^2 x)), (0, oo)
def _invgauss_build(P):
    mu, lam = P["mu"], P["lam"]
    c = (_log(lam) - _log(2 * mpmath.pi)) / 2
    f = lam / (2 * mu * mu)

    def logf(x, xc=None):
        d = x - mu
        return c - 3 * _log(x) / 2 - f * d * d / x
    return logf


def _invgauss_points(P):
    mu, lam = P["mu"], P["lam"]
    sd = mpmath.sqrt(mu ** 3 / lam)
    # mode of the inverse Gaussian
    r = 3 * mu / (2 * lam)
    mode = mu * (mpmath.sqrt(1 + r * r) - r)
    return _pos_points(mode, mu, mu + 3 * sd, mu - 3 * sd, mode / 4)


_register(Family(
    "inversegaussian", ("mu", "lam"), False,
    _conv(("mu", "lam"), positive=("mu", "lam")),
    _invgauss_build,
    lambda P: (mpf(0), mpf(_INF)),
    _invgauss_points,
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"lo": ("fast",),
                      "+inf": ("exp", P["lam"] / (2 * P["mu"] ** 2), 1)},
    q_growth=lambda P: {"lo": ("inv",), "+inf": ("pow", 1)},
))


# laplace(mu, b): exp(-|x-mu|/b) / (2b), R
def _laplace_build(P):
    mu, b = P["mu"], P["b"]
    c = -_log(2 * b)

    def logf(x, xc=None):
        return c - abs(x - mu) / b
    return logf


_register(Family(
    "laplace", ("mu", "b"), False,
    _conv(("mu", "b"), positive=("b",)),
    _laplace_build,
    lambda P: (mpf(_NINF), mpf(_INF)),
    lambda P: [P["mu"]],
    center_scale=lambda P: (P["mu"], P["b"]),
    tail_scales=lambda P: (mpf(1), mpf(1)),
    kinks=lambda P: [P["mu"]],
    p_tail=lambda P: {"-inf": ("exp", 1 / P["b"], 1),
                      "+inf": ("exp", 1 / P["b"], 1)},
    q_growth=lambda P: {"-inf": ("pow", 1), "+inf": ("pow", 1)},
))


# gumbel(mu, beta): exp(-(z + exp(-z)))/beta, z = (x-mu)/beta, R
def _gumbel_build(P):
    mu, b = P["mu"], P["beta"]
    c = -_log(b)
    big = (mpmath.mp.prec + 64) * mpmath.ln2

    def logf(x, xc=None):
        z = (x - mu) / b
        if z > big:
            # exp(-z) is below the working precision of z (and exp of a huge
            # negative number is very expensive in mpmath)
            return c - z
        return c - z - mpmath.exp(-z)
    return logf


_register(Family(
    "gumbel", ("mu", "beta"), False,
    _conv(("mu", "beta"), positive=("beta",)),
    _gumbel_build,
    lambda P: (mpf(_NINF), mpf(_INF)),
    lambda P: [P["mu"], P["mu"] + mpmath.euler * P["beta"]],
    center_scale=lambda P: (P["mu"], P["beta"]),
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"-inf": ("dexp",), "+inf": ("exp", 1 / P["beta"], 1)},
    q_growth=lambda P: {"-inf": ("exp", 1 / P["beta"]), "+inf": ("pow", 1)},
))


# cauchy(x0, gamma): gamma / (pi ((x-x0)^2 + gamma^2)), R
def _cauchy_build(P):
    x0, g = P["x0"], P["gamma"]
    c = _log(g) - _log(mpmath.pi)
    g2 = g * g

    def logf(x, xc=None):
        d = x - x0
        return c - _log(d * d + g2)
    return logf


_register(Family(
    "cauchy", ("x0", "gamma"), False,
    _conv(("x0", "gamma"), positive=("gamma",)),
    _cauchy_build,
    lambda P: (mpf(_NINF), mpf(_INF)),
    lambda P: [P["x0"] + k * P["gamma"] for k in (-4, -1, 0, 1, 4)],
    center_scale=lambda P: (P["x0"], P["gamma"]),
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"-inf": ("pow", mpf(1)), "+inf": ("pow", mpf(1))},
    q_growth=lambda P: {"-inf": ("log",), "+inf": ("log",)},
    heavy_tails=True,
))


# vonmises(mu, kappa): exp(kappa cos(x-mu)) / (2 pi I0(kappa)), [-pi, pi)
def _vonmises_build(P):
    mu, k = P["mu"], P["kappa"]
    c = -_log(2 * mpmath.pi) - _log(mpmath.besseli(0, k))

    def logf(x, xc=None):
        return c + k * mpmath.cos(x - mu)
    return logf


def _wrap(x):
    """Wrap an angle into [-pi, pi)."""
    two_pi = 2 * mpmath.pi
    return x - two_pi * mpmath.floor((x + mpmath.pi) / two_pi)


def _vonmises_points(P):
    mu, k = P["mu"], P["kappa"]
    w = 1 / mpmath.sqrt(k) if k > 1 else mpf(1)
    pts = [_wrap(mu + d) for d in (0, -3 * w, 3 * w, mpmath.pi)]
    return [x for x in pts if -mpmath.pi < x < mpmath.pi]


_register(Family(
    "vonmises", ("mu", "kappa"), False,
    _conv(("mu", "kappa"), positive=("kappa",)),
    _vonmises_build,
    lambda P: (-mpmath.pi, +mpmath.pi),
    _vonmises_points,
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"lo": ("pow", mpf(1)), "hi": ("pow", mpf(1))},
    q_growth=lambda P: {"lo": ("bounded",), "hi": ("bounded",)},
))


# uniform(a, b): 1/(b-a), [a, b]
def _uniform_build(P):
    c = -_log(P["b"] - P["a"])

    def logf(x, xc=None):
        return c
    return logf


def _uniform_check(P):
    _require(P["b"] > P["a"], "uniform needs b > a")


_register(Family(
    "uniform", ("a", "b"), False,
    _conv(("a", "b"), extra=_uniform_check),
    _uniform_build,
    lambda P: (P["a"], P["b"]),
    lambda P: [],
    tail_scales=lambda P: (mpf(1), mpf(1)),
    p_tail=lambda P: {"lo": ("pow", mpf(1)), "hi": ("pow", mpf(1))},
    q_growth=lambda P: {"lo": ("bounded",), "hi": ("bounded",)},
))


# pareto(xm, alpha): alpha xm^alpha / x^(alpha+1), [xm, oo)
def _pareto_build(P):
    xm, a = P["xm"], P["alpha"]
    c = _log(a) + a * _log(xm)
    a1 = a + 1

    def logf(x, xc=None):
        return c - a1 * _log(x)
    return logf


_register(Family(
    "pareto", ("xm", "alpha"), False,
    _conv(("xm", "alpha"), positive=("xm", "alpha")),
    _pareto_build,
    lambda P: (P["xm"], mpf(_INF)),
    # x = xm + exp(u): the shape changes around x - xm ~ xm
    lambda P: [P["xm"] * k for k in (mpf(5) / 4, 2)],
    tail_scales=lambda P: (mpf(1), 1 / P["alpha"]),
    p_tail=lambda P: {"lo": ("pow", mpf(1)), "+inf": ("pow", P["alpha"])},
    q_growth=lambda P: {"lo": ("bounded",), "+inf": ("log",)},
))


# ---------------------------------------------------------------------------
# discrete families
# ---------------------------------------------------------------------------

def _prob_check(P, closed_one=False):
    p = P["p"]
    if closed_one:
        _require(0 < p <= 1, "p must satisfy 0 < p <= 1, got %s" % p)
    else:
        _require(0 < p < 1, "p must satisfy 0 < p < 1, got %s" % p)


def _start(mean, lo, hi):
    """Integer near the mean, clipped to the support (summation start)."""
    k = int(mpmath.floor(mean))
    k = max(k, lo)
    if hi != _INF:
        k = min(k, int(hi))
    return k


# bernoulli(p): p^k (1-p)^(1-k), {0, 1}
def _bernoulli_build(P):
    lp, lq = _log(P["p"]), mpmath.log1p(-P["p"])

    def logf(k):
        return lp if k == 1 else lq
    return logf


_register(Family(
    "bernoulli", ("p",), True,
    _conv(("p",), extra=_prob_check),
    _bernoulli_build,
    lambda P: (0, 1),
    lambda P: [0],
))


# binomial(n, p): C(n, k) p^k (1-p)^(n-k), {0..n}
def _binomial_convert(raw):
    n = _to_int(raw["n"], "binomial n")
    _require(n >= 1, "binomial n must be >= 1, got %s" % n)
    P = {"n": n, "p": _to_mpf(raw["p"])}
    _prob_check(P)
    return P


def _binomial_build(P):
    n = P["n"]
    lp, lq = _log(P["p"]), mpmath.log1p(-P["p"])

    def logf(k):
        # exact integer binomial coefficient, then one log
        return _log(mpf(math.comb(n, k))) + k * lp + (n - k) * lq
    return logf


_register(Family(
    "binomial", ("n", "p"), True,
    _binomial_convert,
    _binomial_build,
    lambda P: (0, P["n"]),
    lambda P: [_start(P["n"] * P["p"], 0, P["n"])],
))


# geometric(p): p (1-p)^k, failures before the first success, {0, 1, ...}
def _geometric_build(P):
    p = P["p"]
    lp = _log(p)
    lq = mpmath.log1p(-p) if p < 1 else None

    def logf(k):
        if lq is None:  # p == 1: all mass at k = 0
            return lp if k == 0 else mpf(_NINF)
        return lp + k * lq
    return logf


_register(Family(
    "geometric", ("p",), True,
    _conv(("p",), extra=lambda P: _prob_check(P, closed_one=True)),
    _geometric_build,
    lambda P: (0, 0) if P["p"] == 1 else (0, mpf(_INF)),
    lambda P: [_start((1 - P["p"]) / P["p"], 0, _INF)],
))


# poisson(lam): lam^k exp(-lam) / k!, {0, 1, ...}
def _poisson_build(P):
    lam = P["lam"]
    llam = _log(lam)

    def logf(k):
        return k * llam - lam - mpmath.loggamma(k + 1)
    return logf


_register(Family(
    "poisson", ("lam",), True,
    _conv(("lam",), positive=("lam",)),
    _poisson_build,
    lambda P: (0, mpf(_INF)),
    lambda P: [_start(P["lam"], 0, _INF)],
))


# negativebinomial(r, p): C(k+r-1, k) p^r (1-p)^k, failures before the
# r-th success, {0, 1, ...}; C(k+r-1, k) = Gamma(k+r)/(Gamma(r) k!)
def _negbin_build(P):
    r, p = P["r"], P["p"]
    c = r * _log(p) - mpmath.loggamma(r)
    lq = mpmath.log1p(-p)

    def logf(k):
        return (c + mpmath.loggamma(k + r) - mpmath.loggamma(k + 1)
                + k * lq)
    return logf


_register(Family(
    "negativebinomial", ("r", "p"), True,
    _conv(("r", "p"), positive=("r",), extra=_prob_check),
    _negbin_build,
    lambda P: (0, mpf(_INF)),
    lambda P: [_start(P["r"] * (1 - P["p"]) / P["p"], 0, _INF)],
))


#: family name -> :class:`Family` (callable ``(x, **params) -> log density``
#: with metadata ``support``, ``discrete``, ``breakpoints``, ``kinks``)
DENSITIES = dict(_families)


def _family(name):
    try:
        return DENSITIES[name]
    except KeyError:
        raise ValueError("unknown family %r (known: %s)"
                         % (name, ", ".join(sorted(DENSITIES)))) from None


# ---------------------------------------------------------------------------
# support containment and tail divergence
# ---------------------------------------------------------------------------

def _close(a, b, dps):
    """Equality of support ends up to the caller's precision.

    Tolerates e.g. ``uniform(-pi, pi)`` with ``pi`` rounded at ``dps`` digits
    against the von Mises support computed at a higher precision.
    """
    if mpmath.isinf(a) or mpmath.isinf(b):
        return a == b
    return abs(a - b) <= mpf(10) ** (-dps) * max(1, abs(a), abs(b))


def _contained(sp, sq, dps):
    """Whether support ``sp`` lies inside ``sq`` (closed intervals)."""
    (lp, hp), (lq, hq) = sp, sq
    lo_ok = lp >= lq or _close(lp, lq, dps)
    hi_ok = hp <= hq or _close(hp, hq, dps)
    return lo_ok and hi_ok


def _diverges(fp, P, fq, Q, dps):
    """Whether ``E_p[-log q]`` is infinite through a tail or an end point.

    The supports are assumed nested.  ``p_tail`` describes the density of p
    at each end: ``("pow", a)`` is ``|x|^-(a+1)`` at infinity or
    ``dist^(a-1)`` at a finite end; ``("exp", rho, d)`` is
    ``exp(-rho |x|^d)``; ``("dexp",)`` double-exponential decay;
    ``("lognormal",)`` all moments but no exponential moment; ``("fast",)``
    faster than any power at a finite end.  ``q_growth`` describes
    ``-log q``: ``("bounded",)``, ``("log",)``, ``("logsq",)``,
    ``("pow", s)`` = ``|x|^s``, ``("exp", r)`` = ``exp(r |x|)``,
    ``("inv",)`` = ``1/dist`` at a finite end.
    """
    if fp.discrete:
        # every discrete pair with nested supports has finite moments of
        # -log q (at most ~ k log k against geometric-or-faster tails)
        return False
    tails, growth = fp._p_tail(P), fq._q_growth(Q)
    (lo_p, hi_p), (lo_q, hi_q) = fp._support(P), fq._support(Q)
    checks = []
    if lo_p == _NINF:
        checks.append(("-inf", "-inf"))
    elif _close(lo_p, lo_q, dps):
        checks.append(("lo", "lo"))
    if hi_p == _INF:
        checks.append(("+inf", "+inf"))
    elif _close(hi_p, hi_q, dps):
        checks.append(("hi", "hi"))
    for pend, qend in checks:
        d = tails.get(pend)
        g = growth.get(qend, ("bounded",))
        if d is None:
            continue
        if g[0] == "pow" and d[0] == "pow" and pend in ("-inf", "+inf"):
            if g[1] >= d[1]:
                return True
        elif g[0] == "exp":
            if d[0] in ("pow", "lognormal"):
                return True
            if d[0] == "exp":
                if d[2] < 1 or (d[2] == 1 and g[1] >= d[1]):
                    return True
        elif g[0] == "inv":
            if d[0] == "pow" and d[1] <= 1:
                return True
    return False


# ---------------------------------------------------------------------------
# continuous integration
# ---------------------------------------------------------------------------

#: largest exponent gap (bits) for which ``end +- e`` is formed exactly
_EXACT_GAP = 1 << 20


def _offset(end, e, sign):
    """``end + sign*e`` formed exactly (extra mantissa bits) when feasible.

    Near a finite support end the integration nodes are ``end +- e`` with a
    tiny ``e``.  Rounding them to the working precision would turn
    ``1 - x`` into 0 for a user function such as ``log(1 - x)`` while the
    mass there (``e^beta`` for a beta law) is not negligible.  Kept exact,
    any later ``hi - x`` is correctly rounded to ``e``.
    """
    if end == 0:
        return e if sign > 0 else -e
    if 0 < mpmath.mag(end) - mpmath.mag(e) < _EXACT_GAP:
        if sign > 0:
            return mpmath.fadd(end, e, exact=True)
        return mpmath.fsub(end, e, exact=True)
    return end + sign * e


def _pieces(fp, P, extra_x):
    """Integration plan for E_p[...] as a list of pieces.

    Returns
    -------
    list of tuple
        ``(xmap, u_points, s_left, s_right)`` where ``xmap(u) -> (x, dx/du,
        xc)``; ``u_points`` are sorted finite breakpoints; ``s_left`` /
        ``s_right`` are tail scales when the piece extends to ``-inf`` /
        ``+inf`` in ``u`` (``None`` when the last point is the end).
    """
    lo, hi = fp._support(P)
    xs = list(fp._points(P)) + list(extra_x)
    sl, sr = fp._tail_scales(P)
    if lo == _NINF and hi == _INF:
        c, s = fp._center_scale(P)
        if fp.heavy_tails:
            # algebraic tails become exponential in w: x = c + s sinh(w)
            def xmap(w):
                return c + s * mpmath.sinh(w), s * mpmath.cosh(w), None
            to_u = mpmath.asinh
        else:
            def xmap(z):
                return c + s * z, s, None

            def to_u(z):
                return z
        zs = {mpf(0)} | {to_u((x - c) / s) for x in xs if mpmath.isfinite(x)}
        return [(xmap, sorted(zs), sl, sr)]
    if hi == _INF:
        def xmap(u):
            e = mpmath.exp(u)
            return _offset(lo, e, 1), e, None
        us = sorted({_log(x - lo) for x in xs if x > lo and x < _INF})
        if not us:
            us = [mpf(0) if lo == 0 else _log(abs(lo))]
        return [(xmap, us, sl, sr)]
    if lo == _NINF:
        # not used by the contract families; mirror of the half line
        def xmap(u):
            e = mpmath.exp(u)
            return _offset(hi, e, -1), e, e
        us = sorted({_log(hi - x) for x in xs if _NINF < x < hi})
        return [(xmap, us or [mpf(0)], sr, sl)]
    # finite interval [lo, hi]: split at the midpoint
    mid = (lo + hi) / 2
    half = (hi - lo) / 2
    umid = _log(half)

    def xleft(u):
        e = mpmath.exp(u)
        return _offset(lo, e, 1), e, hi - lo - e

    def xright(u):
        e = mpmath.exp(u)
        return _offset(hi, e, -1), e, e
    ul = sorted({_log(x - lo) for x in xs if lo < x < mid} | {umid})
    ur = sorted({_log(hi - x) for x in xs if mid < x < hi} | {umid})
    return [(xleft, ul, sl, None), (xright, ur, sr, None)]


def _quad_piece(F, maxdegree):
    """Integrate ``F`` on [-1, 1] (cached standard nodes); returns (I, err)."""
    return mpmath.quad(F, [-1, 1], error=True, maxdegree=maxdegree)


#: tail breakpoints in units of the tail scale.  Finite tanh-sinh pieces
#: converge much faster than mpmath's rational map of [0, inf] for
#: exponentially decaying integrands (e^-1536 is far below any precision
#: used here; the pieces stop as soon as the integrand is negligible).
_TAIL_BREAKS = (0, 3, 24, 192, 1536)


def _quad_tail(F, maxdegree):
    """Integrate ``F`` on [0, inf].

    ``F`` is expected to decay at least like ``exp(-v)`` (the tail scale is
    chosen so).  The range is cut into finite pieces, stopping once ``F`` is
    negligible, plus a final ``[V, inf]`` piece written as
    ``V * int_1^inf F(V y) dy``, whose value should then be negligible.

    Returns
    -------
    (I, err, final)
        Integral, error estimate and the value of the final piece (used to
        detect tails that do not decay, i.e. divergent integrals).
    """
    total = mpf(0)
    abs_total = mpf(0)
    err = mpf(0)
    tiny = mpf(2) ** (-mpmath.mp.prec - 10)
    breaks = [mpf(b) for b in _TAIL_BREAKS]
    V = breaks[-1]
    Fa = None
    for a, b in zip(breaks[:-1], breaks[1:]):
        h, m = (b - a) / 2, (a + b) / 2
        I, e = mpmath.quad(lambda t, h=h, m=m: F(m + h * t) * h, [-1, 1],
                           error=True, maxdegree=maxdegree)
        total += I
        abs_total += abs(I)
        err += e
        Fb = F(b)
        if (a > 0 and abs(Fb) > abs(Fa)
                and abs(Fb) * (b - a) > abs_total / 1000):
            # growing instead of decaying: E_p[...] diverges
            raise RuntimeError("the integrand grows in the tail; the "
                               "integral probably diverges")
        Fa = Fb
        if Fb == 0 or abs(Fb) <= tiny * abs_total:
            # negligible from here on (decay at least like exp(-v))
            V = b
            break
    I, e = mpmath.quad(lambda y: F(V * y) * V, [1, _INF], error=True,
                       maxdegree=maxdegree)
    return total + I, err + e, I


def _integrate(fp, P, g, extra_x, maxdegree):
    """E_p[g] for continuous p at the current precision.

    Parameters
    ----------
    g : callable
        ``g(x, xc, lp)`` with ``lp = log p(x)`` already evaluated.

    Returns
    -------
    (value, abs_sum, err)
        The integral, the sum of absolute values of the piece integrals (a
        measure of cancellation), and the summed quadrature error estimate.
    """
    logp = fp.build(P)
    prec = mpmath.mp.prec
    # below this log-magnitude an integrand value is negligible
    cut = -(prec + 60) * mpmath.ln2
    far = 1000 * cut

    def value(xmap, u, w):
        x, jac, xc = xmap(u)
        lp = logp(x, xc)
        if lp == _NINF:
            return mpf(0)
        if lp + _log(jac) < far:
            # astronomically far out (tanh-sinh nodes of the [V, inf] tail
            # reach 2^prec); skip evaluating g, whose cost can explode there
            return mpf(0)
        try:
            val = g(x, xc, lp)
        except OverflowError:
            # e.g. exp(-exp(huge)) in a Gumbel q at a node astronomically far
            # out; harmless where p itself is negligible
            if lp < cut:
                return mpf(0)
            raise
        if val == 0:
            return mpf(0)
        if lp < cut and lp + _log(abs(val) * jac) < cut:
            # far tail; avoids exp() of astronomically negative numbers
            return mpf(0)
        return mpmath.exp(lp) * val * jac * w

    # q's kinks only matter where p is not negligible
    extra_x = [x for x in extra_x
               if fp._support(P)[0] < x < fp._support(P)[1]
               and logp(x) > cut]
    total = mpf(0)
    abs_sum = mpf(0)
    err = mpf(0)
    tails_end = []
    for xmap, us, s_left, s_right in _pieces(fp, P, extra_x):
        parts = []
        for a, b in zip(us[:-1], us[1:]):
            h, m = (b - a) / 2, (a + b) / 2
            parts.append(_quad_piece(
                lambda t, h=h, m=m, xmap=xmap: value(xmap, m + h * t, h),
                maxdegree))
        finals = []
        for s_tail, sign in ((s_left, -1), (s_right, 1)):
            if s_tail is None:
                continue
            u0 = us[0] if sign < 0 else us[-1]
            I, e, fin = _quad_tail(
                lambda v, u0=u0, s=s_tail * sign, xmap=xmap:
                    value(xmap, u0 + s * v, abs(s)), maxdegree)
            parts.append((I, e))
            finals.append(fin)
        for I, e in parts:
            total += I
            abs_sum += abs(I)
            err += e
        tails_end.extend(finals)
    for fin in tails_end:
        if abs(fin) > mpf(2) ** (30 - prec) * max(abs_sum, 1):
            raise RuntimeError(
                "%s: the integrand does not decay in the tails (remainder "
                "%s of %s); the integral probably diverges"
                % (fp.name, mpmath.nstr(fin, 5), mpmath.nstr(abs_sum, 5)))
    return total, abs_sum, err


# ---------------------------------------------------------------------------
# discrete summation
# ---------------------------------------------------------------------------

def _sum(fp, P, g):
    """E_p[g] for discrete p by direct summation outward from the mode.

    Each direction stops once the mass is decreasing and the remaining terms
    are below ``10^-(wp+5)`` relative to the accumulated absolute sum.

    Returns
    -------
    (value, abs_sum, err)
        ``err`` is 0 (truncation is below the working precision).
    """
    logp = fp.build(P)
    lo, hi = fp._support(P)
    start = fp._points(P)[0]
    eps = mpf(2) ** (-mpmath.mp.prec) / mpf(10) ** 5
    total = mpf(0)
    abs_sum = mpf(0)
    count = 0

    def term(k):
        lp = logp(k)
        if lp == _NINF:
            return lp, mpf(0), mpf(0)
        pk = mpmath.exp(lp)
        val = g(k, None, lp)
        return lp, pk * val, pk * (1 + abs(val))

    for step, k0 in ((1, start), (-1, start - 1)):
        k = k0
        prev_lp = None
        while lo <= k <= hi:
            lp, t, size = term(k)
            total += t
            abs_sum += abs(t)
            count += 1
            if count > _MAX_TERMS:
                raise RuntimeError("%s: more than %d terms needed"
                                   % (fp.name, _MAX_TERMS))
            decreasing = prev_lp is not None and lp < prev_lp
            if decreasing and size <= eps * max(abs_sum, eps):
                break
            prev_lp = lp
            k += step
    return total, abs_sum, mpf(0)


# ---------------------------------------------------------------------------
# precision driver
# ---------------------------------------------------------------------------

def _guess_degree(prec):
    """mpmath's default tanh-sinh degree (``TanhSinh.guess_degree``)."""
    return int(4 + max(0, math.log(prec / 30.0, 2))) + 2


def _run(compute, dps):
    """Evaluate ``compute()`` with enough working precision for ``dps`` digits.

    ``compute`` is called inside ``workdps(wp)`` and returns either an mpf
    (an exact special value such as ``+inf`` or 0) or a tuple
    ``(value, abs_sum, err)``.  The first pass uses ``wp = dps + 20``; if
    the value is small compared with the integrand magnitude (taken as
    ``max(abs_sum, 100)``, 100 bounding typical ``|log p|``), the
    computation is repeated with that many more digits.  The quadrature
    error estimate is then checked, with one retry at a higher quadrature
    degree.
    """
    wp = dps + _GUARD
    redone = False
    degree_bump = 0
    while True:
        with mpmath.workdps(wp):
            maxdeg = _guess_degree(mpmath.mp.prec) + degree_bump
            res = compute(maxdeg)
            if not isinstance(res, tuple):
                return res
            val, abs_sum, err = res
            scale = max(abs_sum, mpf(100))
            if val == 0:
                lost = 0 if abs_sum == 0 else wp
            else:
                lost = max(0, int(mpmath.ceil(mpmath.log10(scale / abs(val)))))
            need = dps + _MARGIN + lost
            if need > wp and not redone:
                redone = True
                wp = need + 5
                continue
            # full relative accuracy, or a value that is zero to within the
            # working precision (e.g. an odd moment of a symmetric law)
            noise = mpf(10) ** (-(wp - 25)) * scale
            ok = (err <= mpf(10) ** (-(dps + 5)) * abs(val)
                  or (abs(val) <= noise and err <= noise))
            if ok:
                return val
            if degree_bump == 0:
                degree_bump = 3
                continue
            raise RuntimeError(
                "quadrature did not converge (estimated error %s for value "
                "%s); the integral may diverge"
                % (mpmath.nstr(err, 5), mpmath.nstr(val, 20)))


def _engine(fp, P, g, extra_x, maxdeg):
    if fp.discrete:
        return _sum(fp, P, g)
    return _integrate(fp, P, g, extra_x, maxdeg)


def _q_evaluator(fp, P, fq, Q, dps):
    """log q as a function of the points produced for p's integration.

    The exact complement ``xc = hi_p - x`` is passed on only when q's upper
    end coincides with p's; points are clipped into q's support (they can
    only leave it by rounding, see :func:`_close`).
    """
    logq = fq.build(Q)
    if fq.discrete:
        return lambda x, xc: logq(x)
    lo_q, hi_q = fq._support(Q)
    hi_p = fp._support(P)[1]
    share_hi = mpmath.isfinite(hi_q) and _close(hi_p, hi_q, dps)

    def lq(x, xc):
        if x < lo_q:
            x = lo_q
        elif x > hi_q:
            x = hi_q
        return logq(x, xc if share_hi else None)
    return lq


def _check_pair(fp, fq):
    if fp.discrete != fq.discrete:
        raise ValueError("cannot compare a discrete and a continuous family "
                         "(%s vs %s)" % (fp.name, fq.name))


def _pair_compute(name_p, params_p, name_q, params_q, dps, kind):
    """Shared body of :func:`ref_kl` and :func:`ref_cross_entropy`."""
    fp, fq = _family(name_p), _family(name_q)
    _check_pair(fp, fq)

    def compute(maxdeg):
        P, Q = fp.convert(params_p), fq.convert(params_q)
        if not _contained(fp._support(P), fq._support(Q), dps):
            return mpf(_INF)
        if _diverges(fp, P, fq, Q, dps):
            return mpf(_INF)
        if kind == "kl" and fp is fq and P == Q:
            return mpf(0)  # integrand vanishes identically
        lq = _q_evaluator(fp, P, fq, Q, dps)
        if kind == "kl":
            def g(x, xc, lp):
                return lp - lq(x, xc)
        else:
            def g(x, xc, lp):
                return -lq(x, xc)
        return _engine(fp, P, g, fq._kinks(Q), maxdeg)

    with mpmath.workdps(dps):
        res = _run(compute, dps)
        return +res


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------

def log_density(name, x, **params):
    """Log-density (or log-mass) of a family at ``x``.

    Parameters
    ----------
    name : str
        Family name from the contract (e.g. ``"gamma"``).
    x : number
        Evaluation point.  Discrete families give ``-inf`` at non-integers.
    **params
        Contract parameters (int, float, Fraction, str or mpf).

    Returns
    -------
    mpf
        ``log p(x)`` at the current mpmath precision (``-inf`` outside the
        support).
    """
    return _family(name)(x, **params)


def ref_entropy(name, params, dps=50):
    """Entropy ``H(p) = -E_p[log p]`` (differential entropy if continuous).

    Parameters
    ----------
    name : str
        Family name.
    params : dict
        Parameters of p.
    dps : int, optional
        Decimal digits wanted in the result (internal precision is higher).

    Returns
    -------
    mpf
        The entropy in nats, rounded to ``dps`` digits.
    """
    fp = _family(name)

    def compute(maxdeg):
        P = fp.convert(params)
        return _engine(fp, P, lambda x, xc, lp: -lp, [], maxdeg)

    with mpmath.workdps(dps):
        res = _run(compute, dps)
        return +res


def ref_cross_entropy(name_p, params_p, name_q, params_q, dps=50):
    """Cross-entropy ``H(p, q) = -E_p[log q]``.

    Parameters
    ----------
    name_p, name_q : str
        Family names of p and q (both continuous or both discrete).
    params_p, params_q : dict
        Their parameters.
    dps : int, optional
        Decimal digits wanted.

    Returns
    -------
    mpf
        The cross-entropy in nats; ``+inf`` when the support of p is not
        contained in that of q, or when ``E_p[-log q]`` diverges.

    Raises
    ------
    ValueError
        Unknown family, bad parameters, or a discrete/continuous mix.
    """
    return _pair_compute(name_p, params_p, name_q, params_q, dps, "ce")


def ref_kl(name_p, params_p, name_q, params_q, dps=50):
    """Kullback-Leibler divergence ``KL(p||q) = E_p[log p - log q]``.

    Computed as one integral (sum) of ``p (log p - log q)`` with the
    log-densities evaluated at extra precision, so that nearly equal p and q
    still give full relative accuracy.

    Parameters
    ----------
    name_p, name_q : str
        Family names of p and q (both continuous or both discrete).
    params_p, params_q : dict
        Their parameters.
    dps : int, optional
        Decimal digits wanted.

    Returns
    -------
    mpf
        The divergence in nats; ``+inf`` when p puts mass where q has none
        or when the integral diverges through a tail.

    Raises
    ------
    ValueError
        Unknown family, bad parameters, or a discrete/continuous mix.
    """
    return _pair_compute(name_p, params_p, name_q, params_q, dps, "kl")


def ref_expectation(name, params, f, dps=50):
    """Expectation ``E_p[f(X)]``.

    Parameters
    ----------
    name : str
        Family name.
    params : dict
        Parameters of p.
    f : callable
        ``f(x) -> mpf``; receives an mpf (continuous families) or a Python
        ``int`` (discrete families).  It is evaluated at the internal working
        precision.
    dps : int, optional
        Decimal digits wanted.

    Returns
    -------
    mpf
        The expectation.  A result that is zero up to the working precision
        (e.g. an odd moment of a symmetric law) cannot have relative
        accuracy and is returned as computed.

    Raises
    ------
    RuntimeError
        If the quadrature does not converge (e.g. the expectation diverges).
    """
    fp = _family(name)

    def compute(maxdeg):
        P = fp.convert(params)
        return _engine(fp, P, lambda x, xc, lp: f(x), [], maxdeg)

    with mpmath.workdps(dps):
        res = _run(compute, dps)
        return +res
