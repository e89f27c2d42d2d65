"""Rewrite a derived expression for floating-point evaluation.

The rules are general identities, applied to whatever a derivation produced
(no family is named here):

* ``log(1 + u)`` -> ``log1p(u)``, ``exp(u) - 1`` -> ``expm1(u)``;
* ``c * f * log(v)`` -> ``c * xlogy(f, v)`` (``xlog1py`` for ``log1p``),
  which is 0 where the weight ``f`` is 0 even if ``log v`` is infinite;
* ``exp(u) E_1(u)`` -> ``exp1_scaled(u)``, finite where ``exp(u)`` overflows;
* ``log(Gamma(u))`` is already ``loggamma``; ``besseli(n, x)`` ->
  ``ive(n, x) * exp(x)``, so that ratios and logs never overflow; a log of
  a product of ``I_0(x)`` (``x >= 0``) is split into ``logi0(x)`` terms,
  ``log I_0(x)`` to full relative precision also where ``I_0(x)`` is within
  1e-12 of 1 (small ``x``, where the ratio ``I_0(a) / I_0(b)`` would keep no
  digits of the log);
* products of powers and exponentials are merged (``a**k / b**k`` ->
  ``(a/b)**k``, ``exp(a) * exp(b)`` -> ``exp(a + b)``) so that large
  arguments cancel before they overflow;
* logs of quotients are kept whole (``log(a / b)``: the ratio of two huge
  or tiny numbers is formed before its log); only exponentials leave a log.
"""

from functools import lru_cache
from itertools import permutations

import math

import sympy
from sympy import Add, Function, Mul, S
from sympy.codegen.cfunctions import expm1, log1p


class xlogy(Function):
    """``x * log(y)``, 0 where ``x = 0`` (``scipy.special.xlogy``)."""

    nargs = 2

    def _eval_evalf(self, prec):
        x, y = self.args
        return (x * sympy.log(y))._eval_evalf(prec) if x != 0 else S.Zero

    def fdiff(self, argindex=1):
        x, y = self.args
        return sympy.log(y) if argindex == 1 else x / y


class xlog1py(Function):
    """``x * log1p(y)``, 0 where ``x = 0`` (``scipy.special.xlog1py``)."""

    nargs = 2

    def _eval_evalf(self, prec):
        x, y = self.args
        return (x * sympy.log(1 + y))._eval_evalf(prec) if x != 0 else S.Zero

    def fdiff(self, argindex=1):
        x, y = self.args
        return sympy.log(1 + y) if argindex == 1 else x / (1 + y)


class ive(Function):
    """Exponentially scaled modified Bessel function ``exp(-|x|) I_n(x)``."""

    nargs = 2

    def _eval_evalf(self, prec):
        n, x = self.args
        return (sympy.besseli(n, x) * sympy.exp(-sympy.Abs(x)))._eval_evalf(prec)


class logi0(Function):
    """``log I_0(x)`` for ``x >= 0``: ``log1p`` of the power series of
    ``I_0(x) - 1`` below ``LOGI0_SWITCH``, ``log(ive(0, x)) + x`` above."""

    nargs = 1

    def _eval_evalf(self, prec):
        return sympy.log(sympy.besseli(0, self.args[0]))._eval_evalf(prec)

    def fdiff(self, argindex=1):
        x = self.args[0]
        return sympy.besseli(1, x) / sympy.besseli(0, x)


#: below this ``log I_0`` is summed as a series (12 terms: error below 1e-17)
LOGI0_SWITCH = 2
#: ``I_0(x) - 1 = sum_j y^j / (j!)^2``, ``y = x^2 / 4``: the terms' divisors
LOGI0_TERMS = 12


def _bessel_logs(e):
    """``log(c * I_0(a)**k / I_0(b)**m)`` -> ``log(c) + k logi0(a) - m logi0(b)``
    for nonnegative ``a``, ``b``."""
    out, kept = S.Zero, []
    for f in Mul.make_args(e.args[0]):
        base, power = f.as_base_exp()
        if isinstance(base, sympy.besseli) and base.args[0] == 0 and base.args[1].is_nonnegative \
                and power.is_integer:
            out += power * logi0(base.args[1])
        else:
            kept.append(f)
    if out == 0:
        return e
    return sympy.log(Mul(*kept)) + out


def for_floats(expr, ordered=()):
    """``expr`` rewritten with the rules of this module; equal as a function.
    ``ordered``: the names of pairs of parameters a constraint orders
    (frozensets), such as a uniform's ``a < b`` (see :func:`_divided_differences`)."""
    expr = _divided_differences(sympy.sympify(expr), ordered)
    expr = expr.replace(lambda e: isinstance(e, Mul) and e.has(sympy.expint), _scaled_exp1)
    expr = expr.replace(lambda e: isinstance(e, sympy.log) and e.has(sympy.besseli), _bessel_logs)
    expr = expr.replace(lambda e: isinstance(e, sympy.besseli),
                        lambda e: ive(e.args[0], e.args[1]) * sympy.exp(e.args[1]))
    expr = expr.replace(lambda e: isinstance(e, sympy.log), _split_log)
    expr = sympy.powsimp(expr, deep=True, combine="exp")
    expr = sympy.powsimp(expr, deep=True, combine="base", force=True)
    expr = expr.replace(lambda e: isinstance(e, Mul), _gamma_times_power)
    expr = expr.replace(lambda e: isinstance(e, sympy.log), _log1p)
    expr = expr.replace(lambda e: isinstance(e, Add), _expm1)
    return Add(*[_xlogy(t) for term in Add.make_args(expr) for t in _spread_logs(term)])


