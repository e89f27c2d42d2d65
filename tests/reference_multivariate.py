"""Independent high-precision reference values for klsym's multivariate families.

The companion of ``tests/reference.py`` for the four multivariate families of
the shared family contract (``shared/families.md``): ``mvnormal``,
``dirichlet``, ``categorical`` and ``multinomial``.  It re-types the
densities (mass functions) directly and computes entropies,
cross-entropies and KL divergences as expectations of the log-densities
themselves, by quadrature or enumeration.  No closed form of a KL divergence
or an entropy is used anywhere (no trace/log-det formula, no digamma
formula): the only special function is ``loggamma``, in the normalising
constant ``B(alpha)`` of the Dirichlet density and in the multinomial
coefficient.

It deliberately imports neither ``klsym`` nor ``sympy``: it is a second,
purely numerical route against which klsym's closed forms are checked.

Conventions (from the contract)
-------------------------------
* ``mvnormal``: ``mu`` (length ``d``), ``Sigma`` (``d x d`` symmetric
  positive definite, a COVARIANCE); the usual density on ``R^d``.
* ``dirichlet``: ``alpha`` (length ``K >= 2``, entries ``> 0``); density
  ``prod x_i^(alpha_i - 1) / B(alpha)`` with respect to Lebesgue measure on
  the first ``K - 1`` coordinates, ``x_K = 1 - x_1 - ... - x_{K-1}``.
* ``categorical``: ``p`` (length ``K``, entries ``> 0``, sum exactly 1);
  mass ``p_k`` on ``{0, ..., K-1}``.
* ``multinomial``: ``n`` (integer ``>= 1``), ``p`` as for ``categorical``;
  mass ``n!/prod k_i! prod p_i^k_i`` on count vectors summing to ``n``.
* natural logarithms; ``KL(p||q) = E_p[log p - log q]``,
  ``H(p) = -E_p[log p]``, ``H(p, q) = -E_p[log q]``.
* ``multinomial`` with ``n_p != n_q``: the supports are disjoint, so
  ``KL = H(p, q) = +inf``.  Any other dimension mismatch (``d`` or ``K``)
  raises :class:`ValueError`.

Parameters are given as Python ``int``, ``fractions.Fraction`` (or any
``numbers.Rational``), ``float``, decimal ``str`` or ``mpf`` -- nested lists
of them for vectors and matrices.  Each value is first converted EXACTLY to a
``Fraction`` (a float by its binary value, a string by its decimal value), so
every constraint is checked in exact arithmetic: ``Sigma`` symmetric and
positive definite (exact Gaussian elimination), probabilities summing to
exactly 1.  Only then are they converted to ``mpf`` at the working precision.

Numerical method
----------------
All work happens inside ``mpmath.workdps`` contexts (the global ``mp.dps``
is never modified).  For a requested ``dps`` the computation runs at
``dps + 20`` digits and is repeated with more digits when the result is small
compared with ``E_p[|log p| + |log q|]`` (cancellation, e.g. KL between
nearly equal distributions).  Every family provides a list of nodes with
weights representing the law ``p``; an expectation is the weighted sum of the
integrand over them.

* ``mvnormal``: tensor-product Gauss-Hermite quadrature in the whitened
  coordinates ``x = mu_p + L z`` (``L`` the Cholesky factor of
  ``Sigma_p``), with 8 nodes per dimension for ``d <= 3``, 4 for
  ``d = 4, 5`` and 3 beyond (at most ``max(1024, 3^d)`` nodes).  The nodes
  are computed at working precision (Golub-Welsch with ``mpmath.eigsy``,
  polished by Newton's method on the Hermite polynomial, weights from the
  Christoffel formula) and checked:
  the weights must sum to ``sqrt(pi)`` and reproduce ``E[z^2]``.  The
  integrands ``log p``, ``log q`` and ``log p - log q`` are polynomials of
  degree 2 in ``x``, and an ``n``-node Gauss-Hermite rule is exact up to
  degree ``2n - 1``, so the quadrature is EXACT up to rounding.  The
  log-densities are nevertheless evaluated honestly at every node (Cholesky
  forward substitution for the quadratic form, ``log det`` from the Cholesky
  diagonal).
* ``dirichlet``: the integral over the simplex in the first ``K - 1``
  coordinates is written in stick-breaking coordinates
  ``x_1 = s_1``, ``x_j = s_j prod_{i<j} (1 - s_i)``,
  ``x_K = prod_i (1 - s_i)`` on the unit cube (Jacobian
  ``prod_i (1 - s_i)^(K-1-i)``); i.e. the inner integral over
  ``[0, 1 - x_1]`` is rescaled to ``[0, 1]``.  Each ``s_i`` is integrated
  with a tanh-sinh (double exponential) rule
  ``s = 1 / (1 + exp(-(pi sinh v + c)))`` on an equispaced grid in ``v``,
  where ``log s`` and ``log(1 - s)`` are computed from ``v`` directly, so
  that the coordinates, their complements and hence ``log x_i`` have full
  relative accuracy even next to the faces of the simplex (endpoint
  singularities ``x^(alpha-1)`` and ``log x`` become double-exponentially
  decaying).  ``c`` is the logit of the mean of ``s_i``.  The step of each
  direction is decreased by factors ``sqrt(2)`` until the 1-D integrals of
  the marginal weight times ``1``, ``log s`` and ``log(1 - s)`` -- the
  building blocks of every integrand here, which is linear in the
  ``log x_i`` -- change by less than ``tol = 10^-(wp-15)`` (``10^-(dps+5)``
  on the first pass); the coarser of the two last grids is used, its error
  being estimated by that change.  Grid nodes whose weight is below
  ``10^-(wp+10)`` are skipped.  The tensor-product sum of the density over
  the grid must then equal 1 to ``100 tol``, otherwise
  :class:`RuntimeError` is raised; so is a grid above
  ``_MAX_DIRICHLET_NODES`` nodes.  At ``dps=50`` a call takes about 0.1-1 s
  for ``K = 2`` and 1-4 s for ``K = 3`` (up to ~6 s when nearly equal laws
  force extra digits, or for entries ``alpha_i << 1``); ``K = 4`` works only
  up to about ``dps=12`` (several seconds) and raises beyond.
* ``categorical``, ``multinomial``: exact enumeration of the support
  (multinomial: all compositions of ``n`` into ``K`` parts, at most
  ``_MAX_COMPOSITIONS`` of them).

Examples
--------
>>> from fractions import Fraction
>>> import mpmath
>>> P = {"mu": [0, 1], "Sigma": [[2, Fraction(1, 2)], [Fraction(1, 2), 1]]}
>>> Q = {"mu": [1, 0], "Sigma": [[1, 0], [0, 3]]}
>>> mpmath.nstr(ref_kl_mv("mvnormal", P, Q), 20)
'1.1028315836996768359'
>>> ref_kl_mv("multinomial", {"n": 2, "p": [Fraction(1, 2)] * 2},
...           {"n": 3, "p": [Fraction(1, 2)] * 2})
mpf('+inf')
"""

