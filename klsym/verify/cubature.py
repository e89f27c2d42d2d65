"""E_p[1], E_p[log p], E_p[log q] and E_p[log p - log q] for multivariate
continuous densities on R^d or on a simplex (coordinates summing to a
constant), by a product trapezoid rule.

The simplex is mapped to R^(K-1) by stick-breaking in logit coordinates
(every coordinate and its complement formed without cancellation); the
mode of the mapped density is found by Newton's method and the coordinates
are whitened with the Cholesky factor of the inverse Hessian there; then
``v = a sinh(w / a)`` makes slow tails decay fast, and the trapezoid rule in
``w`` is refined (step halved) until two successive results agree.  The box
is cut where the integrand is below the working precision.  A Gauss-Hermite
product rule of two orders is tried first (exact, up to rounding, when p is
Gaussian after whitening, and quick); the trapezoid grid is the fallback.  The cost grows as (nodes per axis)^dimension: this is
meant for d <= 3.
"""

import itertools
import math
import time

import mpmath
import numpy
import sympy

from .densities import float_function, mp_function, renamed, screen_log, split_constant, to_mpf
from .errors import NotConverged

_STEPS = (0.5, 0.25, 0.125, 0.0625, 0.03125)
#: digits the grid is refined to (each value reports the digits it reached):
#: enough for the 30-digit comparison, and a 2-d grid stays affordable
TARGET_DIGITS = 36
_FINEST = 32
#: v = a sinh(w / a): the identity near the mode (the trapezoid rule is then
#: very accurate on near-Gaussian densities), exponential stretch in the tails;
#: a shorter box for the exponential tails of a simplex in logit coordinates
_STRETCH = {"space": 3, "simplex": 1}
_MAX_NODES = 400_000
_PLANS = {}


class _Plan:
    def __init__(self, fp, fq):
        pdf_p, support_p, self.P, _ = renamed(fp, "p")
        pdf_q, support_q, self.Q, _ = renamed(fq, "q")
        xs = fp.variables
        pdf_q = pdf_q.subs(dict(zip(fq.variables, xs)), simultaneous=True)
        self.support_p, self.support_q = support_p, support_q
        self.total = None
        if isinstance(support_p, sympy.ConditionSet):
            cond = support_p.condition
            if not isinstance(cond, sympy.Eq) or sympy.expand(cond.lhs - sympy.Add(*support_p.sym)) != 0:
                raise NotConverged(f"cannot integrate over the support {support_p}")
            self.total = cond.rhs  # the coordinates sum to this
            self.kind, self.m = "simplex", len(xs) - 1
        elif isinstance(support_p, sympy.ProductSet) and all(a == sympy.S.Reals for a in support_p.args):
            self.kind, self.m = "space", len(xs)
        else:
            raise NotConverged(f"cannot integrate over the support {support_p}")
        const_p, rest_p = split_constant(pdf_p, xs)
        const_q, rest_q = split_constant(pdf_q, xs)
        self.rest_p = mp_function((*xs, *self.P), rest_p)
        self.rest_q = mp_function((*xs, *self.Q), rest_q)
        self.log_const_p = mp_function(self.P, sympy.log(const_p))
        self.log_const_q = mp_function(self.Q, sympy.log(const_q))
        self.screen_p = float_function((*xs, *self.P), screen_log(rest_p))


def _plan(fp, fq):
    key = (fp.fingerprint, fq.fingerprint)
    if key not in _PLANS:
        _PLANS[key] = _Plan(fp, fq)
    return _PLANS[key]


def expectations(fp, p_exact, fq, q_exact, wp, deadline=None):
    """As :func:`klsym.verify.quadrature.expectations`, for d <= 3 coordinates."""
    plan = _plan(fp, fq)
    same = (plan.support_p.xreplace(p_exact) ==
            plan.support_q.xreplace(q_exact).xreplace(dict(zip(fq.variables, fp.variables))))
    escape = None if same else "the supports of p and q differ"
    with mpmath.workdps(wp):
        P = [to_mpf(p_exact[s]) for s in plan.P]
        Q = [to_mpf(q_exact[s]) for s in plan.Q]
        total = to_mpf(plan.total.xreplace(p_exact)) if plan.total is not None else None
        grid = _Grid(plan, P, Q, total, wp, escape is not None, deadline)
        values = grid.integrate()
    return values, escape, grid.q_zero