def _divided_differences(expr, ordered):
    """``log y -> log x + log1p((y - x) / x)`` where ``log x`` and ``log y``
    both appear and ``y - x`` is a number times the difference of two
    parameters a constraint orders; the coefficients of ``log x`` and of the
    new ``log1p`` are then collected and factored.  The mean of ``log t`` over
    a uniform's ``[a, b]``, ``(b log b - a log a) / (b - a) - 1``, is a
    difference quotient that loses ``log10(a / (b - a))`` digits as written;
    it becomes ``log a + b log1p((b - a) / a) / (b - a) - 1``, whose parts
    keep theirs (``b - a`` is exact when ``b`` and ``a`` are close)."""
    if not ordered:
        return expr
    logs = sorted(expr.atoms(sympy.log), key=sympy.default_sort_key)
    for x_log, y_log in permutations(logs, 2):
        x, y = x_log.args[0], y_log.args[0]
        gap = sympy.expand(y - x)
        pair = gap.free_symbols
        if frozenset(s.name for s in pair) not in ordered or not gap.is_polynomial(*pair) \
                or sympy.Poly(gap, *pair).total_degree() != 1 \
                or gap.subs({s: 1 for s in pair}) != 0:
            continue
        involved, others = [], []
        for term in Add.make_args(expr):
            (involved if term.has(x_log, y_log) else others).append(term)
        ratio = sympy.Dummy("ratio")
        parts = sympy.collect(sympy.expand(Add(*involved).subs(y_log, x_log + ratio)),
                              [x_log, ratio], evaluate=False)
        rebuilt = [sympy.factor(parts.pop(x_log, S.Zero)) * x_log,
                   sympy.factor(parts.pop(ratio, S.Zero)) * log1p(gap / x)]
        rest = [k * v for k, v in parts.items()]
        return _divided_differences(Add(*rebuilt, *rest, *others), ordered)
    return expr


class exp1_scaled(Function):
    """``exp(x) E_1(x)`` (about ``1/x`` for large ``x``, where ``exp(x)``
    overflows and ``E_1(x)`` underflows): the product below ``EXP1_SWITCH``,
    the asymptotic series ``sum_k (-1)^k k! / x^(k+1)`` from there on."""

    nargs = 1

    def _eval_evalf(self, prec):
        x = self.args[0]
        return (sympy.exp(x) * sympy.expint(1, x))._eval_evalf(prec)

    def fdiff(self, argindex=1):
        return exp1_scaled(self.args[0]) - 1 / self.args[0]

    @staticmethod
    def coefficients():
        """``c_k`` of ``sum_k c_k / x^(k + 1)``."""
        return [(-1) ** k * sympy.factorial(k) for k in range(EXP1_TERMS)]


#: from this argument on ``exp(x) E_1(x)`` is summed as its asymptotic series,
#: this many terms (at x = 100 the next term is below 1e-22 of the sum)
EXP1_SWITCH = 100
EXP1_TERMS = 20


def _scaled_exp1(e):
    """``c exp(u) E_1(u)`` -> ``c exp1_scaled(u)``."""
    factors = list(Mul.make_args(e))
    for f in factors:
        if isinstance(f, sympy.expint) and f.args[0] == 1:
            u = f.args[1]
            partner = [g for g in factors if isinstance(g, sympy.exp) and sympy.expand(g.args[0] - u) == 0]
            if partner:
                factors.remove(f)
                factors.remove(partner[0])
                return Mul(*factors) * exp1_scaled(u)
    return e


def _spread_logs(term):
    """``c * (log a - log b)`` -> ``[c log a, -c log b]`` so that each log meets
    its coefficient (``(p - 1) * log1p(-p)`` is then recognised)."""
    factors = Mul.make_args(term)
    for i, f in enumerate(factors):
        if isinstance(f, Add) and f.has(sympy.log, log1p):
            rest = Mul(*factors[:i], *factors[i + 1:])
            return [t for part in f.args for t in _spread_logs(rest * part)]
    return [term]


def _split_log(e):
    """``log(c * exp(y) * (1 - p)**k)`` -> ``log(c) + y + k log(1 - p)``.

    Exponentials leave the log, and so do factors ``1 + u`` (they become
    ``log1p(u)``, exact near 0 and 0 where their weight is); the rest is kept
    in one log, so a ratio ``log(a / b)`` of two huge or tiny numbers is
    formed before its log.
    """
    u = e.args[0]
    kept, out = [], S.Zero
    for f in Mul.make_args(u):
        base, power = f.as_base_exp()
        if isinstance(f, sympy.exp):
            out += f.args[0]
        elif isinstance(base, Add) and base.as_independent(*base.free_symbols, as_Add=True)[0] == 1 \
                and power.is_number:
            out += power * sympy.log(base)
        else:
            kept.append(f)
    if not kept:
        return out
    if out == 0:
        return e
    return sympy.log(Mul(*kept)) + out


def _gamma_times_power(e):
    """``Gamma(u) * a**k`` (symbolic ``k``) -> ``exp(loggamma(u) + k log a)``:
    the two factors can overflow and underflow while their product is finite."""
    factors = Mul.make_args(e)
    gammas = [f for f in factors if isinstance(f, sympy.gamma)]
    powers = [f for f in factors if isinstance(f, sympy.Pow) and not f.exp.is_number]
    if not gammas or not powers:
        return e
    rest = [f for f in factors if f not in gammas and f not in powers]
    exponent = Add(*[sympy.loggamma(g.args[0]) for g in gammas],
                   *[p.exp * sympy.log(p.base) for p in powers])
    return Mul(*rest) * sympy.exp(exponent)


def _log1p(e):
    u = e.args[0]
    if isinstance(u, Add):
        constant, rest = u.as_independent(*u.free_symbols, as_Add=True)
        if constant == 1 and rest != 0:
            return log1p(rest)
    return e


def _expm1(e):
    constant, rest = e.as_independent(*e.free_symbols, as_Add=True) if e.free_symbols else (e, S.Zero)
    if constant == -1 and isinstance(rest, sympy.exp):
        return expm1(rest.args[0])
    return e


def _xlogy(term):
    """``c * f * log(v)`` -> ``c * xlogy(f, v)`` for a factor ``f`` (a sum such
    as ``p - 1``, else a symbol): 0 where ``f = 0`` even if ``log v`` is
    infinite, the convention ``0 log 0 = 0`` of every KL and entropy sum.
    ``log1p`` goes to ``xlog1py``."""
    factors = Mul.make_args(term)
    logs = [f for f in factors if isinstance(f, (sympy.log, log1p))]
    if len(logs) != 1:
        return term
    (lg,) = logs
    others = [f for f in factors if f is not lg]
    weights = [f for f in others if isinstance(f, Add) and f.free_symbols] or \
        [f for f in others if isinstance(f, sympy.Symbol)]
    if not weights:
        return term
    f = weights[0]
    rest = Mul(*[g for g in others if g is not f])
    if isinstance(lg, log1p):
        return rest * xlog1py(f, lg.args[0])
    return rest * xlogy(f, lg.args[0])