import itertools
import math
import numbers
from fractions import Fraction

import mpmath
from mpmath import mpf

__all__ = [
    "FAMILIES",
    "log_density_mv",
    "ref_mass_mv",
    "ref_entropy_mv",
    "ref_cross_entropy_mv",
    "ref_kl_mv",
]

#: extra decimal digits used internally on top of the requested ``dps``
_GUARD = 20
#: digits that must survive cancellation beyond the requested ``dps``
_MARGIN = 15
#: Gauss-Hermite nodes per dimension: the first n with n**d <= _MAX_HERMITE_GRID
_HERMITE_SIZES = (8, 4, 3)
_MAX_HERMITE_GRID = 1024
#: largest Dirichlet tensor grid (about 1 s per 30,000 nodes at dps=50)
_MAX_DIRICHLET_NODES = 300_000
#: finest tanh-sinh step is 2**-_MAX_DE_LEVEL (steps 2**(-l/2), l = 2, 3, ...)
_MAX_DE_LEVEL = 12
#: largest multinomial support that is enumerated
_MAX_COMPOSITIONS = 500_000

_INF = mpmath.inf


# ---------------------------------------------------------------------------
# exact parameter conversion and validation
# ---------------------------------------------------------------------------

def _fraction(value, what):
    """Convert a numeric parameter value EXACTLY to a ``Fraction``."""
    if isinstance(value, bool):
        raise TypeError("%s: a boolean is not a valid parameter value" % what)
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, numbers.Rational) and isinstance(
            getattr(value, "numerator", None), int):
        return Fraction(value.numerator, value.denominator)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("%s must be finite, got %r" % (what, value))
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except ValueError:
            raise ValueError("%s: cannot read %r as a number" % (what, value))
    if isinstance(value, mpf):
        if not mpmath.isfinite(value):
            raise ValueError("%s must be finite, got %s" % (what, value))
        man, exp = value.man_exp
        return Fraction(man) * Fraction(2) ** exp
    raise TypeError("%s: unsupported parameter type %s" % (what, type(value).__name__))


def _vector(raw, what):
    """A non-empty sequence of numbers as a tuple of ``Fraction``."""
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__"):
        raise ValueError("%s must be a sequence of numbers, got %r" % (what, raw))
    if len(raw) == 0:
        raise ValueError("%s must not be empty" % what)
    return tuple(_fraction(v, "%s[%d]" % (what, i)) for i, v in enumerate(raw))


