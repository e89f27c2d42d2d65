"""E_p[1], E_p[log p], E_p[log q] and E_p[log p - log q] for discrete
mass functions, by direct summation of the declared mass functions.

A finite support (a range, a finite set, or counts summing to ``n``) is
enumerated.  An infinite one is summed outward from the mode, each direction
stopping once the terms decrease and a geometric bound on what is left is
below the working precision; a sum that would need more than ``MAX_TERMS``
terms is refused (not checked) rather than truncated.
"""

import itertools
import math
import time

import mpmath
import sympy
from sympy import S

from .densities import mp_function, renamed, split_constant, to_mpf
from .errors import NotConverged

#: most terms summed directly before giving up (about 1 s per 10,000 at 50 digits)
MAX_TERMS = 60_000
#: most points of a finite multivariate support that are enumerated
MAX_POINTS = 200_000
_PLANS = {}


class _Plan:
    def __init__(self, fp, fq):
        pdf_p, self.support_p, self.P, _ = renamed(fp, "p")
        pdf_q, self.support_q, self.Q, _ = renamed(fq, "q")
        self.variables = fp.variables
        pdf_q = pdf_q.subs(dict(zip(fq.variables, fp.variables)), simultaneous=True)
        const_p, rest_p = split_constant(pdf_p, self.variables)
        const_q, rest_q = split_constant(pdf_q, self.variables)
        self.rest_p = mp_function((*self.variables, *self.P), rest_p)
        self.rest_q = mp_function((*self.variables, *self.Q), rest_q)
        self.log_const_p = mp_function(self.P, sympy.log(const_p))
        self.log_const_q = mp_function(self.Q, sympy.log(const_q))


def _plan(fp, fq):
    key = (fp.fingerprint, fq.fingerprint)
    if key not in _PLANS:
        _PLANS[key] = _Plan(fp, fq)
    return _PLANS[key]


def support_points(support, variables):
    """``(lo, hi)`` integer ends for a one-variable support, or the list of
    points of a finite multivariate one (None if it cannot be enumerated)."""
    if isinstance(support, sympy.FiniteSet):
        return sorted(int(v) for v in support)
    if isinstance(support, sympy.Range):
        if support.step != 1:
            return None
        return (int(support.inf), support.sup if support.sup is S.Infinity else int(support.sup))
    if support in (S.Naturals0, S.Naturals):
        return (int(support.inf), S.Infinity)
    if isinstance(support, sympy.ConditionSet) and isinstance(support.condition, sympy.Eq):
        # counts summing to n: a composition of n into len(variables) parts
        base = support.base_set
        parts = base.args if isinstance(base, sympy.ProductSet) else (base,)
        total = support.condition.lhs - support.condition.rhs
        if all(p in (S.Naturals0,) or (isinstance(p, sympy.Range) and p.inf == 0) for p in parts) \
                and sympy.expand(total - sympy.Add(*variables)).free_symbols.isdisjoint(variables):
            n = -sympy.expand(total - sympy.Add(*variables))
            if n.is_Integer and n >= 0:
                return list(_compositions(int(n), len(variables)))
    return None


def _compositions(n, parts):
    if math.comb(n + parts - 1, parts - 1) > MAX_POINTS:
        raise NotConverged(f"the support has more than {MAX_POINTS} points; not enumerated")
    for cuts in itertools.combinations(range(n + parts - 1), parts - 1):
        edges = (-1, *cuts, n + parts - 1)
        yield tuple(edges[i + 1] - edges[i] - 1 for i in range(parts))


def _inside(support, point, variables):
    if isinstance(support, sympy.ConditionSet):
        condition = support.condition.xreplace(dict(zip(support.sym, point)))
        return bool(condition) and all(v >= 0 for v in point)
    if len(point) == 1:
        return sympy.Integer(point[0]) in support
    return sympy.Tuple(*point) in support


def expectations(fp, p_exact, fq, q_exact, wp, deadline=None):
    """As :func:`klsym.verify.quadrature.expectations`, for mass functions."""
    plan = _plan(fp, fq)
    support_p = plan.support_p.xreplace(p_exact) if not isinstance(plan.support_p, sympy.ConditionSet) \
        else _subs_condition(plan.support_p, p_exact)
    support_q = plan.support_q.xreplace(q_exact) if not isinstance(plan.support_q, sympy.ConditionSet) \
        else _subs_condition(plan.support_q, q_exact)
    points = support_points(support_p, plan.variables)
    if points is None:
        raise NotConverged(f"cannot enumerate or sum over the support {support_p}")
    with mpmath.workdps(wp):
        P = [to_mpf(p_exact[s]) for s in plan.P]
        Q = [to_mpf(q_exact[s]) for s in plan.Q]
        state = _Sums(plan, P, Q, wp, deadline, support_q)
        if isinstance(points, list):
            for point in points:
                state.add(point if isinstance(point, tuple) else (point,))
        else:
            state.outward(*points)
        escape = state.escape
        values = {name: (+v, mpmath.mpf(0)) for name, v in state.totals().items()}
    return values, escape, state.q_zero