# -- large arguments ---------------------------------------------------------
#
# ``loggamma(u)`` and ``digamma(u)`` of a large ``u`` are of size ``u log u``
# and ``log u``; a KL or entropy made of them (the Dirichlet's, a Beta's with
# shapes near 1e7) is a difference of such terms that is of order 1, and
# loses about ``log10(u)`` digits in floating point.  Stirling's series
# separates each into an elementary main part, which SymPy combines
# symbolically (``(a - 1/2) log a - (a - 1) log a = log(a) / 2``: the large
# parts cancel exactly, before any rounding), and a small tail.  The modified
# Bessel functions of a large ``x`` are treated alike: ``log I_0(x)`` is
# ``x - log(2 pi x) / 2`` plus a tail, and ``I_1(x) / I_0(x)`` is
# ``1 - 1 / (2 x)`` plus a tail (the von Mises entropy is
# ``log I_0(k) - k I_1(k) / I_0(k)``: two terms of size ``k``).

#: arguments from which the tails are summed as series (below: by subtraction)
TAIL_SWITCH = 10
#: terms of Stirling's series summed (at u = 10 the next one is below 1e-19)
TAIL_TERMS = 10
#: a gamma- or Bessel-function argument from which the large-argument form is used
LARGE_ARGUMENT = 100
#: the Bessel tails' asymptotic series: from this argument on, this many terms
#: (at x = 50 the error of 16 terms is below 1e-17 of the tail)
BESSEL_TAIL_SWITCH = 50
BESSEL_TAIL_TERMS = 16


def _stirling_main(u):
    return (u - S.Half) * sympy.log(u) - u + sympy.log(2 * sympy.pi) / 2


class lgamma_tail(Function):
    """``log Gamma(u) - (u - 1/2) log u + u - log(2 pi) / 2`` (about ``1/(12 u)``)."""

    nargs = 1

    def _eval_evalf(self, prec):
        u = self.args[0]
        return (sympy.loggamma(u) - _stirling_main(u))._eval_evalf(prec)

    @staticmethod
    def coefficients():
        """``c_n`` of ``sum_n c_n / u^(2n - 1)``."""
        return [sympy.bernoulli(2 * n) / (2 * n * (2 * n - 1)) for n in range(1, TAIL_TERMS + 1)]


class digamma_tail(Function):
    """``psi(u) - log u + 1 / (2 u)`` (about ``-1/(12 u^2)``)."""

    nargs = 1

    def _eval_evalf(self, prec):
        u = self.args[0]
        return (sympy.polygamma(0, u) - sympy.log(u) + 1 / (2 * u))._eval_evalf(prec)

    @staticmethod
    def coefficients():
        """``c_n`` of ``sum_n c_n / u^(2n)``."""
        return [-sympy.bernoulli(2 * n) / (2 * n) for n in range(1, TAIL_TERMS + 1)]


class lgamma_remainder(Function):
    """``log Gamma(x + d) - log Gamma(x) - d psi(x)``: the log-gamma less its
    tangent at ``x``, about ``psi'(x) d^2 / 2`` and never negative (log-gamma
    is convex).  Written as one function so that a closed form whose three
    terms cancel (beta, gamma and Dirichlet KLs) can be evaluated without
    that cancellation; every backend's helper sums terms of one sign."""

    nargs = 2

    def _eval_evalf(self, prec):
        x, d = self.args
        return (sympy.loggamma(x + d) - sympy.loggamma(x)
                - d * sympy.polygamma(0, x))._eval_evalf(prec)


#: the remainder helpers' Stirling series starts at z = STIRLING_SHIFT, where
#: eight terms suffice (the ninth is below 6e-17 relative)
STIRLING_SHIFT = 10


def atanh_terms(top):
    """Terms of ``sum_j s^2j / (2j + 3)`` (the atanh tail of ``log1pmx``) that
    reach full precision for every ``s^2 <= top`` (``top <= 1/9``): the first
    left out is below 2^-56.5 of the first (``top^terms < e^-39.2``).  The
    NumPy helper applies this rule to the largest s^2 of each call; the
    PyTorch, JAX and C99 helpers to the bound 1/9 itself."""
    return math.ceil(-39.2 / math.log(top)) if top > 0 else 0


#: ``1 / (k + 2)!``: the coefficients of ``exp(u) - 1 - u = u^2 sum_k u^k / (k + 2)!``
EXPM1MX_COEFFICIENTS = tuple(1.0 / math.factorial(k + 2) for k in range(21))


def expm1mx_terms(top):
    """Terms of ``sum_k u^k / (k + 2)!`` beyond the first that reach full
    precision for every ``|u| <= top`` (``top <= 1``): the first left out is
    below EPS / 8 of the first, ``u^2 / 2``.  The NumPy helper applies this
    rule to the largest |u| of each call; the others to the bound 1."""
    terms = 0
    while top > 0.0 and top ** (terms + 1) * EXPM1MX_COEFFICIENTS[terms + 1] > 2.8e-17:
        terms += 1
    return terms


def stirling_remainders(count=8):
    """``(B_2k / (2k (2k - 1)), coefficients of N_n from the highest power)``
    for k = 1..count: Stirling's term ``B_2k / (2k (2k - 1) z^n)``, n = 2k - 1,
    less its tangent in d, is ``z^-n ((1 + u)^-n - 1 + n u) = z^-n u^2 N_n(u) /
    (1 + u)^n`` at u = d / z, with N_n of positive coefficients (no
    cancellation); the helpers of every backend evaluate it so."""
    return tuple((float(lgamma_tail.coefficients()[k - 1]),
                  tuple(float((2 * k - 1) * sympy.binomial(2 * k - 1, j - 1) - sympy.binomial(2 * k - 1, j))
                        for j in range(2 * k, 1, -1)))
                 for k in range(1, count + 1))


class log1pmx(Function):
    """``log(1 + u) - u``: the log less its tangent at 1, about ``-u^2 / 2``,
    evaluated without that cancellation (every backend's ``_log1pmx``)."""

    nargs = 1

    def _eval_evalf(self, prec):
        u = self.args[0]
        return (sympy.log(1 + u) - u)._eval_evalf(prec)