def _matrix(raw, what):
    """A square nested sequence as a tuple of row tuples of ``Fraction``."""
    if isinstance(raw, (str, bytes)) or not hasattr(raw, "__len__") or len(raw) == 0:
        raise ValueError("%s must be a non-empty square matrix (list of rows)" % what)
    rows = tuple(_vector(r, "%s[%d]" % (what, i)) for i, r in enumerate(raw))
    if any(len(r) != len(rows) for r in rows):
        raise ValueError("%s must be square, got row lengths %s"
                         % (what, [len(r) for r in rows]))
    return rows


def _check_names(name, raw, names):
    if not isinstance(raw, dict):
        raise TypeError("%s parameters must be a dict, got %r" % (name, raw))
    if set(raw) != set(names):
        raise ValueError("%s takes parameters %s, got %s" % (name, names, sorted(raw)))


def _check_probabilities(p, what):
    for i, v in enumerate(p):
        if v <= 0:
            raise ValueError("%s[%d] must be > 0, got %s" % (what, i, v))
    total = sum(p)
    if total != 1:
        raise ValueError("%s must sum to exactly 1, got sum %s" % (what, total))


def _positive_definite(S):
    """Exact Gaussian elimination: all pivots of ``S`` must be positive."""
    A = [list(r) for r in S]
    d = len(A)
    for k in range(d):
        if A[k][k] <= 0:
            return False
        for i in range(k + 1, d):
            f = A[i][k] / A[k][k]
            for j in range(k, d):
                A[i][j] -= f * A[k][j]
    return True


def _convert_mvnormal(raw):
    _check_names("mvnormal", raw, ("mu", "Sigma"))
    mu = _vector(raw["mu"], "mvnormal mu")
    S = _matrix(raw["Sigma"], "mvnormal Sigma")
    if len(S) != len(mu):
        raise ValueError("mvnormal: mu has length %d but Sigma is %d x %d"
                         % (len(mu), len(S), len(S)))
    d = len(mu)
    for i in range(d):
        for j in range(i):
            if S[i][j] != S[j][i]:
                raise ValueError("mvnormal Sigma is not symmetric: Sigma[%d][%d] = %s "
                                 "but Sigma[%d][%d] = %s" % (i, j, S[i][j], j, i, S[j][i]))
    if not _positive_definite(S):
        raise ValueError("mvnormal Sigma is not positive definite: %s"
                         % [[str(v) for v in r] for r in S])
    return {"mu": mu, "Sigma": S}


def _convert_dirichlet(raw):
    _check_names("dirichlet", raw, ("alpha",))
    alpha = _vector(raw["alpha"], "dirichlet alpha")
    if len(alpha) < 2:
        raise ValueError("dirichlet alpha must have length K >= 2, got %d" % len(alpha))
    for i, a in enumerate(alpha):
        if a <= 0:
            raise ValueError("dirichlet alpha[%d] must be > 0, got %s" % (i, a))
    return {"alpha": alpha}


def _convert_categorical(raw):
    _check_names("categorical", raw, ("p",))
    p = _vector(raw["p"], "categorical p")
    _check_probabilities(p, "categorical p")
    return {"p": p}


def _convert_multinomial(raw):
    _check_names("multinomial", raw, ("n", "p"))
    n = _fraction(raw["n"], "multinomial n")
    if n.denominator != 1 or n < 1:
        raise ValueError("multinomial n must be an integer >= 1, got %s" % n)
    p = _vector(raw["p"], "multinomial p")
    _check_probabilities(p, "multinomial p")
    return {"n": int(n), "p": p}


def _mp(v):
    """An exact ``Fraction`` as ``mpf`` at the current precision."""
    return mpf(v.numerator) / v.denominator


# ---------------------------------------------------------------------------
# mvnormal
# ---------------------------------------------------------------------------

_hermite_cache = {}


def _hermite_rule(n):
    """Gauss-Hermite nodes and weights for ``exp(-x^2)`` at the current precision.

    Golub-Welsch (eigenvalues of the Jacobi matrix) gives starting nodes,
    Newton's method on ``H_n`` polishes them and the Christoffel formula
    ``w = 2^(n-1) n! sqrt(pi) / (n^2 H_{n-1}(x)^2)`` gives the weights.
    Raises :class:`RuntimeError` unless ``sum w = sqrt(pi)`` and
    ``sum w x^2 = sqrt(pi)/2`` to the working precision.
    """
    key = (n, mpmath.mp.prec)
    if key in _hermite_cache:
        return _hermite_cache[key]

    def herm(x):  # (H_n(x), H_{n-1}(x)), physicists' Hermite polynomials
        h0, h1 = mpf(1), 2 * x
        for k in range(1, n):
            h0, h1 = h1, 2 * x * h1 - 2 * k * h0
        return h1, h0

    J = mpmath.zeros(n, n)
    for k in range(1, n):
        J[k - 1, k] = J[k, k - 1] = mpmath.sqrt(mpf(k) / 2)
    eig = mpmath.eigsy(J, eigvals_only=True)
    nodes = sorted(eig[i] for i in range(n))
    eps = mpmath.eps * 16
    polished = []
    for x in nodes:
        for _ in range(50):
            hn, hm = herm(x)
            dx = hn / (2 * n * hm)
            x -= dx
            if abs(dx) <= eps * max(1, abs(x)):
                break
        polished.append(x)
    const = mpf(2) ** (n - 1) * mpmath.factorial(n) * mpmath.sqrt(mpmath.pi) / n ** 2
    weights = [const / herm(x)[1] ** 2 for x in polished]
    spi = mpmath.sqrt(mpmath.pi)
    tol = mpf(10) ** (-(mpmath.mp.dps - 5))
    if (abs(mpmath.fsum(weights) - spi) > tol * spi
            or abs(mpmath.fsum(w * x * x for w, x in zip(weights, polished)) - spi / 2) > tol):
        raise RuntimeError("Gauss-Hermite rule with %d nodes failed its self-check" % n)
    rule = (tuple(polished), tuple(weights))
    _hermite_cache[key] = rule
    return rule