class _Grid:
    def __init__(self, plan, P, Q, total, wp, p_only, deadline):
        self.plan, self.P, self.Q, self.total, self.wp = plan, P, Q, total, wp
        self.p_only, self.deadline = p_only, deadline
        self.Pf = [float(v) for v in P]
        self.log_cp = plan.log_const_p(*P)
        self.log_cq = plan.log_const_q(*Q)
        self.log_cp_f = float(self.log_cp)
        self.q_zero = None
        self.cache = {}

    def _coordinates(self, y, exact):
        """``(x, log J)`` of the map from R^m (mpmath if exact, else floats)."""
        if self.plan.kind == "space":
            return list(y), 0
        lib = mpmath if exact else math
        total = self.total if exact else float(self.total)
        s = [1 / (1 + lib.exp(-v)) if v > -700 or exact else lib.exp(v) for v in y]
        sc = [1 / (1 + lib.exp(v)) if v < 700 or exact else lib.exp(-v) for v in y]
        x, rest = [], total
        for si, sci in zip(s, sc):
            x.append(rest * si)
            rest = rest * sci
        x.append(rest)
        m = len(y)
        log_j = m * lib.log(total) + sum((m - i) * lib.log(sci) for i, sci in enumerate(sc, 1)) \
            + sum(lib.log(si) + lib.log(sci) for si, sci in zip(s, sc))
        return x, log_j

    def _log_py(self, y):
        try:
            x, log_j = self._coordinates(y, exact=False)
            value = self.plan.screen_p(*x, *self.Pf) + self.log_cp_f + log_j
        except (OverflowError, ValueError, ZeroDivisionError):
            return -math.inf
        return value if not math.isnan(value) else -math.inf

    def _mode(self):
        m = self.plan.m
        y = numpy.zeros(m)
        steps = None
        for iteration in range(60):
            if iteration % 10 == 0:
                steps = _steps(self._log_py, y)  # the curvature changes slowly
            g, hess = _derivatives(self._log_py, y, steps)
            if not numpy.all(numpy.isfinite(hess)):
                break
            try:
                step = -numpy.linalg.solve(hess, g)
            except numpy.linalg.LinAlgError:
                break
            if not numpy.all(numpy.isfinite(step)) or numpy.any(numpy.linalg.eigvalsh(hess) >= 0):
                step = g * 0.5 / max(1.0, numpy.linalg.norm(g))  # ascend until concave
            current = self._log_py(y)
            scale = 1.0
            while scale > 1e-12 and not self._log_py(y + scale * step) >= current:
                scale /= 2
            y = y + scale * step
            if numpy.linalg.norm(scale * step) <= 1e-13 * max(1.0, numpy.linalg.norm(y)):
                break
        g, hess = _derivatives(self._log_py, y, _steps(self._log_py, y))
        try:
            factor = numpy.linalg.cholesky(numpy.linalg.inv(-hess))
        except numpy.linalg.LinAlgError:
            factor = None
        if factor is None or not numpy.all(numpy.isfinite(factor)) or not numpy.all(numpy.isfinite(y)):
            raise NotConverged("no single mode of p was found (the Hessian of the log-density "
                               "is not negative definite)")
        return y, factor

    def _y(self, w, exact):
        lib = mpmath if exact else math
        a = _STRETCH[self.plan.kind]
        v = [a * lib.sinh(wi / a) for wi in w]
        jac = sum(lib.log(lib.cosh(wi / a)) for wi in w)
        if exact:
            y = [self.mode_mp[i] + mpmath.fsum(self.factor_mp[i][j] * v[j] for j in range(len(v)))
                 for i in range(len(v))]
        else:
            y = list(self.mode + self.factor @ numpy.array(v))
        return y, jac

    def _log_f(self, w):
        y, jac = self._y(w, exact=False)
        return self._log_py(y) + jac

    def _node(self, key, cut):
        if key in self.cache:
            return self.cache[key]
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise NotConverged("the reference did not finish within its time budget")
        w = [mpmath.mpf(k) / _FINEST for k in key]
        zero = (mpmath.mpf(0),) * 4
        if self._log_f([float(v) for v in w]) < cut - 50:
            self.cache[key] = zero
            return zero
        y, jac = self._y(w, exact=True)
        x, log_j = self._coordinates(y, exact=True)
        rest = self.plan.rest_p(*x, *self.P)
        if rest == 0:
            self.cache[key] = zero
            return zero
        lp = mpmath.log(rest) + self.log_cp
        weight = mpmath.exp(lp + log_j + jac + self.log_det)
        value = (weight, weight * lp, mpmath.mpf(0), mpmath.mpf(0))
        if not self.p_only:
            rest_q = self.plan.rest_q(*x, *self.Q)
            if rest_q == 0 or isinstance(rest_q, mpmath.mpc) or rest_q < 0:
                self.q_zero = "q's density is zero (or not positive) where p's is not"
            else:
                lq = mpmath.log(rest_q) + self.log_cq
                value = (weight, weight * lp, weight * lq, weight * (lp - lq))
        self.cache[key] = value
        return value

    def integrate(self):
        self.mode, self.factor = self._mode()
        self.mode_mp = [mpmath.mpf(v) for v in self.mode]
        self.factor_mp = [[mpmath.mpf(v) for v in row] for row in self.factor]
        # the factor is triangular (Cholesky): its determinant is its diagonal's product
        self.log_det = mpmath.fsum(mpmath.log(abs(self.factor_mp[i][i])) for i in range(self.plan.m))
        found = self._hermite()
        if found is not None:
            return found
        return self._trapezoid()

    def _value(self, v, log_weight):
        """The four integrands at whitened coordinates ``v`` (mpmath), times
        ``exp(log_weight)``."""
        zero = (mpmath.mpf(0),) * 4
        y = [self.mode_mp[i] + mpmath.fsum(self.factor_mp[i][j] * v[j] for j in range(len(v)))
             for i in range(len(v))]
        x, log_j = self._coordinates(y, exact=True)
        rest = self.plan.rest_p(*x, *self.P)
        if rest == 0:
            return zero
        lp = mpmath.log(rest) + self.log_cp
        weight = mpmath.exp(lp + log_j + self.log_det + log_weight)
        if self.p_only:
            return (weight, weight * lp, mpmath.mpf(0), mpmath.mpf(0))
        rest_q = self.plan.rest_q(*x, *self.Q)
        if rest_q == 0 or isinstance(rest_q, mpmath.mpc) or rest_q < 0:
            self.q_zero = "q's density is zero (or not positive) where p's is not"
            return (weight, weight * lp, mpmath.mpf(0), mpmath.mpf(0))
        lq = mpmath.log(rest_q) + self.log_cq
        return (weight, weight * lp, weight * lq, weight * (lp - lq))

    def _hermite(self, orders=(14, 20)):
        """Gauss-Hermite product rules of two orders; None unless they agree."""
        m = self.plan.m
        results = []
        for n in orders:
            nodes = hermite_rule(n)
            sums = [mpmath.mpf(0)] * 4
            for combo in itertools.product(nodes, repeat=m):
                if self.deadline is not None and time.monotonic() > self.deadline:
                    raise NotConverged("the reference did not finish within its time budget")
                v = [node for node, _ in combo]
                log_weight = mpmath.fsum(lw for _, lw in combo)
                for i, term in enumerate(self._value(v, log_weight)):
                    sums[i] += term
            results.append(sums)
        coarse, fine = results
        scale = max(abs(fine[0]), abs(fine[1]), abs(fine[2]), 1)
        floor = scale * mpmath.mpf(10) ** -(self.wp - 20)
        errors = [abs(a - b) for a, b in zip(coarse, fine)]
        if not all(e <= mpmath.mpf(10) ** -TARGET_DIGITS * max(abs(v), floor)
                   for e, v in zip(errors, fine)):
            return None
        return self._named(fine, errors)

    def _named(self, values, errors):
        names = ("mass", "neg_entropy", "neg_cross", "kl")
        out = {name: (+v, +e) for name, v, e in zip(names, values, errors)}
        if self.p_only:
            out["neg_cross"], out["kl"] = (mpmath.ninf, mpmath.mpf(0)), (mpmath.inf, mpmath.mpf(0))
        return out

    def _trapezoid(self):
        m = self.plan.m
        top = self._log_f([0.0] * m)
        drop = (TARGET_DIGITS + 12) * math.log(10)
        box = []
        for axis in range(m):
            ends = []
            for sign in (-1, 1):
                w = 0.0
                while True:
                    w += 0.5
                    if w > 60:
                        raise NotConverged("the density of p does not decay as far as the grid reaches")
                    probe = [0.0] * m
                    probe[axis] = sign * w
                    if self._log_f(probe) < top - drop:
                        break
                ends.append(sign * w)
            box.append(ends)
        cut = top - drop
        previous = None
        for h in _STEPS:
            stride = int(_FINEST * h)
            axes = [range(int(math.ceil(lo / h)) * stride, int(math.floor(hi / h)) * stride + 1, stride)
                    for lo, hi in box]
            if math.prod(len(a) for a in axes) > _MAX_NODES:
                raise NotConverged("the grid would need more than %d nodes" % _MAX_NODES)
            sums = [mpmath.mpf(0)] * 4
            for key in itertools.product(*axes):
                for i, v in enumerate(self._node(key, cut)):
                    sums[i] += v
            current = [v * mpmath.mpf(h) ** m for v in sums]
            if previous is not None:
                # the trapezoid rule converges exponentially here (digits
                # double as h halves), so the finer result is estimated to be
                # off by about diff^2 / size: mpmath's tanh-sinh estimate
                scale = max(abs(current[0]), abs(current[1]), abs(current[2]), 1)
                floor = scale * mpmath.mpf(10) ** -(self.wp - 20)
                sizes = [max(abs(v), floor) for v in current]
                errors = [abs(a - b) ** 2 / size for a, b, size in zip(current, previous, sizes)]
                if all(e <= mpmath.mpf(10) ** -TARGET_DIGITS * size
                       for e, size in zip(errors, sizes)):
                    break
            previous = current
        else:
            raise NotConverged("the grid did not converge at the finest step")
        return self._named(current, errors)


