"""E_p[1], E_p[log p], E_p[log q] and E_p[log p - log q] for univariate
continuous densities, by tanh-sinh quadrature of the declared densities.

The support of p is mapped onto the real line (``x = lo + e^y`` on a half
line, ``x = lo + (hi - lo)/(1 + e^-y)`` on an interval, the distance to each
end kept exact), the mode of the mapped density is found numerically and its
width from where the log-density drops by 1/2, and ``y = c + s sinh(w)``
makes algebraic and exponential tails decay double-exponentially in ``w``.
The range of ``w`` is cut where the integrand is below the working
precision; it is split at the mode and at the kinks of both densities
(``|x - mu|``), and each piece is integrated by ``mpmath.quad`` with its
error estimate, all four integrands on the same nodes (each node evaluates
the densities once).
"""

import math
import time

import mpmath
import sympy
from sympy import S

from .densities import (float_function, interval_ends, kinks, mp_function, renamed,
                        screen_log, split_constant, to_mpf)
from .errors import NotConverged

#: largest |w| searched for the ends of the mass
_W_MAX = 400
#: largest |y| at which a tail is followed in mpmath, per kind of map
_FOLLOW = {"line": 1e250, "lower": 1e6, "upper": 1e6, "finite": 1e6}
_PLANS = {}


class _Plan:
    """The compiled densities of p and q for one pair of families."""

    def __init__(self, fp, fq):
        pdf_p, support_p, self.P, _ = renamed(fp, "p")
        pdf_q, support_q, self.Q, _ = renamed(fq, "q")
        x = fp.variable
        pdf_q = pdf_q.subs(fq.variable, x)
        self.support_p, self.support_q = support_p, support_q
        self.lo, self.hi = interval_ends(sympy.Interval(support_p.inf, support_p.sup)
                                         if isinstance(support_p, sympy.Union) else support_p)
        infinite_lo, infinite_hi = self.lo is S.NegativeInfinity, self.hi is S.Infinity
        self.kind = {(True, True): "line", (False, True): "lower", (True, False): "upper",
                     (False, False): "finite"}[(infinite_lo, infinite_hi)]
        t = sympy.Dummy("t", real=True) if self.kind == "line" else sympy.Dummy("t", positive=True)
        tc = sympy.Dummy("tc", positive=True)
        x_of = {"line": t, "lower": self.lo + t, "upper": self.hi - tc, "finite": self.lo + t}[self.kind]
        args_p, args_q = (t, tc, *self.P), (t, tc, *self.P, *self.Q)
        const_p, rest_p = split_constant(pdf_p, [x])
        const_q, rest_q = split_constant(pdf_q, [x])
        rest_p, rest_q = (self._mapped(r, x, x_of, t, tc) for r in (rest_p, rest_q))
        self.rest_p, self.rest_q = mp_function(args_p, rest_p), mp_function(args_q, rest_q)
        self.log_const_p = mp_function(self.P, sympy.log(const_p))
        self.log_const_q = mp_function(self.Q, sympy.log(const_q))
        # floats for the x-dependent part only: a constant such as Gamma(k/2)
        # overflows floats at extreme parameters (its log is added in mpmath)
        self.screen_p = float_function(args_p, screen_log(rest_p))
        self.screen_q = float_function(args_q, screen_log(rest_q))
        self.kinks = [mp_function((*self.P, *self.Q), k)
                      for k in kinks(pdf_p, x) + kinks(pdf_q, x)]

    def _mapped(self, expr, x, x_of, t, tc):
        expr = expr.subs(x, x_of)
        if self.kind != "finite":
            return expr
        width = self.hi - self.lo

        def complement(e):
            # a factor vanishing at the upper end, a + b t with a + b width = 0,
            # is -b (width - t) = -b tc: exact next to the end
            a, bt = e.as_independent(t, as_Add=True)
            b = sympy.simplify(bt / t)
            if b.has(t) or sympy.expand(a + b * width) != 0:
                return e
            return -b * tc
        return expr.replace(lambda e: e.is_Add and e.has(t), complement)


def _plan(fp, fq):
    key = (fp.fingerprint, fq.fingerprint)
    if key not in _PLANS:
        _PLANS[key] = _Plan(fp, fq)
    return _PLANS[key]