def _cholesky(S):
    """Lower Cholesky factor of an mpf matrix given as nested lists."""
    d = len(S)
    L = [[mpf(0)] * d for _ in range(d)]
    for j in range(d):
        s = S[j][j] - mpmath.fsum(L[j][k] ** 2 for k in range(j))
        if s <= 0:  # cannot happen after the exact check, unless precision is tiny
            raise ValueError("mvnormal Sigma is not positive definite")
        L[j][j] = mpmath.sqrt(s)
        for i in range(j + 1, d):
            L[i][j] = (S[i][j] - mpmath.fsum(L[i][k] * L[j][k] for k in range(j))) / L[j][j]
    return L


class _MvNormal:
    """The mvnormal law at the current precision."""

    def __init__(self, P):
        self.d = len(P["mu"])
        self.mu = [_mp(v) for v in P["mu"]]
        self.L = _cholesky([[_mp(v) for v in r] for r in P["Sigma"]])
        logdet = 2 * mpmath.fsum(mpmath.log(self.L[i][i]) for i in range(self.d))
        self.const = -(self.d * mpmath.log(2 * mpmath.pi) + logdet) / 2

    def logpdf(self, x):
        """``log p(x)``: solve ``L y = x - mu``, then ``const - |y|^2 / 2``."""
        L, y = self.L, []
        for i in range(self.d):
            r = x[i] - self.mu[i] - mpmath.fsum(L[i][k] * y[k] for k in range(i))
            y.append(r / L[i][i])
        return self.const - mpmath.fsum(v * v for v in y) / 2

    def nodes(self):
        """``(weight, x, z)``: the law of ``x = mu + L z``, ``z`` standard normal."""
        n = next((n for n in _HERMITE_SIZES if n ** self.d <= _MAX_HERMITE_GRID),
                 _HERMITE_SIZES[-1])
        xs, ws = _hermite_rule(n)
        zs = [mpmath.sqrt(2) * x for x in xs]
        wn = [w / mpmath.sqrt(mpmath.pi) for w in ws]
        out = []
        for idx in itertools.product(range(n), repeat=self.d):
            z = [zs[i] for i in idx]
            w = mpmath.fprod(wn[i] for i in idx)
            x = [self.mu[i] + mpmath.fsum(self.L[i][k] * z[k] for k in range(i + 1))
                 for i in range(self.d)]
            out.append((w, x, z))
        if abs(mpmath.fsum(w for w, _, _ in out) - 1) > mpf(10) ** (-(mpmath.mp.dps - 5)):
            raise RuntimeError("Gauss-Hermite tensor weights do not sum to 1")
        return out




def _same_length(name, key, symbol):
    """A ``check_pair``: p's and q's vector ``key`` must have one length."""
    def check(P, Q):
        if Q is not None and len(Q[key]) != len(P[key]):
            raise ValueError("%s: dimensions differ (%s_p = %d, %s_q = %d)"
                             % (name, symbol, len(P[key]), symbol, len(Q[key])))
    return check


def _mvnormal_points(P, Q):
    p = _MvNormal(P)
    q = _MvNormal(Q) if Q is not None else None
    return [(w, p.logpdf(x), q.logpdf(x) if q else None) for w, x, _ in p.nodes()]


def _mvnormal_mass(P):
    # int p(x) dx = E_z[p(mu + L z) |det L| / phi(z)]: the bracket is 1 exactly,
    # so this checks the density (normalising constant, quadratic form).
    p = _MvNormal(P)
    logdetL = mpmath.fsum(mpmath.log(p.L[i][i]) for i in range(p.d))
    c = logdetL + p.d * mpmath.log(2 * mpmath.pi) / 2
    return mpmath.fsum(w * mpmath.exp(p.logpdf(x) + c + mpmath.fsum(v * v for v in z) / 2)
                       for w, x, z in p.nodes())