class expm1mx(Function):
    """``exp(u) - 1 - u``: the exponential less its tangent at 0, about
    ``u^2 / 2`` and never negative, evaluated without that cancellation (each
    backend's ``_expm1mx``)."""

    nargs = 1

    def _eval_evalf(self, prec):
        u = self.args[0]
        return (sympy.exp(u) - 1 - u)._eval_evalf(prec)


def tangent_remainders(expr, differences):
    """``expr`` (in the parameters and the differences) with each
    ``c loggamma(Q) - c loggamma(P) - c g digamma(P)``, where ``Q`` is ``P``
    moved by ``g`` (``Q`` in the q-parameters, ``g`` in the differences), as
    ``c lgamma_remainder(P, g)``, and each ``exp(u) gamma(v)`` whose ``v`` is
    an integer ``n`` at p = q as ``(n-1)! exp(u + psi(n) g + lgamma_remainder(n, g))``
    with ``g = v - n``, that exponential as ``expm1mx(w) + w + 1``,
    each other ``c exp(u)`` (``c`` rational) whose ``u`` vanishes at p = q as
    ``c expm1mx(u) + c + c u``, and each ``log1p(y)`` of a vanishing ``y`` as
    ``log1pmx(y) + y``: the tangents join the rational terms, which the
    caller makes one fraction in the differences.  None where none of these
    is found."""
    moved = {q: p + d for d, (q, p) in differences.items()}
    at_p = {q: p for d, (q, p) in differences.items()}
    terms = list(Add.make_args(expr))

    def split(term, function):
        found = [f for f in Mul.make_args(term) if isinstance(f, function)]
        return (term / found[0], found[0]) if len(found) == 1 else (None, None)

    def equal(a, b):
        return sympy.expand(a - b) == 0

    paired = False
    for i, term in enumerate(terms):
        c, f = split(term, sympy.loggamma)
        if f is None or not f.args[0].free_symbols & set(at_p) or c.has(*at_p):
            continue
        q_arg = f.args[0]
        p_arg = q_arg.xreplace(at_p)
        g = sympy.expand(q_arg.xreplace(moved) - p_arg)
        if g == 0 or not g.free_symbols <= set(differences):
            continue
        j = next((j for j, t in enumerate(terms) if j != i and equal(t, -c * sympy.loggamma(p_arg))),
                 None)
        k = next((k for k, t in enumerate(terms) if k not in (i, j)
                  and split(t, sympy.polygamma)[1] == sympy.polygamma(0, p_arg)
                  and equal(split(t, sympy.polygamma)[0], -c * g)), None)
        if j is None or k is None:
            continue
        terms[i] = c * lgamma_remainder(p_arg, sympy.factor_terms(g))
        terms[j] = terms[k] = S.Zero
        paired = True
    expr = Add(*terms)
    still = {d: S.Zero for d in differences}
    near_integer = _gammas_near_integers(expr, moved, at_p, still)
    expr = near_integer if near_integer is not None else expr
    near_one = _exponentials_near_one(expr, at_p, still)
    expr = near_one if near_one is not None else expr
    # a log1p of a small argument less its tangent: the tangent joins the
    # rational terms (which the caller makes one fraction in the differences)
    before = expr
    expr = expr.replace(
        lambda e: isinstance(e, (log1p, xlog1py))
        and e.args[-1].has(*differences)
        and sympy.simplify(e.args[-1].xreplace(at_p).xreplace(still)) == 0,
        lambda e: Add(*[(e.args[0] if isinstance(e, xlog1py) else S.One) * t
                        for t in (log1pmx(e.args[-1]), e.args[-1])]))
    if near_integer is None and near_one is None and not paired and expr == before:
        return None
    # a weight times (log1pmx(y) + y) as two terms, so that the tangent is
    # among the rational terms (the Weibull's k_q log1p(-d_lam / lam_q))
    return Add(*[sympy.expand_mul(t, deep=False) for t in Add.make_args(expr)])


def second_order(expr, differences):
    """Whether every term of ``expr`` (in the p-parameters and the
    differences) vanishes to second order at p = q, so that no two cancel at
    first order: a function less its tangent (``lgamma_remainder``,
    ``log1pmx``, ``expm1mx``) times anything, or a term free of other
    functions whose value and first derivatives vanish at p = q.  (The
    categorical's tangents ``p_i d_i / q_i`` sum to second order only on the
    simplex, where the differences sum to 0.)

    >>> import sympy
    >>> x, d = sympy.symbols("x d", positive=True)
    >>> second_order(lgamma_remainder(x, d) + d**2 / x, [d]), second_order(log1pmx(d) + d, [d])
    (True, False)
    """
    still = {d: S.Zero for d in differences}
    for term in Add.make_args(expr):
        if any(isinstance(f, (lgamma_remainder, log1pmx, expm1mx)) for f in Mul.make_args(term)):
            continue
        if _polynomial_second_order(term, differences, still):
            continue  # (simplify would take minutes on the 3-d normal's fraction)
        if term.has(Function) or sympy.simplify(term.xreplace(still)) != 0 or \
                any(sympy.simplify(sympy.diff(term, d).xreplace(still)) != 0 for d in differences):
            return False
    return True


def _polynomial_second_order(term, differences, still):
    """Whether ``term`` is a fraction whose numerator is a polynomial in the
    differences with every monomial of degree 2 or more and whose
    denominator is not 0 at p = q (then it vanishes to second order)."""
    if term.has(Function):
        return False
    numerator, denominator = sympy.fraction(term)
    if not numerator.has(*differences) or denominator.xreplace(still) == 0:
        return False
    try:
        poly = sympy.Poly(numerator, *differences)
    except sympy.PolynomialError:
        return False
    return all(sum(monomial) >= 2 for monomial in poly.monoms())