def expectations(fp, p_exact, fq, q_exact, wp, deadline=None):
    """``{"mass", "neg_entropy", "neg_cross", "kl"}`` -> ``(value, error)`` at
    ``wp`` digits; ``escape`` (a reason or None) when p's support is not
    inside q's, then only the p-only integrals are computed.

    ``p_exact`` / ``q_exact`` map the suffixed parameter symbols to exact values.
    """
    plan = _plan(fp, fq)
    lo, hi = (e.xreplace(p_exact) for e in (plan.lo, plan.hi))
    lo_q, hi_q = (e.xreplace(q_exact) for e in interval_ends(plan.support_q))
    escape = None
    if bool(lo < lo_q) or bool(hi > hi_q):
        escape = f"p has mass on ({lo}, {hi}) outside q's support ({lo_q}, {hi_q})"
    with mpmath.workdps(wp):
        P = [to_mpf(p_exact[s]) for s in plan.P]
        Q = [to_mpf(q_exact[s]) for s in plan.Q]
        engine = _Engine(plan, P, Q, to_mpf(lo), to_mpf(hi), wp, escape is not None, deadline)
        values = engine.integrate()
        values = {k: (+v, +e) for k, v, e in values}
    return values, escape, engine.q_zero


class _Engine:
    def __init__(self, plan, P, Q, lo, hi, wp, p_only, deadline):
        self.plan, self.P, self.Q, self.lo, self.hi = plan, P, Q, lo, hi
        self.wp, self.p_only, self.deadline = wp, p_only, deadline
        self.PQ = [*P, *Q]
        self.log_cp = plan.log_const_p(*P)
        self.log_cq = None if p_only else plan.log_const_q(*Q)
        self.width = hi - lo if plan.kind == "finite" else None
        self.cache = {}
        self.q_zero = None
        self.Pf = [_float(v) for v in P]
        self.PQf = [_float(v) for v in self.PQ]
        self.log_cp_f = _float(self.log_cp)
        self.log_cq_f = 0.0 if p_only else _float(self.log_cq)

    # -- the map y -> x --------------------------------------------------------
    def _map(self, y):
        """``(t, tc, log dx/dy)`` at the current precision."""
        kind = self.plan.kind
        if kind == "line":
            return y, mpmath.mpf(0), mpmath.mpf(0)
        if kind in ("lower", "upper"):
            e = mpmath.exp(y)
            return (e, mpmath.mpf(0), y) if kind == "lower" else (mpmath.mpf(0), e, y)
        t = self.width / (1 + mpmath.exp(-y))
        tc = self.width / (1 + mpmath.exp(y))
        return t, tc, mpmath.log(t) + mpmath.log(tc) - mpmath.log(self.width)

    def _y_of_x(self, x):
        kind = self.plan.kind
        if kind == "line":
            return x
        if kind == "lower":
            return mpmath.log(x - self.lo)
        if kind == "upper":
            return mpmath.log(self.hi - x)
        return mpmath.log((x - self.lo) / (self.hi - x))

    def _log_py(self, y, follow=False):
        """log of the mapped density at y, cheaply: floats, else mpmath at 20
        digits.  Where floats overflow, the density counts as negligible while
        locating the mode; when following a tail (``follow``) it is computed
        unless y is beyond :data:`_FOLLOW` (then None: the tail cannot be
        followed), since exp(-exp(y)) at a huge y would not finish."""
        try:
            with mpmath.workdps(20):
                t, tc, logj = self._map(mpmath.mpf(y))
                tf, tcf = float(t), float(tc)
                if math.isfinite(tf) and math.isfinite(tcf) and (tf != 0 or self.plan.kind == "line") \
                        and (tcf != 0 or self.plan.kind in ("line", "lower")):
                    value = self.plan.screen_p(tf, tcf, *self.Pf)
                    if not math.isnan(value):
                        return value + self.log_cp_f + float(logj)
                    if not follow:
                        return -math.inf
                if follow and abs(y) > _FOLLOW[self.plan.kind]:
                    return None
                rest = self.plan.rest_p(t, tc, *self.P)
                if rest == 0:
                    return -math.inf
                return float(mpmath.log(rest) + self.log_cp + logj)
        except (OverflowError, ValueError, ZeroDivisionError, TypeError):
            return -math.inf

    # -- where the mass is -----------------------------------------------------
    def _locate(self):
        top = 200 if self.plan.kind == "line" else 10
        grid = sorted({0.0} | {s * 2.0 ** k for k in range(-6, top) for s in (-1, 1)})
        if self.plan.kind == "line":
            for f in self.plan.kinks:
                grid.append(float(f(*self.PQ)))
            grid.sort()
        values = [self._log_py(y) for y in grid]
        best = max(range(len(grid)), key=lambda i: values[i])
        if not math.isfinite(values[best]):
            raise NotConverged("the density of p is zero or not finite at every probe point")
        a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        c = _golden(self._log_py, a, b)
        if self._log_py(c) < values[best]:
            c = grid[best]
        top_value = self._log_py(c)
        widths = []
        for sign in (-1, 1):
            d = 1e-14 * max(1.0, abs(c))
            while d < 1e300 and self._log_py(c + sign * d) > top_value - 0.5:
                d *= 4
            if d < 1e300:
                low, high = d / 4, d
                for _ in range(12):
                    mid = math.sqrt(low * high)
                    low, high = (mid, high) if self._log_py(c + sign * mid) > top_value - 0.5 else (low, mid)
                widths.append(high)
        s = min(widths) if widths else 1.0
        return c, s, top_value

    def _log_integrand_w(self, w, c, s):
        """log |p(x) (1 + |log p| + |log q|) dx/dw|: the ends of the range are
        where this is negligible, so a log q that grows faster than p decays
        (a divergent H(p, q)) keeps the range open and is reported."""
        y = c + s * math.sinh(w)
        log_p = self._log_py(y, follow=True)
        if log_p is None:
            return None
        size = abs(log_p) if math.isfinite(log_p) else 0.0
        if not self.p_only and math.isfinite(log_p):
            size += abs(self._log_qy(y))
        return log_p + math.log(s * math.cosh(w)) + math.log1p(size)

    def _log_qy(self, y):
        """log q at y, cheaply: floats, else mpmath at 20 digits while y is
        moderate (further out, a double exponential such as a Gumbel's would
        not finish in mpmath): there it counts as unbounded."""
        with mpmath.workdps(20):
            t, tc, _ = self._map(mpmath.mpf(y))
            try:
                value = self.plan.screen_q(float(t), float(tc), *self.PQf) + self.log_cq_f
            except OverflowError:
                value = math.nan
            if math.isfinite(value):
                return value
            if abs(y) > _FOLLOW[self.plan.kind]:
                return -math.inf
            try:
                rest = self.plan.rest_q(t, tc, *self.PQ)
                return float(mpmath.log(rest) + self.log_cq) if rest > 0 else -math.inf
            except (OverflowError, ValueError, ZeroDivisionError, TypeError):
                return -math.inf

    def _ends(self, c, s, top):
        drop = self.wp * math.log(10) + 30
        ends = []
        for sign in (-1, 1):
            w = 0.0
            while True:
                w += max(0.5, w / 8)
                value = self._log_integrand_w(sign * w, c, s)
                if value is None:
                    raise NotConverged("the tail of the integrand reaches beyond what can be "
                                       "evaluated (mass spread extremely far, or E_p[log q] diverges)")
                if value < top - drop:
                    break
                if w > _W_MAX:
                    raise NotConverged("the integrand does not decay in the tails (E_p[log q] "
                                       "diverges, or p has no finite entropy)")
            ends.append(sign * w)
        return ends

    # -- the integrands --------------------------------------------------------
    def _node(self, w, c, s, cut):
        if w in self.cache:
            return self.cache[w]
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise NotConverged("the reference did not finish within its time budget")
        zero = (mpmath.mpf(0),) * 4
        y = c + s * mpmath.sinh(w)
        t, tc, logj = self._map(y)
        logj += mpmath.log(s * mpmath.cosh(w))
        quick = self._quick(t, tc)
        if quick is not None and quick + float(logj) < cut - 50:
            self.cache[w] = zero
            return zero
        rest = self.plan.rest_p(t, tc, *self.P)
        if rest == 0:
            self.cache[w] = zero
            return zero
        if isinstance(rest, mpmath.mpc) or rest < 0:
            raise NotConverged(f"the density of p is negative or complex at a node ({mpmath.nstr(rest, 5)})")
        lp = mpmath.log(rest) + self.log_cp
        weight = mpmath.exp(lp + logj)
        if self.p_only:
            value = (weight, weight * lp, mpmath.mpf(0), mpmath.mpf(0))
        else:
            rest_q = self.plan.rest_q(t, tc, *self.PQ)
            if rest_q == 0 or isinstance(rest_q, mpmath.mpc) or rest_q < 0:
                if lp + logj > cut:
                    self.q_zero = "q's density is zero (or not positive) where p's is not"
                value = (weight, weight * lp, mpmath.mpf(0), mpmath.mpf(0))
            else:
                lq = mpmath.log(rest_q) + self.log_cq
                value = (weight, weight * lp, weight * lq, weight * (lp - lq))
        self.cache[w] = value
        return value

    def _quick(self, t, tc):
        try:
            tf, tcf = float(t), float(tc)
        except (OverflowError, ValueError):
            return None
        if not (math.isfinite(tf) and math.isfinite(tcf)) or (tf == 0 and self.plan.kind != "line") \
                or (tcf == 0 and self.plan.kind in ("upper", "finite")):
            return None
        value = self.plan.screen_p(tf, tcf, *self.Pf)
        return None if math.isnan(value) else value + self.log_cp_f

    def integrate(self):
        with mpmath.workdps(20):
            c, s, top = self._locate()
            w_lo, w_hi = self._ends(c, s, top)
        cut = top - (self.wp * math.log(10) + 30)
        # algebraic tails decay only exponentially in w: pieces of doubling length
        breaks = {0.0, w_lo, w_hi} | set(_doubling(w_lo, w_hi))
        for f in self.plan.kinks:
            x = f(*self.PQ)
            if isinstance(x, mpmath.mpc) or not self.lo < x < self.hi:
                continue
            w = float(mpmath.asinh((self._y_of_x(x) - c) / s))
            if w_lo < w < w_hi:
                breaks.add(w)
        c, s = mpmath.mpf(c), mpmath.mpf(s)
        names = ("mass", "neg_entropy", "neg_cross", "kl")
        if len(breaks - {0.0, w_lo, w_hi} - set(_doubling(w_lo, w_hi))) == 0 and w_hi - w_lo <= 48:
            # smooth and decaying double-exponentially: the trapezoid rule
            # converges exponentially and needs far fewer nodes
            found = self._trapezoid(c, s, cut, w_lo, w_hi)
            if found is not None:
                return [(name, value, error) for name, (value, error) in zip(names, found)]
        points = [mpmath.mpf(b) for b in sorted(breaks)]
        degree = mpmath.calculus.quadrature.TanhSinh(mpmath.mp).guess_degree(mpmath.mp.prec) + 2
        out = []
        for i, name in enumerate(names):
            if self.p_only and i >= 2:
                out.append((name, mpmath.inf, mpmath.mpf(0)))
                continue
            value, error = mpmath.quad(lambda w, i=i: self._node(w, c, s, cut)[i], points,
                                       error=True, maxdegree=degree)
            out.append((name, value, error))
        return out


    def _trapezoid(self, c, s, cut, w_lo, w_hi, finest=8):
        """Trapezoid sums with the step halved until two agree; the error of
        the finer is estimated as diff^2 / size (digits double per halving
        for an analytic integrand). None if it does not converge."""
        previous = None
        for level in range(2, finest + 1):
            h = mpmath.mpf(2) ** -level
            first, last = int(math.ceil(w_lo * 2 ** level)), int(math.floor(w_hi * 2 ** level))
            sums = [mpmath.mpf(0)] * 4
            for j in range(first, last + 1):
                for i, v in enumerate(self._node(j * h, c, s, cut)):
                    sums[i] += v
            current = [v * h for v in sums]
            if previous is not None:
                scale = max(abs(current[0]), abs(current[1]), abs(current[2]), 1)
                floor = scale * mpmath.mpf(10) ** -(self.wp - 20)
                sizes = [max(abs(v), floor) for v in current]
                errors = [abs(a - b) ** 2 / size for a, b, size in zip(current, previous, sizes)]
                if all(e <= mpmath.mpf(10) ** -(self.wp - 10) * size for e, size in zip(errors, sizes)):
                    if self.p_only:
                        errors[2:] = [mpmath.mpf(0)] * 2
                        current[2:] = [mpmath.inf, mpmath.inf]
                    return list(zip(current, errors))
            previous = current
        return None


def _float(value):
    try:
        return float(value)
    except (OverflowError, TypeError):
        return math.nan


def _doubling(w_lo, w_hi):
    """Break points of doubling length for long ranges (algebraic tails)."""
    return [sign * 2.0 ** k for k in range(3, 10) for sign in (-1, 1) if w_lo < sign * 2.0 ** k < w_hi]


def _golden(f, a, b, iterations=90):
    """Maximum of a unimodal ``f`` on [a, b] by golden-section search."""
    ratio = (math.sqrt(5) - 1) / 2
    x1, x2 = b - ratio * (b - a), a + ratio * (b - a)
    f1, f2 = f(x1), f(x2)
    for _ in range(iterations):
        if f1 < f2:
            a, x1, f1 = x1, x2, f2
            x2 = a + ratio * (b - a)
            f2 = f(x2)
        else:
            b, x2, f2 = x2, x1, f1
            x1 = b - ratio * (b - a)
            f1 = f(x1)
        if abs(b - a) <= 1e-15 * max(1.0, abs(a), abs(b)):
            break
    return (a + b) / 2