def _mvnormal_logdensity(P, x):
    x = [mpmath.mpmathify(v) if not isinstance(v, Fraction) else _mp(v) for v in x]
    if len(x) != len(P["mu"]):
        raise ValueError("mvnormal: point has length %d, expected %d" % (len(x), len(P["mu"])))
    return _MvNormal(P).logpdf(x)


# ---------------------------------------------------------------------------
# dirichlet
# ---------------------------------------------------------------------------

def _dirichlet_logpdf(alpha, logB):
    """``log f(x)`` from the log-coordinates ``lx = (log x_1, ..., log x_K)``."""
    terms = [(i, a - 1) for i, a in enumerate(alpha) if a != 1]
    const = -logB

    def logpdf(lx):
        s = const
        for i, c in terms:
            s += c * lx[i]
        return s
    return logpdf


def _log_beta_fn(alpha):
    return mpmath.fsum(mpmath.loggamma(a) for a in alpha) - mpmath.loggamma(mpmath.fsum(alpha))


def _de_nodes(a, b, h):
    """Tanh-sinh nodes for the weight ``s^(a-1) (1-s)^(b-1) / B(a, b)`` on (0, 1).

    ``s = 1 / (1 + exp(-(pi sinh v + c)))`` at ``v = k h``, ``c = log(a/b)``.
    Returns a list of ``(log_ds, log_s, log_1ms, log_w)``: ``log_ds`` is the
    log of ``h ds/dv`` (the quadrature weight in ``s``), ``log_w`` adds the
    log of the normalised beta weight (used to truncate and test; its float
    value is appended as a fifth entry, for pruning).
    The sum is truncated where ``log_w`` has fallen below ``-(wp + 10) ln 10``.
    """
    c = mpmath.log(a / b)
    pi = mpmath.pi
    lh = mpmath.log(h)
    lbeta = _log_beta_fn((a, b))
    thr = -(mpmath.mp.dps + 10) * mpmath.log(10)
    out = []
    for sign in (1, -1):
        k = 0 if sign == 1 else 1
        prev = None
        while True:
            v = sign * k * h
            u = pi * mpmath.sinh(v) + c
            ls = -mpmath.log1p(mpmath.exp(-u))
            l1 = -mpmath.log1p(mpmath.exp(u))
            lds = ls + l1 + mpmath.log(pi * mpmath.cosh(v)) + lh
            lw = (a - 1) * ls + (b - 1) * l1 + lds - lbeta
            out.append((lds, ls, l1, lw, float(lw)))
            if lw < thr and prev is not None and lw < prev:
                break
            prev = lw
            k += 1
    return out


_de_cache = {}


def _de_direction(a, b, tol_digits):
    """The coarsest tanh-sinh rule for ``Beta(a, b)`` meeting ``10^-tol_digits``.

    Compares the 1-D integrals of the beta weight times ``1``, ``log s`` and
    ``log(1-s)`` for steps ``h = 2^(-l/2)``, ``l = 2, 3, ...``; the change
    between two successive steps estimates the error of the coarser rule,
    which is returned once that change is below the tolerance (relative to
    the integral of the weight times ``1 + |log s| + |log(1-s)|``).
    """
    key = (a, b, mpmath.mp.prec, tol_digits)
    if key in _de_cache:
        return _de_cache[key]
    tol = mpf(10) ** -tol_digits
    prev = None
    for level in range(2, 2 * _MAX_DE_LEVEL + 1):
        nodes = _de_nodes(a, b, mpmath.sqrt(2) ** -level)
        ints, scale = [mpf(0)] * 3, mpf(0)
        for _, ls, l1, lw, _ in nodes:
            w = mpmath.exp(lw)
            ints[0] += w
            ints[1] += w * ls
            ints[2] += w * l1
            scale += w * (1 + abs(ls) + abs(l1))
        if prev is not None:
            change = max(abs(x - y) for x, y in zip(ints, prev[1]))
            if change <= tol * scale:
                if len(_de_cache) > 64:
                    _de_cache.clear()
                _de_cache[key] = prev[0]
                return prev[0]
        prev = (nodes, ints)
    raise RuntimeError("dirichlet: tanh-sinh rule for Beta(%s, %s) did not converge"
                       % (mpmath.nstr(a, 8), mpmath.nstr(b, 8)))


_dirichlet_cache = {}