def _gammas_near_integers(expr, moved, at_p, still):
    """``c exp(u) gamma(v) + k`` (``k`` the sum's numeric terms), where ``v``
    is an integer ``n`` and ``u`` is 0 at p = q, as
    ``c (n-1)! (expm1mx(w) + w + 1) + k`` with ``w = u + psi(n) g +
    lgamma_remainder(n, g)`` and ``g = v - n`` in the differences: the term
    of size 1 that cancels against the constant becomes one of the size of
    the differences squared, and the first-order part of ``w`` joins the
    rational terms."""
    terms = list(Add.make_args(expr))
    for i, term in enumerate(terms):
        factors = Mul.make_args(term)
        gammas = [f for f in factors if isinstance(f, sympy.gamma)]
        exps = [f for f in factors if isinstance(f, sympy.exp)]
        if not gammas and len(exps) == 1:
            # exp(u + loggamma(v)), as the floating rewrite merges them: exp(u) gamma(v)
            logs = [a for a in Add.make_args(exps[0].args[0]) if isinstance(a, sympy.loggamma)]
            if len(logs) == 1:
                gammas = [sympy.gamma(logs[0].args[0], evaluate=False)]
                factors = [f for f in factors if f not in exps] + gammas
                exps = [sympy.exp(exps[0].args[0] - logs[0], evaluate=False)]
                factors += exps
        if len(gammas) != 1 or len(exps) > 1:
            continue
        v = gammas[0].args[0]
        n = sympy.simplify(v.xreplace(at_p).xreplace(still))
        u = exps[0].args[0] if exps else S.Zero
        if not (n.is_Integer and n >= 1) or sympy.simplify(u.xreplace(at_p).xreplace(still)) != 0:
            continue
        c = Mul(*[f for f in factors if f not in gammas + exps])
        if c.free_symbols:
            continue
        top, bottom = sympy.fraction(sympy.together(v.xreplace(moved) - n))
        g = sympy.factor_terms(sympy.expand(top)) / bottom  # formed from the differences
        w = u + sympy.polygamma(0, n) * g + lgamma_remainder(n, g)
        scale = c * sympy.factorial(n - 1)
        # expm1(w) = expm1mx(w) + w: the first-order part of w joins the
        # rational terms, where it cancels the rest of the KL's first order
        tangent = [sympy.expand(scale * t, deep=False) for t in Add.make_args(w)]
        terms[i] = Add(scale * expm1mx(w), *tangent, scale)
        return Add(*terms)
    return None


def _exponentials_near_one(expr, at_p, still):
    """Each ``c exp(u)`` (``c`` free of functions) whose ``u`` vanishes at
    p = q as ``c expm1mx(u) + c + c u``: the Laplace KL's
    ``(b_p / b_q) exp(-|d_mu| / b_p) + |d_mu| / b_q - 1 + ...`` has terms of
    size 1 that cancel to the size of the differences squared; the tangent
    ``c + c u`` then joins (or cancels) the rational terms.  None if there is
    no such term."""
    terms = list(Add.make_args(expr))
    found = False
    for i, term in enumerate(terms):
        exps = [f for f in Mul.make_args(term) if isinstance(f, sympy.exp)]
        if len(exps) != 1:
            continue
        u = exps[0].args[0]
        c = term / exps[0]
        if c.has(Function) or not u.free_symbols & (set(at_p) | set(still)) \
                or sympy.simplify(u.xreplace(at_p).xreplace(still)) != 0:
            continue
        terms[i] = c * expm1mx(u) + c + c * u
        found = True
    return Add(*terms) if found else None


def _logi0_main(x):
    return x - sympy.log(2 * sympy.pi * x) / 2


class logi0_tail(Function):
    """``log I_0(x) - x + log(2 pi x) / 2`` (about ``1/(8 x)``), ``x > 0``."""

    nargs = 1

    def _eval_evalf(self, prec):
        x = self.args[0]
        return (sympy.log(sympy.besseli(0, x)) - _logi0_main(x))._eval_evalf(prec)

    def fdiff(self, argindex=1):
        return bessel_ratio_tail(self.args[0])

    @staticmethod
    def coefficients():
        """``b_k`` of ``sum_k b_k / x^k`` (``k = 1 ..``): the log of the
        asymptotic series ``sum_k ((2k-1)!!)^2 / (k! 8^k x^k)`` of
        ``sqrt(2 pi x) exp(-x) I_0(x)``."""
        return list(_bessel_log_coefficients())


class bessel_ratio_tail(Function):
    """``I_1(x) / I_0(x) - 1 + 1 / (2 x)`` (about ``-1/(8 x^2)``), the
    derivative of :class:`logi0_tail`."""

    nargs = 1

    def _eval_evalf(self, prec):
        x = self.args[0]
        return (sympy.besseli(1, x) / sympy.besseli(0, x) - 1 + 1 / (2 * x))._eval_evalf(prec)

    @staticmethod
    def coefficients():
        """``c_k`` of ``sum_k c_k / x^(k + 1)``: the derivative, term by term,
        of :meth:`logi0_tail.coefficients`."""
        return [-k * b for k, b in enumerate(_bessel_log_coefficients(), start=1)]


def _bessel_log_coefficients():
    w = sympy.Symbol("w")
    scaled = sum(sympy.factorial2(2 * k - 1) ** 2 / (sympy.factorial(k) * 8 ** k) * w ** k
                 for k in range(BESSEL_TAIL_TERMS + 1))
    series = sympy.series(sympy.log(scaled), w, 0, BESSEL_TAIL_TERMS + 1).removeO()
    return tuple(series.coeff(w, k) for k in range(1, BESSEL_TAIL_TERMS + 1))


_bessel_log_coefficients = lru_cache(maxsize=None)(_bessel_log_coefficients)


def gamma_arguments(expr):
    """The arguments of the log-gamma and digamma calls of ``expr``."""
    return sorted({f.args[-1] for f in expr.atoms(sympy.loggamma, sympy.polygamma)
                   if isinstance(f, sympy.loggamma) or f.args[0] == 0}, key=sympy.default_sort_key)


