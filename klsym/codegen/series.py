"""The KL near p = q as a series in the parameter differences.

A closed-form KL cancels catastrophically when q is near p: it is a
difference of O(1) terms whose result is O(|d|^2).  With ``theta_q = theta_p
+ t d`` the KL is expanded in ``t`` around 0 and evaluated at ``t = 1``:
``KL = sum_k c_k(theta_p, d)``, where ``c_0 = c_1 = 0`` and
``c_2 = d^T I(theta_p) d / 2`` with ``I`` the Fisher information (``c_1``
is not 0 only where a support end moves with a parameter).  Each
``c_k`` is a homogeneous polynomial of degree ``k`` in the differences
``d``, which the caller forms once, exactly, from the inputs.

The ratio of successive terms, ``r = |c_3 / c_2| + sqrt(|c_4 / c_2|)``,
decides per element whether the series (truncated after ``order``) or the
closed form is the more accurate; see :func:`switch_point`.
"""

from dataclasses import dataclass

import sympy
from sympy import S

from ..errors import DerivationError


@dataclass(frozen=True)
class NearEqualSeries:
    """Terms ``c_2 .. c_order`` in the p-parameters and the differences."""

    terms: tuple       # c_1 (only if not 0), c_2, ..., c_order
    differences: dict  # q symbol -> difference symbol d_name
    order: int
    first_order: bool = False

    @property
    def ratios(self):
        """``(leading term, |c_next / c_lead| + sqrt(|c_next2 / c_lead|))``.

        The ratio of successive terms measures how far q is from p in the
        units where the series converges geometrically, whatever factor
        multiplies the whole KL (a tiny Poisson rate, a tiny shape); the
        series is used where it is small.
        """
        lead, following = self.terms[0], self.terms[1:3]
        size = S.Zero
        for power, term in enumerate(following, start=1):
            size += sympy.Abs(term / lead) ** sympy.Rational(1, power)
        return lead, size


#: default order: the series and the closed form then meet near 1e-14
ORDER = 12


def near_equal_series(expr, pairs, order=ORDER):
    """The series of ``expr`` (a KL in ``theta_p``, ``theta_q``) around q = p.

    Parameters
    ----------
    expr : sympy.Expr
        The closed form.
    pairs : list of (p symbol, q symbol)
        The parameters that may differ; others are held equal.
    order : int
        Highest power of the differences kept.

    Raises DerivationError if the constant or linear term does not vanish
    (then ``expr`` is not a divergence in these parameters).
    """
    t = sympy.Symbol("t", positive=True)
    differences = difference_symbols(pairs)
    moved = expr.subs({q: p + t * differences[q] for p, q in pairs}, simultaneous=True)
    combined = {}
    coefficients = taylor(moved, t, order, combined)
    back = {symbol: combination for combination, symbol in combined.items()}
    if sympy.simplify(coefficients[0].xreplace(back)) != 0:
        raise DerivationError(f"the value at p = q is not 0 but {coefficients[0]}", route="series")
    terms, first = [], False
    linear = sympy.simplify(coefficients[1].xreplace(back))
    if linear != 0:
        # 0 for smooth families; a support end that moves with a parameter
        # (pareto xm, uniform a, b) makes the KL first order
        terms.append(linear)
        first = True
    ds = list(differences.values()) + list(back)
    terms += [_compact(sympy.expand(c), ds).xreplace(back) for c in coefficients[2:]]
    return NearEqualSeries(tuple(terms), differences, order, first)


def _compact(c, ds):
    """``c`` (a polynomial in the differences ``ds``) with each coefficient
    that is a rational function of the parameters of p factored.

    Expanded, ``1 / (1 - p)**12`` becomes a polynomial whose terms cancel to
    nothing for p near 1; factored it is computed from ``1 - p`` directly.
    (Coefficients with special functions are left expanded: factoring them
    is slow and their terms do not cancel that way.)
    """
    try:
        poly = sympy.Poly(c, *ds)
    except sympy.PolynomialError:
        return sympy.factor_terms(c)
    if any(coefficient.has(sympy.Function) for coefficient in poly.coeffs()):
        return sympy.factor_terms(c)
    return sympy.factor_terms(sympy.Add(*[
        sympy.factor(sympy.together(coefficient)) * sympy.Mul(*[d ** k for d, k in zip(ds, monomial)])
        for monomial, coefficient in poly.terms()]))