class _Dirichlet:
    """The dirichlet law at the current precision."""

    def __init__(self, P):
        self.key = (P["alpha"], mpmath.mp.prec)
        self.alpha = [_mp(a) for a in P["alpha"]]
        self.K = len(self.alpha)
        self.logpdf = _dirichlet_logpdf(self.alpha, _log_beta_fn(self.alpha))

    def nodes(self):
        """``(weight, log f_p(x), lx)`` over the stick-breaking tensor grid.

        ``weight`` is ``f_p(x)`` times the Jacobian and the quadrature
        weights, so the weights sum to ``int f_p = 1`` (checked).  Nodes whose
        weight is below ``10^-(wp+10)`` -- known beforehand, as the product of
        the one-dimensional beta weights -- are skipped.  The last few grids
        are cached (entropy, cross-entropy and KL of the same p share one).
        """
        if self.key in _dirichlet_cache:
            return _dirichlet_cache[self.key]
        K, alpha = self.K, self.alpha
        tol_digits = mpmath.mp.dps - 15
        rules, total = [], 1
        for i in range(K - 1):
            rule = _de_direction(alpha[i], mpmath.fsum(alpha[i + 1:]), tol_digits)
            rules.append(rule)
            total *= len(rule)
            if total > _MAX_DIRICHLET_NODES:
                raise RuntimeError(
                    "dirichlet: the quadrature grid would need more than %d nodes "
                    "at %d digits (K = %d); lower dps" % (_MAX_DIRICHLET_NODES, mpmath.mp.dps, K))
        thr = -(mpmath.mp.dps + 10) * math.log(10)
        # best log weight still reachable from direction i on
        best = [0.0] * K
        for i in range(K - 2, -1, -1):
            best[i] = best[i + 1] + max(node[4] for node in rules[i])
        out = []
        logpdf = self.logpdf

        def walk(i, lx, lrest, lmeasure, lw):
            # lrest = log prod_{j<i} (1 - s_j) = log of the unbroken stick
            if i == K - 1:
                lx = lx + [lrest]
                lp = logpdf(lx)
                out.append((mpmath.exp(lp + lmeasure), lp, lx))
                return
            jac = K - 2 - i  # exponent of (1 - s_i) in the Jacobian
            cut = thr - lw - best[i + 1]
            for lds, ls, l1, _, lwi in rules[i]:
                if lwi < cut:
                    continue
                walk(i + 1, lx + [lrest + ls], lrest + l1,
                     lmeasure + lds + (jac * l1 if jac else 0), lw + lwi)
        walk(0, [], mpf(0), mpf(0), 0.0)
        mass = mpmath.fsum(w for w, _, _ in out)
        if abs(mass - 1) > 100 * mpf(10) ** -tol_digits:
            raise RuntimeError("dirichlet: the density sums to %s on the quadrature grid"
                               % mpmath.nstr(mass, 20))
        if len(_dirichlet_cache) >= 4:
            _dirichlet_cache.clear()
        _dirichlet_cache[self.key] = out
        return out




def _dirichlet_points(P, Q):
    p = _Dirichlet(P)
    q = _Dirichlet(Q) if Q is not None else None
    return [(w, lp, q.logpdf(lx) if q else None) for w, lp, lx in p.nodes()]


def _dirichlet_mass(P):
    return mpmath.fsum(w for w, _, _ in _Dirichlet(P).nodes())


def _dirichlet_logdensity(P, x):
    K = len(P["alpha"])
    x = [mpmath.mpmathify(v) if not isinstance(v, Fraction) else _mp(v) for v in x]
    if len(x) == K - 1:
        x = x + [1 - mpmath.fsum(x)]
    if len(x) != K:
        raise ValueError("dirichlet: point must have K - 1 = %d or K = %d coordinates"
                         % (K - 1, K))
    if any(v <= 0 for v in x):
        return mpf(-_INF)
    return _Dirichlet(P).logpdf([mpmath.log(v) for v in x])


# ---------------------------------------------------------------------------
# categorical, multinomial
# ---------------------------------------------------------------------------



def _categorical_points(P, Q):
    lp = [mpmath.log(_mp(v)) for v in P["p"]]
    lq = [mpmath.log(_mp(v)) for v in Q["p"]] if Q is not None else [None] * len(lp)
    return [(mpmath.exp(a), a, b) for a, b in zip(lp, lq)]


def _categorical_logdensity(P, k):
    if isinstance(k, bool) or not isinstance(k, int):
        raise TypeError("categorical: the outcome must be an int, got %r" % (k,))
    if not 0 <= k < len(P["p"]):
        return mpf(-_INF)
    return mpmath.log(_mp(P["p"][k]))


def _compositions(n, K):
    """All tuples of ``K`` non-negative ints summing to ``n``."""
    if K == 1:
        yield (n,)
        return
    for first in range(n, -1, -1):
        for rest in _compositions(n - first, K - 1):
            yield (first,) + rest




def _multinomial_logmass(P):
    n = P["n"]
    lp = [mpmath.log(_mp(v)) for v in P["p"]]

    def logmass(k):
        coef = math.factorial(n)
        for ki in k:
            coef //= math.factorial(ki)
        return mpmath.log(coef) + mpmath.fsum(ki * l for ki, l in zip(k, lp) if ki)
    return logmass


