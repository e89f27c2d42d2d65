"""Non-negativity, the equality case and asymmetry of KL."""

import sympy
from sympy import S

from ..derive import kl
from ..budget import time_budget
from ..constraints import decide
from ..errors import BudgetExceeded, DerivationError
from .lemmas import cite
from .proof import Proof, is_zero
from ._common import as_family, is_distribution_like, pair_constraints, sample_points

TOLERANCE_DIGITS = 30
SOLVE_SECONDS = 20
#: the optional second check (signs of the minors of Cov(T)) gives up after this
MINORS_SECONDS = 20


def nonnegative(claim, q=None, *, constraints=()):
    """Prove ``claim >= 0``.

    Parameters
    ----------
    claim : expression, or a family / name / distribution
        With ``q`` (or as a pair ``(p, q)``), the claim is KL(p || q) >= 0.
    q : family, name or distribution, optional
    constraints : sequence of relationals
        Extra constraints on the expression's symbols (a pair brings its
        families' constraints itself).

    Returns
    -------
    Proof

    Examples
    --------
    >>> from klsym import prove
    >>> prove.nonnegative("gamma", "gamma").holds
    True
    >>> import klsym, sympy
    >>> prove.nonnegative(klsym.kl("gamma", "gamma") - sympy.Rational(1, 1000)).holds
    False
    """
    if isinstance(claim, tuple) and q is None:
        claim, q = claim
    if q is not None and is_distribution_like(claim):
        return _pair_nonnegative(claim, q)
    return _expression_nonnegative(sympy.sympify(claim), list(constraints))


def _pair_nonnegative(p, q):
    fp, fq = as_family(p), as_family(q)
    divergence = kl(fp, fq)
    proof = Proof(f"KL({fp.name}(p) || {fq.name}(q)) >= 0 for all admissible parameters")
    if fp is fq and fp.canonical is not None and fp.canonical.is_minimal:
        return bregman_argument(fp, proof)
    found = _expression_nonnegative(divergence, pair_constraints(fp, fq))
    found.claim = proof.claim
    return found


def bregman_argument(family, proof):
    """KL of an exponential family is a Bregman divergence of a strictly convex A."""
    form = family.canonical
    to_p, to_q = family.renaming("p"), family.renaming("q")
    closed_q = {s: to_p[s] if s in form.fixed else to_q[s] for s in family.params}
    a, eta = form.log_normalizer, sympy.Matrix(form.natural_parameters)
    mean = sympy.Matrix(form.mean_statistics)
    bregman = (a.subs(closed_q, simultaneous=True) - a.subs(to_p, simultaneous=True)
               - (eta.subs(closed_q, simultaneous=True) - eta.subs(to_p, simultaneous=True))
               .dot(mean.subs(to_p, simultaneous=True)))
    # 1. the expectation-route KL is the Bregman divergence of A
    derived = kl(family, family, route="expectation")
    if isinstance(derived, sympy.Piecewise):  # the closed branch, not the +oo one
        closed = next(v for v, _ in derived.args if v != sympy.oo)
    else:
        closed = derived
    closed = closed.subs({to_q[s]: to_p[s] for s in form.fixed})
    if not is_zero(closed - bregman):
        proof.add("the expectation-route KL did not simplify to the Bregman form",
                  "SymPy could not show the identity", "identity")
        proof.evidence.append("identity KL = Bregman divergence not shown symbolically")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("KL"), bregman, evaluate=False),
              "KL derived by integration (expectation route) minus A(q) - A(p) - (eta_q - eta_p).E_p[T] "
              "simplifies to 0", "identity")
    # 2. E[T] is the gradient of A in the natural parameters
    jac = form.jacobian
    grad = sympy.Matrix([sympy.diff(a, s) for s in form.free])
    if not all(is_zero(e) for e in (jac.T * mean - grad)):
        proof.add("E[T] = grad_eta A not shown", "SymPy could not show the chain rule", "identity")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("E[T]"), sympy.Matrix(mean).T, evaluate=False),
              f"E[T] = grad_eta A: J^T E[T] - grad_theta A simplifies to 0, J = d eta/d theta "
              f"with det J = {sympy.simplify(jac.det())} != 0", "identity")
    # 3. 1, T_1, ..., T_m are linearly independent on the support
    independence = _independence(family)
    if independence is None:
        proof.add("linear independence of 1, T(x) not shown", "no witness found", "evaluation")
        return proof
    proof.add(*independence)
    # a second, direct check where SymPy can decide it: leading principal
    # minors of Hess_eta A = Cov(T) are positive
    try:
        with time_budget(MINORS_SECONDS, route="Cov(T) minors"):
            minors = _covariance_minors(form, family.constraints)
    except BudgetExceeded:
        minors = None
    if minors is not None:
        values, lemmas_used = minors
        proof.add(f"leading principal minors of Cov(T) = Hess_eta A: {values}, all > 0",
                  "signs decided by SymPy's assumptions"
                  + (" with " + "; ".join(cite(n) for n in lemmas_used) if lemmas_used else ""),
                  "sign")
    else:
        proof.evidence.append(f"the minors of Cov(T) were not decided symbolically (within "
                              f"{MINORS_SECONDS} s); the linear-independence argument does not "
                              f"need them")
    # convexity and the Bregman inequality
    proof.add("Hess_eta A = Cov(T) is positive definite, so A is strictly convex",
              cite("hessian_is_covariance") + "; " + cite("independent_statistics_pd"), "citation")
    proof.add("the segment between eta_p and eta_q lies in the natural parameter space",
              cite("natural_space_convex"), "citation")
    proof.add("KL(p || q) = B_A(eta_q, eta_p) >= 0, with equality iff eta_q = eta_p",
              cite("bregman"), "citation")
    for edge in _closed_edges(family):
        proof.add(f"at the closed edge {edge} the natural parameter is not finite; klsym's value "
                  f"there is the one-sided limit of the values above, hence >= 0 "
                  f"(and 0 exactly when p = q there)", "a limit of non-negative numbers is non-negative", "citation")
    if form.fixed:
        names = ", ".join(map(str, form.fixed))
        if not (isinstance(derived, sympy.Piecewise) and derived.args[-1][0].has(sympy.Sum, sympy.Integral)):
            # unequal fixed parameters have their own closed form, which this
            # argument does not cover: say so rather than cite it away
            proof.evidence.append(f"proved for equal {names} only; the closed form for unequal "
                                  f"{names} is not covered by the Bregman argument")
            return proof
        proof.add(f"where {names} differ between p and q, KL is +oo (p's support escapes q's) "
                  f"or the defining sum, which is >= 0", cite("gibbs"), "citation")
    proof.holds = True
    return proof


