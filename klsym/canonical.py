"""The exponential-family form of a family, read off its log-density.

``log p(x) = eta(theta) . T(x) - A(theta) + log h(x)`` is recovered by sorting
the additive terms of the expanded log-density: terms in the parameters only
go to ``-A``, terms in the variable only (and constants) to ``log h``, and
each mixed term ``c(theta) g(x)`` adds ``c`` to the natural parameter of the
statistic ``g``.  A parameter that cannot be separated from the variable (it
appears in ``g``, or in the support) is *held fixed*: the family is then an
exponential family in the remaining parameters for each fixed value (binomial
with its ``n``, Weibull with its shape ``k``).  A family with no free
parameter left has no exponential-family form.
"""

from dataclasses import dataclass
from functools import cached_property

import sympy
from sympy import Add, S


@dataclass(frozen=True)
class ExponentialFamilyForm:
    """``p(x) = h(x) exp(eta . T(x) - A)`` with parameters ``free``.

    Attributes
    ----------
    natural_parameters : tuple
        ``eta_i(theta)``.
    sufficient_statistics : tuple
        ``T_i(x)``.
    log_normalizer : sympy expression
        ``A(theta)``.
    log_base_measure : sympy expression
        ``log h(x)`` (may involve the fixed parameters).
    free, fixed : tuple of Symbol
        Parameters the form is exponential in, and those held fixed.
    """

    natural_parameters: tuple
    sufficient_statistics: tuple
    log_normalizer: sympy.Expr
    log_base_measure: sympy.Expr
    free: tuple
    fixed: tuple

    @property
    def is_minimal(self):
        """One statistic per free parameter, with an invertible Jacobian."""
        return self.jacobian is not None

    @cached_property
    def jacobian(self):
        """``d eta_i / d theta_j``, or None if it is not square and invertible."""
        if len(self.natural_parameters) != len(self.free):
            return None
        jac = sympy.Matrix(self.natural_parameters).jacobian(list(self.free))
        return jac if sympy.simplify(jac.det()) != 0 else None

    @cached_property
    def mean_statistics(self):
        """``E[T(X)] = grad_eta A``, through the chain rule in ``theta``.

        ``dA/dtheta_j = sum_i (d eta_i / d theta_j) E[T_i]``, a linear system
        solved by SymPy.  None when the form is not minimal.
        """
        if self.jacobian is None:
            return None
        grad = sympy.Matrix([sympy.diff(self.log_normalizer, t) for t in self.free])
        solution = self.jacobian.T.LUsolve(grad)
        return tuple(sympy.simplify(e) for e in solution)


def _split(term, x):
    coefficient, g = term.as_independent(x, as_Add=False)
    number, g = g.as_coeff_Mul()
    return coefficient * number, g


def exponential_family_form(family):
    """Return the :class:`ExponentialFamilyForm` of ``family``, or None.

    Multivariate families have none here: they take the expectation route.
    Nor has a family whose parameters are tied by an equation (categorical
    probabilities summing to 1): the chain rule E[T] = grad A needs
    parameters that vary freely.
    """
    if family.is_multivariate or any(isinstance(c, sympy.Eq) for c in family.constraints):
        return None
    x = family.variable
    params = set(family.params)
    terms = Add.make_args(family.log_density)
    fixed = family.support.free_symbols & params
    for term in terms:
        if term.has(x):
            fixed |= _split(term, x)[1].free_symbols & params
    free = tuple(p for p in family.params if p not in fixed)
    if not free:
        return None
    statistics, log_h, minus_a = {}, S.Zero, S.Zero
    for term in terms:
        if not term.has(x):
            if term.free_symbols & set(free):
                minus_a += term
            else:
                log_h += term
            continue
        coefficient, g = _split(term, x)
        if coefficient.free_symbols & set(free):
            statistics[g] = statistics.get(g, S.Zero) + coefficient
        else:
            log_h += term
    if not statistics:
        return None
    order = sorted(statistics, key=sympy.default_sort_key)
    return ExponentialFamilyForm(
        natural_parameters=tuple(sympy.factor_terms(statistics[g]) for g in order),
        sufficient_statistics=tuple(order),
        log_normalizer=sympy.simplify(-minus_a),
        log_base_measure=log_h,
        free=free,
        fixed=tuple(p for p in family.params if p in fixed),
    )