def _multinomial_points(P, Q):
    n, K = P["n"], len(P["p"])
    if math.comb(n + K - 1, K - 1) > _MAX_COMPOSITIONS:
        raise ValueError("multinomial: n = %d, K = %d has more than %d outcomes to enumerate"
                         % (n, K, _MAX_COMPOSITIONS))
    lp = _multinomial_logmass(P)
    lq = _multinomial_logmass(Q) if Q is not None else None
    out = []
    for k in _compositions(n, K):
        a = lp(k)
        out.append((mpmath.exp(a), a, lq(k) if lq else None))
    return out


def _multinomial_logdensity(P, k):
    k = tuple(k)
    if len(k) != len(P["p"]):
        raise ValueError("multinomial: outcome must have K = %d counts" % len(P["p"]))
    if any(isinstance(v, bool) or not isinstance(v, int) for v in k):
        raise TypeError("multinomial: counts must be ints, got %r" % (k,))
    if any(v < 0 for v in k) or sum(k) != P["n"]:
        return mpf(-_INF)
    return _multinomial_logmass(P)(k)


# ---------------------------------------------------------------------------
# the family table
# ---------------------------------------------------------------------------

class _Family:
    """Declaration of one multivariate family for this module.

    Attributes
    ----------
    convert : callable
        ``convert(raw) -> P``: exact validation and conversion.
    check_pair : callable
        ``check_pair(P, Q)`` raises :class:`ValueError` on a dimension
        mismatch (``Q`` may be None).
    disjoint : callable
        ``disjoint(P, Q) -> bool``: the supports are disjoint (KL = +inf).
    points : callable
        ``points(P, Q) -> [(weight, log p, log q or None)]``, at the current
        precision, representing the law ``p``.
    mass : callable
        ``mass(P) -> mpf``: integral (sum) of the density over the support.
    log_density : callable
        ``log_density(P, x) -> mpf``.
    """

    def __init__(self, name, convert, check_pair, points, mass, log_density,
                 disjoint=lambda P, Q: False):
        self.name = name
        self.convert = convert
        self.check_pair = check_pair
        self.points = points
        self.mass = mass
        self.log_density = log_density
        self.disjoint = disjoint


FAMILIES = {f.name: f for f in [
    _Family("mvnormal", _convert_mvnormal, _same_length("mvnormal", "mu", "d"),
            _mvnormal_points,
            _mvnormal_mass, _mvnormal_logdensity),
    _Family("dirichlet", _convert_dirichlet, _same_length("dirichlet", "alpha", "K"),
            _dirichlet_points,
            _dirichlet_mass, _dirichlet_logdensity),
    _Family("categorical", _convert_categorical, _same_length("categorical", "p", "K"),
            _categorical_points,
            lambda P: mpmath.fsum(w for w, _, _ in _categorical_points(P, None)),
            _categorical_logdensity),
    _Family("multinomial", _convert_multinomial, _same_length("multinomial", "p", "K"),
            _multinomial_points,
            lambda P: mpmath.fsum(w for w, _, _ in _multinomial_points(P, None)),
            _multinomial_logdensity,
            disjoint=lambda P, Q: P["n"] != Q["n"]),
]}


def _family(name):
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise ValueError("unknown multivariate family %r; known: %s"
                         % (name, sorted(FAMILIES)))


# ---------------------------------------------------------------------------
# precision driver
# ---------------------------------------------------------------------------

def _run(compute, dps):
    """Evaluate ``compute()`` with enough working precision for ``dps`` digits.

    ``compute`` runs inside ``workdps(wp)`` and returns an exact special
    value (``0``, ``+inf``) as an ``mpf`` or a tuple ``(value, scale)``,
    ``scale = E_p[|log p| + |log q|]`` bounding the size of the terms that
    cancel.  The first pass uses ``wp = dps + 20``; if ``scale / |value|``
    shows that too many digits cancel, it is repeated once with that many
    more digits.
    """
    wp = dps + _GUARD
    for attempt in range(2):
        with mpmath.workdps(wp):
            res = compute()
            if not isinstance(res, tuple):
                return res
            val, scale = res
            scale = max(scale, mpf(1))
            if val == 0:
                lost = wp  # cannot tell: redo with twice the digits
            else:
                lost = max(0, int(mpmath.ceil(mpmath.log10(scale / abs(val)))))
            need = dps + _MARGIN + lost
            if need <= wp or attempt == 1:
                return val
            wp = need + 5
    raise AssertionError("unreachable")