#: Rounding of the special functions with zeros on the positive axis, in
#: units of EPS, per backend: ``(relative, absolute)``, their error being at
#: most ``relative * EPS * |value| + absolute * EPS``.  The absolute part
#: matters near a zero (log-gamma at 1 and 2, digamma at 1.4616), where the
#: value is small and its error is not.  Measured against mpmath on (0.01,
#: 20), 3000 points (relative part where |value| > 2, absolute part where
#: |value| < 1/2): SciPy's gammaln 1.6 / 1.5, digamma 1.4 / 0.5; PyTorch's
#: lgamma 0.5 / 0.1, digamma 4.0 / 4.0; JAX's gammaln 5.3 / 15, digamma
#: 6.8 / 6.6; glibc's lgamma (C99) 0.9 / 0.3.  The gamma function has no
#: zeros; its relative error: SciPy 2.8, PyTorch (through lgamma) 16, JAX 58
#: (it grows with log-gamma's value, exp turning that absolute error into a
#: relative one), glibc's tgamma 2.0.  Each term already counts
#: once its own size, so a relative part of 1 or less adds nothing.  With
#: the NumPy floors the closed form's actual error was at most 1.27 times
#: EPS times the size of its terms, on random pairs 0.1-50% apart of every
#: univariate family (without them up to 61 times, for gamma shapes near 1
#: or 2).
ROUNDING = {
    "numpy": {"loggamma": (1.0, 1.0), "digamma": (1.0, 0.5), "gamma": (2.8, 0.0)},
    "torch": {"loggamma": (1.0, 1.0), "digamma": (4.0, 4.0), "gamma": (16.0, 0.0)},
    "jax": {"loggamma": (5.5, 15.0), "digamma": (7.0, 7.0), "gamma": (58.0, 0.0)},
    "c99": {"loggamma": (1.0, 1.0), "digamma": (1.0, 0.5), "gamma": (2.0, 0.0)},
}


def _rounded(f):
    """``"loggamma"``, ``"digamma"`` or ``"gamma"`` for a function of ``ROUNDING``, else None."""
    if isinstance(f, sympy.loggamma):
        return "loggamma"
    if isinstance(f, sympy.polygamma) and f.args[0] == 0:
        return "digamma"
    if isinstance(f, sympy.gamma):
        return "gamma"
    return None


#: a sum of at least this many terms inside a closed-form term counts the
#: sizes of its terms in the term's rounding estimate (:func:`summed_size`):
#: the 2-d normal's five ``Sigma11_p d_Sigma22 - 2 Sigma12_p d_Sigma12 + ...``
#: cancel among themselves (the result lost 3e-13 that the size of the term
#: did not show).  Fewer would cost the common families for nothing
#: measured: with 3, the normal's ``d_mu^2 - d_sigma^2 - 2 sigma_p d_sigma``
#: took its KL from 9.0 to 12.5 ns an element, and its worst error near
#: p = q was 3e-14 without (its first-order cancellation is between terms)
SUMMED_TERMS = 4


def summed_size(term):
    """What the rounding of ``term`` may be beyond EPS times its value where
    it holds a sum of ``SUMMED_TERMS`` or more terms, as an expression: the
    term with each sum's terms counted by their sizes (products of sizes,
    a reciprocal's relative error that of its base, ``log1p(x)`` and
    ``log(x)`` adding what their argument's rounding moves them by); None
    where there is no such sum outside other functions.

    >>> import sympy
    >>> a, b, c = sympy.symbols("a b c", positive=True)
    >>> summed_size((a - b + c - 1) / (2 * c))
    (a + b + c + 1)/(2*c)
    >>> summed_size(sympy.log(a) * (b - c)) is None
    True
    """
    def sums(e):
        if isinstance(e, Add) and len(e.args) >= SUMMED_TERMS:
            return True
        if isinstance(e, Function) and not isinstance(e, (sympy.log, log1p)):
            return False
        return any(sums(a) for a in e.args)

    if not sums(term):
        return None
    return _bound(term)


def _bound(e):
    if e.is_Number:
        return abs(e)
    if e.is_Symbol:
        return e if e.is_nonnegative else sympy.Abs(e)
    if isinstance(e, Add):
        return Add(*[_bound(a) for a in e.args])
    if isinstance(e, Mul):
        return Mul(*[_bound(a) for a in e.args])
    if isinstance(e, sympy.Pow) and e.exp.is_Integer and not (e.base.is_Symbol or e.base.is_Number):
        if e.exp > 0:
            return _bound(e.base) ** e.exp
        # 1 / b^n of a computed b: the relative error of b, n times
        return -e.exp * _bound(e.base) * sympy.Abs(e.base) ** (e.exp - 1)
    if isinstance(e, log1p):
        return sympy.Abs(e) + _bound(e.args[0]) / sympy.Abs(1 + e.args[0])
    if isinstance(e, sympy.log):
        return sympy.Abs(e) + _bound(e.args[0]) / sympy.Abs(e.args[0])
    return sympy.Abs(e)


def rounding_floor(term, backend="numpy"):
    """The part of ``term``'s rounding error (in units of EPS) that its size
    does not account for: ``F |c|`` for each factor ``f`` of ``term = c f``
    that is a function of ``ROUNDING`` (its absolute part ``F`` for the
    backend); 0 otherwise.  Functions inside other functions are not counted
    here: their absolute error becomes a relative error of the term
    (``exp(loggamma(u))``, see :func:`rounding_weight`).

    >>> import sympy
    >>> x, d = sympy.symbols("x d", positive=True)
    >>> rounding_floor(-d * sympy.polygamma(0, x)), float(rounding_floor(-sympy.loggamma(x)))
    (0.5*d, 1.0)
    """
    factors = Mul.make_args(term)
    total = S.Zero
    for i, factor in enumerate(factors):
        kind = _rounded(factor)
        if kind:
            total += ROUNDING[backend][kind][1] * abs(Mul(*factors[:i], *factors[i + 1:]))
    return total


def rounding_weight(term, backend="numpy"):
    """How many times EPS times ``|term|`` its rounding error may be: at least
    1; a factor of ``ROUNDING`` counts its relative part, one inside another
    function its absolute part (it becomes relative to the term).

    >>> import sympy
    >>> x = sympy.Symbol("x", positive=True)
    >>> rounding_weight(sympy.exp(sympy.loggamma(x)), "jax"), rounding_weight(sympy.loggamma(x))
    (15.0, 1.0)
    """
    top = set(Mul.make_args(term))
    weight = 1.0
    for f in sympy.preorder_traversal(term):
        kind = _rounded(f)
        if kind:
            relative, absolute = ROUNDING[backend][kind]
            weight = max(weight, relative if f in top else absolute)
    return weight


def bessel_arguments(expr):
    """The nonnegative arguments of the ``I_0`` and ``I_1`` of ``expr``."""
    return sorted({f.args[1] for f in expr.atoms(sympy.besseli)
                   if f.args[0] in (0, 1) and f.args[1].is_nonnegative}, key=sympy.default_sort_key)


def large_arguments(expr):
    """The arguments whose size selects the large-argument form of ``expr``."""
    return gamma_arguments(expr) + [x for x in bessel_arguments(expr) if x not in gamma_arguments(expr)]