def _subs_condition(support, values):
    return sympy.ConditionSet(support.sym, support.condition.xreplace(values), support.base_set)


class _Sums:
    def __init__(self, plan, P, Q, wp, deadline, support_q):
        self.plan, self.P, self.Q, self.deadline, self.support_q = plan, P, Q, deadline, support_q
        self.log_cp = plan.log_const_p(*P)
        self.log_cq = plan.log_const_q(*Q)
        self.sums = [mpmath.mpf(0)] * 4
        self.size = mpmath.mpf(0)
        self.escape = None
        self.q_zero = None
        self.count = 0
        self.eps = mpmath.mpf(10) ** (-(wp + 5))
        self.drop = (wp + 5) * math.log(10)
        self.q_ends = support_points(support_q, plan.variables)

    def _q_contains(self, point):
        if isinstance(self.q_ends, tuple) and len(point) == 1:
            lo, hi = self.q_ends
            return lo <= point[0] and (hi is S.Infinity or point[0] <= hi)
        if isinstance(self.q_ends, list) and len(point) == 1:
            return point[0] in self.q_ends
        return _inside(self.support_q, point, self.plan.variables)

    def add(self, point):
        """Add the terms at ``point``; return (p mass, term size)."""
        self.count += 1
        if self.count > MAX_TERMS:
            raise NotConverged(f"the sum needs more than {MAX_TERMS} terms (mass spread over "
                               f"many integers); not attempted")
        if self.deadline is not None and self.count % 256 == 0 and time.monotonic() > self.deadline:
            raise NotConverged("the reference did not finish within its time budget")
        args = [mpmath.mpf(v) for v in point]
        rest = self.plan.rest_p(*args, *self.P)
        if rest == 0:
            return mpmath.mpf(0), mpmath.mpf(0)
        if isinstance(rest, mpmath.mpc) or rest < 0:
            raise NotConverged(f"the mass function of p is negative or complex at {point}")
        lp = mpmath.log(rest) + self.log_cp
        mass = mpmath.exp(lp)
        lq = None
        if self.escape is None and not self._q_contains(point):
            self.escape = f"p has mass at {point} outside q's support"
        if self.escape is None:
            rest_q = self.plan.rest_q(*args, *self.Q)
            if rest_q == 0 or isinstance(rest_q, mpmath.mpc) or rest_q < 0:
                self.q_zero = f"q's mass is zero (or not positive) at {point} where p's is not"
            else:
                lq = mpmath.log(rest_q) + self.log_cq
        terms = (mass, mass * lp, mass * lq if lq is not None else 0,
                 mass * (lp - lq) if lq is not None else 0)
        for i, term in enumerate(terms):
            self.sums[i] += term
        size = mass * (1 + abs(lp) + (abs(lq) if lq is not None else 0))
        self.size += size
        return mass, size

    def outward(self, lo, hi):
        start = self._mode(lo, hi)
        reach = MAX_TERMS // 2
        for k in (start - reach, start + reach):
            # the mass must have fallen below the precision within the budget
            if lo <= k and (hi is S.Infinity or k <= hi) and \
                    self._log_mass(k) > self._log_mass(start) - self.drop:
                raise NotConverged(f"the sum needs more than {MAX_TERMS} terms (mass spread over "
                                   f"many integers); not attempted")
        for step in (1, -1):
            k = start if step == 1 else start - 1
            previous = None
            while lo <= k and (hi is S.Infinity or k <= hi):
                mass, size = self.add((k,))
                if previous is not None and 0 < size < previous:
                    ratio = size / previous
                    if size / (1 - ratio) <= self.eps * self.size:
                        break
                previous = size if size > 0 else previous
                k += step

    def _log_mass(self, k):
        with mpmath.workdps(20):
            try:
                rest = self.plan.rest_p(mpmath.mpf(k), *self.P)
                return float(mpmath.log(rest)) if rest > 0 else -math.inf
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return -math.inf

    def _mode(self, lo, hi):
        """An integer near the largest mass (a coarse scan, then ternary search)."""
        log_mass = self._log_mass
        top = hi if hi is not S.Infinity else lo + 2 ** 62
        grid = sorted({lo, top} | {lo + 2 ** j - 1 for j in range(63) if lo + 2 ** j - 1 <= top})
        values = [log_mass(k) for k in grid]
        best = max(range(len(grid)), key=lambda i: values[i])
        a, b = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
        while b - a > 2:
            m1, m2 = a + (b - a) // 3, b - (b - a) // 3
            if log_mass(m1) < log_mass(m2):
                a = m1
            else:
                b = m2
        return max(range(a, b + 1), key=log_mass)

    def totals(self):
        mass, plogp, plogq, kl = self.sums
        infinite = self.escape is not None
        return {"mass": mass, "neg_entropy": plogp,
                "neg_cross": mpmath.ninf if infinite else plogq,
                "kl": mpmath.inf if infinite else kl}