_HERMITE = {}


def hermite_rule(n):
    """``[(node, log weight)]`` of the n-point Gauss-Hermite rule for
    ``int f(v) dv`` with the Gaussian weight divided out (``v = sqrt(2) x``),
    at the current precision: float roots polished by Newton's method on the
    Hermite recurrence, weights from the Christoffel formula."""
    key = (n, mpmath.mp.prec)
    if key not in _HERMITE:
        roots, _ = numpy.polynomial.hermite.hermgauss(n)
        rule = []
        for root in roots:
            x = mpmath.mpf(float(root))
            for _ in range(100):
                h_n, h_prev = _hermite(n, x)
                step = h_n / (2 * n * h_prev)
                x -= step
                if abs(step) <= mpmath.eps * 4 * max(1, abs(x)):
                    break
            h_prev = _hermite(n, x)[1]
            log_w = ((n - 1) * mpmath.log(2) + mpmath.loggamma(n + 1) + mpmath.log(mpmath.pi) / 2
                     - 2 * mpmath.log(n) - 2 * mpmath.log(abs(h_prev)))
            rule.append((mpmath.sqrt(2) * x, log_w + x * x + mpmath.log(2) / 2))
        _HERMITE[key] = rule
    return _HERMITE[key]


def _hermite(n, x):
    """``(H_n(x), H_{n-1}(x))``, physicists' Hermite polynomials."""
    previous, current = mpmath.mpf(1), 2 * x
    for k in range(1, n):
        previous, current = current, 2 * x * current - 2 * k * previous
    return current, previous