def large_argument_form(expr):
    """``expr`` with each ``loggamma(u)`` and ``digamma(u)`` split into its
    Stirling main part and tail, each ``log I_0(x)`` and ``I_1(x) / I_0(x)``
    into their asymptotic main parts and tails, the main parts combined
    (expanded: equal large terms cancel exactly); None if ``expr`` has none
    of these functions."""
    if not large_arguments(expr):
        return None
    expr = expr.replace(lambda e: isinstance(e, sympy.loggamma),
                        lambda e: _stirling_main(e.args[0]) + lgamma_tail(e.args[0]))
    expr = expr.replace(lambda e: isinstance(e, sympy.polygamma) and e.args[0] == 0,
                        lambda e: sympy.log(e.args[1]) - 1 / (2 * e.args[1])
                        + digamma_tail(e.args[1]))
    if bessel_arguments(expr):
        expr = expr.replace(lambda e: isinstance(e, sympy.log) and e.has(sympy.besseli), _bessel_logs)
        expr = expr.replace(lambda e: isinstance(e, logi0),
                            lambda e: _logi0_main(e.args[0]) + logi0_tail(e.args[0]))
        expr = expr.replace(
            lambda e: isinstance(e, sympy.besseli) and e.args[0] == 1 and e.args[1].is_nonnegative,
            lambda e: sympy.besseli(0, e.args[1]) * (1 - 1 / (2 * e.args[1])
                                                     + bessel_ratio_tail(e.args[1])))
    expr = sympy.expand(expr, log=False, multinomial=False, power_base=False, power_exp=False)
    return _versines(_shared_coefficient_logs(expr))


def _versines(expr):
    """``c - c cos(u)`` -> ``2 c sin(u/2)**2``: exact where ``u`` is small and
    ``c`` large (a von Mises concentration times ``1 - cos`` of the angle
    between the means)."""
    terms = list(Add.make_args(expr))
    for term in list(terms):
        cosines = [f for f in Mul.make_args(term) if isinstance(f, sympy.cos)]
        if len(cosines) != 1 or term not in terms:
            continue
        c = -term / cosines[0]
        if c in terms:
            terms.remove(term)
            terms.remove(c)
            terms.append(2 * c * sympy.sin(cosines[0].args[0] / 2) ** 2)
    return Add(*terms)


def _shared_coefficient_logs(expr):
    """``c log a - c log b + c log e`` -> ``c log(a e / b)`` for a symbolic
    ``c``, and ``c log a - c log b`` -> ``c log(a / b)`` for a number ``c``:
    the ratio is near 1 where the logs are large and nearly cancel."""
    groups, rest = {}, []
    for term in Add.make_args(expr):
        logs = [f for f in Mul.make_args(term) if isinstance(f, sympy.log)]
        if len(logs) == 1:
            number, weight = (term / logs[0]).as_coeff_Mul()
            if weight.free_symbols or logs[0].free_symbols:
                groups.setdefault((weight, abs(number)), []).append((sympy.sign(number), logs[0]))
                continue
        rest.append(term)
    for (weight, number), logs in groups.items():
        numeric = not weight.free_symbols
        if len(logs) == 1 or numeric and sorted(sign for sign, _ in logs) != [-1, 1]:
            # with a number for weight only a ratio of two is joined (a product
            # of several large parameters could overflow)
            rest += [sign * number * weight * lg for sign, lg in logs]
        else:
            rest.append(number * weight * sympy.log(Mul(*[lg.args[0] ** sign for sign, lg in logs])))
    return Add(*rest)


def polygamma_zeta_factor(n):
    """``(-1)^(n+1) n!``: ``psi^(n)(x)`` is this times the Hurwitz zeta
    ``zeta(n + 1, x)``, and the recurrence ``psi^(n)(x) = psi^(n)(x + 1) +
    (-1)^(n+1) n! / x^(n+1)`` steps by this over ``x^(n+1)`` (``n >= 1``)."""
    return (-1) ** (n + 1) * sympy.factorial(n)


def _reach(first, last, start, step):
    """The least argument ``u`` from ``start`` on (in steps of ``step``) where
    the series term ``last = (c, k)``, ``c / u^k``, is below 1e-17 of the term
    ``first``."""
    (c1, k1), (cn, kn) = first, last
    u = start
    while abs(cn) / u ** kn > 1e-17 * abs(c1) / u ** k1:
        u += step
    return u


def polygamma_lead(n, u):
    """The leading term ``(-1)^(n-1) (n-1)! / u^n`` of ``psi^(n)(u)``, ``n >= 1``."""
    return (-1) ** (n - 1) * sympy.factorial(n - 1) / u ** n


class polygamma_tail(Function):
    """``psi^(n)(u) - (-1)^(n-1) (n-1)! / u^n`` for ``n >= 1`` (about
    ``(-1)^(n+1) n! / (2 u^(n+1))``): the polygamma function less its
    leading term, from which the near-equal series' coefficients of large
    shapes are built."""

    nargs = 2

    def _eval_evalf(self, prec):
        n, u = self.args
        return (sympy.polygamma(n, u) - polygamma_lead(n, u))._eval_evalf(prec)

    def fdiff(self, argindex=2):
        n, u = self.args
        return polygamma_tail(n + 1, u)

    @staticmethod
    def coefficients(n, terms=TAIL_TERMS):
        """``(c, k)`` pairs of ``sum c / u^k``: the n-th derivative, term by
        term, of ``-1/(2u) - sum_j B_2j / (2j u^(2j))`` (Stirling's series of
        the digamma function less ``log u``), ``j`` up to ``terms``."""
        base = [(-S.Half, 1)] + [(-sympy.bernoulli(2 * j) / (2 * j), 2 * j)
                                 for j in range(1, terms + 1)]
        return [(c * (-1) ** n * sympy.rf(k, n), k + n) for c, k in base]

    @staticmethod
    def recurrence(n):
        """``(switch, terms)`` for computing ``psi^(n)(x)`` as a whole: the
        recurrence up to the integer ``switch``, then ``terms`` Bernoulli terms
        of the series, where the first term left out is below 1e-17 of the
        first.  Chosen for the least work: a recurrence step costs about
        three series terms (a division and a power against a multiply-add),
        so a low switch with a longer series wins (order 1: 8 and 14, where
        the tails' fixed ten terms need 15)."""
        def switch(terms):
            first, *_, omitted = polygamma_tail.coefficients(n, terms + 1)
            return _reach(first, omitted, 2, 1)
        return min(((switch(j), j) for j in range(TAIL_TERMS, 3 * TAIL_TERMS)),
                   key=lambda plan: 3 * plan[0] + plan[1])

    @staticmethod
    def switch(n):
        """The argument from which the series of order ``n`` is used: its
        last term is below 1e-17 of its first there."""
        terms = polygamma_tail.coefficients(n)
        return _reach(terms[0], terms[-1], TAIL_SWITCH, 5)