def _closed_edges(family):
    """Non-strict constraints on free parameters (geometric p <= 1): the
    boundary values they admit lie outside the natural parameter space."""
    free = set(family.canonical.free)
    return [f"{rel.lhs} = {rel.rhs}" for rel in family.constraints
            if isinstance(rel, (sympy.LessThan, sympy.GreaterThan)) and rel.free_symbols <= free
            and len(rel.free_symbols) == 1]


def _independence(family):
    """A witness that 1, T_1..T_m are linearly independent functions on the support."""
    form = family.canonical
    x = family.variable
    stats = [S.One, *form.sufficient_statistics]
    m = len(stats)
    if family.discrete:
        points = []
        support = family.support
        k = support.inf
        while len(points) < m:
            if decide(sympy.Le(k, support.sup), family.constraints) is not True:
                return None
            points.append(k)
            k += 1
        matrix = sympy.Matrix([[t.subs(x, k) for t in stats] for k in points])
        det = sympy.simplify(matrix.det())
        if det == 0:
            return None
        return (f"det[T_j(k_i)] over support points {points} = {det} != 0",
                "1, T_1..T_m are linearly independent on the support", "evaluation")
    wronskian = sympy.simplify(sympy.wronskian(stats, x))
    inside = _interior_point(family.support)
    value = sympy.simplify(wronskian.subs(x, inside))
    if value == 0 or value.has(sympy.nan, sympy.zoo):
        return None
    return (sympy.Eq(sympy.Symbol("W"), wronskian, evaluate=False),
            f"Wronskian of 1, T(x) is {value} != 0 at x = {inside}: the statistics are "
            f"linearly independent on the support", "evaluation")


def _covariance_minors(form, constraints):
    """Leading principal minors of Hess_eta A, if SymPy (with the numeric
    lemmas) decides that each is positive; else None."""
    jac_inv = form.jacobian.inv()
    mean = form.mean_statistics
    theta = list(form.free)
    curvature = sympy.hessian(form.log_normalizer, theta) - sum(
        (m * sympy.hessian(e, theta) for m, e in zip(mean, form.natural_parameters)),
        sympy.zeros(len(theta)))
    cov = (jac_inv.T * curvature * jac_inv).applyfunc(sympy.simplify)
    values, used = [], set()
    for k in range(1, cov.rows + 1):
        minor = sympy.simplify(cov[:k, :k].det())
        decided = _positive(minor, constraints)
        if decided is None:
            return None
        values.append(minor)
        used |= decided
    return values, sorted(used)


def _positive(expr, constraints=()):
    """Lemma names used to show ``expr > 0`` (empty set: assumptions and
    constraints alone), or None."""
    if expr.is_positive or decide(sympy.Gt(expr, 0), constraints) is True:
        return set()
    trigammas = [a for a in expr.atoms(sympy.polygamma) if a.args[0] == 1 and a.args[1].is_positive]
    if not trigammas:
        return None
    for name in ("t_trigamma_exceeds_one", "trigamma_positive"):
        replaced = expr
        for atom in trigammas:
            eps = sympy.Dummy("epsilon", positive=True)
            z = atom.args[1]
            # t_trigamma_exceeds_one: z psi'(z) = 1 + eps;  trigamma_positive: psi'(z) = eps
            replaced = replaced.subs(atom, (1 + eps) / z if name == "t_trigamma_exceeds_one" else eps)
        if sympy.simplify(replaced).is_positive:
            return {name}
    return None