def difference_symbols(pairs):
    """``{q symbol: d symbol}``: ``d_alpha`` stands for ``alpha_q - alpha_p``."""
    return {q: sympy.Symbol(f"d_{q.name[:-2] if q.name.endswith('_q') else q.name}", real=True)
            for _, q in pairs}


def taylor(expr, t, order, combined=None):
    """Coefficients ``[c_0, ..., c_order]`` of ``expr`` in powers of ``t``.

    Truncated power series are composed bottom-up (sums, products, powers,
    and ``f(u0 + v)`` = sum of ``f^(j)(u0) v^j / j!`` for any differentiable
    function ``f``), which stays small where differentiating the whole
    expression ``order`` times would not.

    With a dict ``combined``, an argument that moves along a sum of several
    differences (``f(a1 + a2 + t (d1 + d2))``) is expanded in one new symbol
    for that sum, recorded as ``{sum: symbol}``: its powers stay powers of one
    number instead of multinomials that grow with the order (and that cancel
    where the differences nearly do).
    """
    if not expr.has(t):
        return [expr] + [S.Zero] * order
    if expr == t:
        return [S.Zero, S.One] + [S.Zero] * (order - 1)
    if isinstance(expr, sympy.Add):
        parts = [taylor(a, t, order, combined) for a in expr.args]
        return [sympy.Add(*c) for c in zip(*parts)]
    if isinstance(expr, sympy.Mul):
        out = None
        for factor in expr.args:
            series = taylor(factor, t, order, combined)
            out = series if out is None else _times(out, series, order)
        return out
    if isinstance(expr, sympy.Pow):
        base, power = expr.args
        if not power.has(t) and power.is_Integer and power > 0:
            inner = taylor(base, t, order, combined)
            out = inner
            for _ in range(int(power) - 1):
                out = _times(out, inner, order)
            return out
        if not power.has(t):
            z = sympy.Dummy("z")
            return _compose(z ** power, z, taylor(base, t, order, combined), order, combined)
        return taylor(sympy.exp(power * sympy.log(base)), t, order, combined)
    if isinstance(expr, sympy.Function) and len(expr.args) >= 1:
        moving = [i for i, a in enumerate(expr.args) if a.has(t)]
        if len(moving) == 1:
            (i,) = moving
            z = sympy.Dummy("z")
            args = list(expr.args)
            args[i] = z
            return _compose(expr.func(*args), z, taylor(expr.args[i], t, order, combined), order,
                            combined)
    raise DerivationError(f"cannot expand {expr} in a power series", route="series")


def _times(a, b, order):
    return [sympy.expand(sympy.Add(*[a[i] * b[k - i] for i in range(k + 1)]))
            for k in range(order + 1)]


def _compose(outer, z, inner, order, combined=None):
    """Series of ``outer(z)`` at ``z = inner(t)``."""
    if combined is not None and isinstance(inner[1], sympy.Add) and \
            all(c == 0 for c in inner[2:]):
        if inner[1] not in combined:
            combined[inner[1]] = sympy.Dummy(f"c{len(combined)}", real=True)
        inner = [inner[0], combined[inner[1]]] + list(inner[2:])
    u0, v = inner[0], [S.Zero] + list(inner[1:])
    out = [S.Zero] * (order + 1)
    power = [S.One] + [S.Zero] * order  # v**0
    derivative = outer
    for j in range(order + 1):
        coefficient = derivative.subs(z, u0) / sympy.factorial(j)
        if coefficient != 0:
            for k in range(order + 1):
                out[k] += coefficient * power[k]
        if j < order:
            derivative = sympy.diff(derivative, z)
            power = _times(power, v, order)
    return [sympy.expand(c) for c in out]


def switch_point(order):
    """Size ``r`` below which the truncated series beats the closed form.

    The closed form loses ``~ eps / r^2`` (relative), the series
    ``~ r^(order - 1)``; the two meet at ``r = eps^(1/(order+1))``.
    """
    eps = 2.0 ** -52
    return eps ** (1.0 / (order + 1))