def large_series_terms(terms):
    """``(terms, arguments)``: the terms of a near-equal series with the
    special functions of large arguments written as an elementary leading
    part plus a small tail, and multiplied out so that the leading parts of
    the coefficients combine exactly, and the arguments whose size selects
    them; None when the terms have none of these functions.

    * ``psi^(n)(u)`` (``n >= 1``) -> ``(-1)^(n-1) (n-1)! / u^n +
      polygamma_tail(n, u)``: the Fisher information of a gamma shape near
      the direction that keeps the mean, ``psi'(a) a^2 - a``, is ``1/2`` from
      terms of size ``a`` (see :func:`factored_leading_part`);
    * ``I_n(x)`` (``n >= 1``) as ``I_0(x)`` times the asymptotic ratio
      ``1 - 1/(2x) + bessel_ratio_tail(x)`` (``n >= 2`` through the
      recurrence); ``I_0`` then cancels: the Fisher information of a von Mises
      concentration, ``1 - A/k - A^2`` with ``A = I_1/I_0``, is ``1/(2 k^2)``
      from terms of size 1.  (None if ``I_0`` would not cancel.)"""
    bessels = {f for t in terms for f in t.atoms(sympy.besseli)
               if f.args[0].is_integer and f.args[0] >= 0 and f.args[1].is_nonnegative}
    xs = sorted({f.args[1] for f in bessels if f.args[0] >= 1}, key=sympy.default_sort_key)
    polygammas = {f for t in terms for f in t.atoms(sympy.polygamma)
                  if f.args[0].is_integer and f.args[0] >= 1 and f.args[1].is_positive}
    if not xs and not polygammas or any(not x.is_Symbol for x in xs):
        return None
    # per Bessel argument x: I_0 -> i0 (a symbol), I_1 -> i0 (1 - w/2 + r),
    # w = 1/x; I_0 cancels from a term exactly when setting i0 to 1 and to 2 agree
    table, back = {}, {}
    for x in xs:
        i0, r = sympy.Dummy(f"i0_{x}", positive=True), sympy.Dummy(f"r_{x}")
        low = [i0, i0 * (1 - 1 / (2 * x) + r)]
        top = max(int(f.args[0]) for f in bessels if f.args[1] == x)
        for k in range(2, top + 1):
            low.append(sympy.expand(low[k - 2] - 2 * (k - 1) / x * low[k - 1]))
        table[x] = (i0, low)
        back[r] = bessel_ratio_tail(x)
    tails = {}
    for f in polygammas:
        tails[f] = polygamma_lead(*f.args) + sympy.Dummy(f"t{f.args[0]}")
        back[tails[f] - polygamma_lead(*f.args)] = polygamma_tail(*f.args)
    out = []
    for t in terms:
        t = t.replace(lambda e: isinstance(e, sympy.besseli) and e in bessels,
                      lambda e: table[e.args[1]][1][int(e.args[0])])
        t = t.xreplace(tails)
        # negative powers as powers of an inverse symbol: the terms are then
        # polynomials, multiplied out in a polynomial ring
        inverses = {}

        def polynomial(e):
            e = e.replace(lambda f: isinstance(f, sympy.Pow) and f.exp.is_Integer and f.exp < 0,
                          lambda f: inverses.setdefault(f.base, sympy.Dummy(positive=True))
                          ** (-f.exp))
            ring, *_ = sympy.polys.rings.ring(sorted(e.free_symbols, key=str) or [sympy.Dummy()],
                                              sympy.QQ)
            return _in_ring(e, ring).as_expr()
        try:
            expr = polynomial(t.xreplace({table[x][0]: 1 for x in xs}))
            if xs and sympy.expand(expr - polynomial(t.xreplace({table[x][0]: 2 for x in xs}))) != 0:
                return None
        except ValueError:
            return None
        expr = expr.xreplace({w: 1 / base for base, w in inverses.items()})
        out.append(expr.xreplace(back))
    arguments = set(xs) | {f.args[1] for f in polygammas}
    return tuple(out), sorted(arguments, key=sympy.default_sort_key)


def factored_leading_part(term):
    """``term`` with its part free of special functions (the leading parts
    of the coefficients) factored: ``(a d_b - b d_a)**2 / (2 a b**2)``
    instead of three terms of size ``d^2 / a`` that cancel where ``d_a / a``
    is near ``d_b / b``.  Can be slow: the caller budgets it."""
    functions = [t for t in Add.make_args(term) if t.has(sympy.Function)]
    rational = Add(*[t for t in Add.make_args(term) if not t.has(sympy.Function)])
    if rational == 0:
        return term
    return sympy.factor(sympy.together(rational)) + Add(*functions)


def _in_ring(expr, ring):
    """``expr`` (sums, products and natural powers of the ring's symbols and
    rationals) as a polynomial of ``ring``, multiplied out there (much faster
    than SymPy's ``expand`` on large terms); ValueError otherwise."""
    if expr.is_Rational:
        return ring(expr)
    if expr.is_Symbol:
        return ring(expr) if expr in ring.symbols else _not_polynomial(expr)
    if isinstance(expr, Add):
        out = ring.zero
        for a in expr.args:
            out += _in_ring(a, ring)
        return out
    if isinstance(expr, Mul):
        out = ring.one
        for a in expr.args:
            out *= _in_ring(a, ring)
        return out
    if isinstance(expr, sympy.Pow) and expr.exp.is_Integer and expr.exp >= 0:
        return _in_ring(expr.base, ring) ** int(expr.exp)
    return _not_polynomial(expr)


def _not_polynomial(expr):
    raise ValueError(f"not a polynomial: {expr}")