def _interior_point(support):
    lo, hi = support.inf, support.sup
    if lo.is_finite and hi.is_finite:
        return (lo + hi) / 2
    if lo.is_finite:
        return lo + 1
    if hi.is_finite:
        return hi - 1
    return S.Half


def _expression_nonnegative(expr, constraints):
    proof = Proof(f"{expr} >= 0")
    points = sample_points(expr.free_symbols, constraints)
    for point in points:
        value = sympy.N(expr.subs(point), TOLERANCE_DIGITS)
        if value.is_real and value < -sympy.Float(10) ** (-TOLERANCE_DIGITS + 5):
            proof.holds = False
            proof.counterexample = point
            proof.add(sympy.Eq(expr.subs(point), value, evaluate=False),
                      f"evaluated exactly and to {TOLERANCE_DIGITS} digits at an admissible point",
                      "evaluation")
            return proof
    sign = sympy.simplify(expr).is_nonnegative
    if sign:
        proof.holds = True
        proof.add(expr, "SymPy's assumptions on the symbols decide that it is >= 0", "sign")
        return proof
    proof.evidence.append(f">= 0 at {len(points)} sampled admissible points")
    return proof


def zero_iff_equal(family):
    """Prove KL(p || q) = 0 if and only if the parameters of p and q are equal.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.zero_iff_equal("poisson").holds
    True
    """
    f = as_family(family)
    proof = Proof(f"KL({f.name}(theta_p) || {f.name}(theta_q)) = 0 iff theta_p = theta_q")
    same = kl(f(), f())
    if not is_zero(same):
        proof.add(same, "KL(p || p) did not simplify to 0", "identity")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("KL(p||p)"), 0), "KL(p || p) simplifies to 0 (if)", "identity")
    form = f.canonical
    if form is None or not form.is_minimal:
        proof.evidence.append("no exponential-family form: the 'only if' part is not attempted")
        return proof
    convex = bregman_argument(f, Proof("nonnegativity"))
    if convex.holds is not True:
        return proof
    proof.steps += convex.steps
    to_p, to_q = f.renaming("p"), f.renaming("q")
    eta = form.natural_parameters
    unknowns = [to_q[s] for s in form.free]
    equations = [sympy.Eq(e.subs(to_q), e.subs(to_p)) for e in eta]
    try:
        with time_budget(SOLVE_SECONDS, route="solve"):
            solutions = sympy.solve(equations, unknowns, dict=True)
    except DerivationError:
        proof.add("solve eta(theta_q) = eta(theta_p) did not finish", f"budget {SOLVE_SECONDS} s",
                  "solve")
        return proof
    expected = {to_q[s]: to_p[s] for s in form.free}
    if solutions != [expected]:
        proof.add(f"solve eta(theta_q) = eta(theta_p): {solutions}",
                  "the solution is not unique or not found", "solve")
        return proof
    proof.add(f"eta(theta_q) = eta(theta_p) has the unique solution {expected}",
              "sympy.solve over the admissible (assumption-carrying) symbols: eta is injective, "
              "so KL = 0 forces theta_q = theta_p (only if)", "solve")
    if form.fixed:
        proof.add(f"with {', '.join(map(str, form.fixed))} unequal, p != q and KL > 0",
                  cite("gibbs"), "citation")
    proof.holds = True
    return proof


def asymmetric(family, digits=50):
    """Exhibit exact parameters with KL(p || q) != KL(q || p).

    Examples
    --------
    >>> from klsym import prove
    >>> prove.asymmetric("normal").holds
    True
    """
    f = as_family(family)
    proof = Proof(f"KL is not symmetric on {f.name}: KL(p || q) != KL(q || p) for some p, q")
    points = f.admissible_points(4)
    fixed = f.canonical.fixed if f.canonical else ()
    for a in points:
        for other in points:
            b = {s: a[s] if s in fixed else other[s] for s in f.params}  # fixed ones shared
            if a == b or not all(c.subs(b) == sympy.true for c in f.constraints):
                continue
            pa, pb = f(**{s.name: v for s, v in a.items()}), f(**{s.name: v for s, v in b.items()})
            forward, backward = kl(pa, pb), kl(pb, pa)
            gap = sympy.N(forward - backward, digits)
            if abs(gap) > sympy.Float(10) ** (-digits + 10):
                proof.add(sympy.Eq(sympy.Symbol("KL(p||q)"), forward, evaluate=False),
                          f"exact, p = {pa}, q = {pb}", "evaluation")
                proof.add(sympy.Eq(sympy.Symbol("KL(q||p)"), backward, evaluate=False),
                          "exact", "evaluation")
                proof.add(f"KL(p||q) - KL(q||p) = {sympy.N(gap, 20)} != 0",
                          f"evaluated to {digits} digits", "evaluation")
                proof.counterexample = {"p": pa, "q": pb}
                proof.holds = True
                return proof
    proof.evidence.append("no asymmetric pair found among the admissible points tried")
    return proof