def _expect(name, params_p, params_q, kind, dps):
    """Shared body of the public functions: ``kind`` in kl, ce, entropy."""
    fam = _family(name)
    P = fam.convert(params_p)
    Q = fam.convert(params_q) if params_q is not None else None
    fam.check_pair(P, Q)
    if Q is not None and fam.disjoint(P, Q):
        return mpf(_INF)
    if kind == "kl" and P == Q:
        return mpf(0)  # the integrand vanishes identically

    def compute():
        # the scale only decides how many digits cancel: floats suffice
        total, scale = [], 0.0
        for w, lp, lq in fam.points(P, Q):
            if kind == "kl":
                total.append(w * (lp - lq))
                scale += float(w) * (abs(float(lp)) + abs(float(lq)))
            elif kind == "ce":
                total.append(-w * lq)
                scale += float(w) * abs(float(lq))
            else:
                total.append(-w * lp)
                scale += float(w) * abs(float(lp))
        return mpmath.fsum(total), mpf(scale)

    with mpmath.workdps(dps):
        return +_run(compute, dps)


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------

def log_density_mv(name, x, params):
    """Log-density (log-mass) of a multivariate family at ``x``.

    Parameters
    ----------
    name : str
        ``"mvnormal"``, ``"dirichlet"``, ``"categorical"`` or ``"multinomial"``.
    x : sequence or int
        mvnormal: a point of ``R^d``; dirichlet: ``K - 1`` coordinates
        (``x_K = 1 - sum``) or all ``K``; categorical: an ``int`` in
        ``0..K-1``; multinomial: ``K`` counts.
    params : dict
        Contract parameters.

    Returns
    -------
    mpf
        ``log p(x)`` at the current mpmath precision (``-inf`` outside the
        support).

    Examples
    --------
    >>> import mpmath
    >>> mpmath.nstr(log_density_mv("categorical", 1, {"p": ["0.25", "0.75"]}), 10)
    '-0.2876820725'
    """
    fam = _family(name)
    P = fam.convert(params)
    with mpmath.workdps(mpmath.mp.dps + _GUARD):
        val = fam.log_density(P, x)
    return +val


def ref_mass_mv(name, params, dps=50):
    """Total mass of the density, computed with the same nodes as the expectations.

    A self-check: it must be 1.  For ``mvnormal`` the density is evaluated at
    the Gauss-Hermite nodes and divided by the standard normal weight of the
    whitened node (a consistency check of the normalising constant and the
    quadratic form with the Cholesky factor); for ``dirichlet`` the grid sum
    of the density is returned, a genuine quadrature of ``B(alpha)`` and the
    Jacobian (the expectations raise if it is not 1 to their tolerance); for
    the discrete families the plain sum of the masses.

    Parameters
    ----------
    name : str
        Family name.
    params : dict
        Parameters.
    dps : int, optional
        Decimal digits.

    Returns
    -------
    mpf
    """
    fam = _family(name)
    P = fam.convert(params)
    with mpmath.workdps(dps + _GUARD):
        val = fam.mass(P)
    with mpmath.workdps(dps):
        return +val


def ref_entropy_mv(name, params, dps=50):
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

    Examples
    --------
    >>> import mpmath
    >>> mpmath.nstr(ref_entropy_mv("categorical", {"p": ["0.5", "0.5"]}), 15)
    '0.693147180559945'
    """
    return _expect(name, params, None, "entropy", dps)


def ref_cross_entropy_mv(name, params_p, params_q, dps=50):
    """Cross-entropy ``H(p, q) = -E_p[log q]``.

    Parameters
    ----------
    name : str
        Family name (p and q are of the same family).
    params_p, params_q : dict
        Parameters of p and q.
    dps : int, optional
        Decimal digits wanted.

    Returns
    -------
    mpf
        The cross-entropy in nats; ``+inf`` for multinomials with different
        ``n``.

    Raises
    ------
    ValueError
        Unknown family, bad parameters or different dimensions.
    RuntimeError
        dirichlet: the quadrature cannot reach the accuracy within its node
        budget (large ``K`` or ``dps``).
    """
    return _expect(name, params_p, params_q, "ce", dps)


def ref_kl_mv(name, params_p, params_q, dps=50):
    """Kullback-Leibler divergence ``KL(p||q) = E_p[log p - log q]``.

    Computed as one expectation of ``log p - log q``, both evaluated at extra
    precision at every node, so that nearly equal p and q still give full
    relative accuracy.

    Parameters
    ----------
    name : str
        Family name (p and q are of the same family).
    params_p, params_q : dict
        Parameters of p and q.
    dps : int, optional
        Decimal digits wanted.

    Returns
    -------
    mpf
        The divergence in nats; ``+inf`` for multinomials with different
        ``n`` (disjoint supports).

    Raises
    ------
    ValueError
        Unknown family, bad parameters or different dimensions.
    RuntimeError
        dirichlet: the quadrature cannot reach the accuracy within its node
        budget (large ``K`` or ``dps``).

    Examples
    --------
    >>> import mpmath
    >>> mpmath.nstr(ref_kl_mv("categorical", {"p": ["0.5", "0.5"]},
    ...                       {"p": ["0.25", "0.75"]}), 12)
    '0.143841036226'
    """
    return _expect(name, params_p, params_q, "kl", dps)