def _steps(f, y):
    """Finite-difference steps: a quarter of the distance in which ``f`` drops
    by 1/2 along each axis (the curvature can be 1e-16 or 1e16)."""
    return numpy.array([_half_drop(f, y, i) / 4 for i in range(len(y))])


def _derivatives(f, y, h):
    """Central-difference gradient and Hessian of ``f`` at ``y`` (floats)."""
    m = len(y)
    f0 = f(y)
    g, hess = numpy.zeros(m), numpy.zeros((m, m))
    for i in range(m):
        e = numpy.zeros(m)
        e[i] = h[i]
        fp, fm = f(y + e), f(y - e)
        g[i] = (fp - fm) / (2 * h[i])
        hess[i, i] = (fp - 2 * f0 + fm) / h[i] ** 2
        for j in range(i):
            d = numpy.zeros(m)
            d[j] = h[j]
            hess[i, j] = hess[j, i] = (f(y + e + d) - f(y + e - d) - f(y - e + d) + f(y - e - d)) \
                / (4 * h[i] * h[j])
    return g, hess


def _half_drop(f, y, axis):
    """Smallest distance along ``axis`` (either way) where f falls by 1/2."""
    top = f(y)
    found = []
    for sign in (-1, 1):
        d = 1e-12 * max(1.0, abs(y[axis]))
        step = numpy.zeros(len(y))
        while d < 1e200:
            step[axis] = sign * d
            if f(y + step) < top - 0.5:
                break
            d *= 4
        found.append(d)
    d = min(found)
    return d if d < 1e200 else 1e-4 * max(1.0, abs(y[axis]))
