"""Textbook results: Pinsker for Bernoulli, invariance under a change of
variable, and cross-entropy minimisation = maximum likelihood."""

import sympy

from ..derive import cross_entropy, kl
from ..family import Distribution
from ..registry import lookup
from .identities import equal
from .proof import Proof, is_zero
from ._common import as_family


def pinsker_bernoulli():
    """Prove KL(Bern(p) || Bern(q)) >= 2 (p - q)^2 for 0 < p, q < 1.

    With ``g(q) = KL - 2 (p - q)^2``: ``g(p) = 0`` and
    ``g'(q) = (q - p) (2 q - 1)^2 / (q (1 - q))``, which has the sign of
    ``q - p``; so ``g`` is smallest at ``q = p``.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.pinsker_bernoulli().holds
    True
    """
    f = lookup("bernoulli")
    (pp,), (pq,) = f.symbols("p"), f.symbols("q")
    divergence = kl(f, f)
    g = divergence - 2 * (pp - pq) ** 2
    proof = Proof("Pinsker for Bernoulli: KL(Bern(p) || Bern(q)) >= 2 (p - q)^2")
    proof.add(sympy.Eq(sympy.Symbol("g"), g, evaluate=False), "g(q) = KL - 2 (p - q)^2, KL derived")
    at_p = g.subs(pq, pp)
    if not is_zero(at_p):
        return proof
    proof.add(sympy.Eq(sympy.Symbol("g(p)"), 0), "g vanishes at q = p (simplified)")
    derivative = sympy.diff(g, pq)
    factored = (pq - pp) * (2 * pq - 1) ** 2 / (pq * (1 - pq))
    if not is_zero(derivative - factored):
        proof.add(derivative, "the derivative did not factor as expected", "identity")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("dg/dq"), factored, evaluate=False),
              "dg/dq minus this factorisation simplifies to 0")
    weight = factored / (pq - pp)
    proof.add(sympy.Ge(weight, 0, evaluate=False),
              "a square over q (1 - q) > 0 for 0 < q < 1", "sign")
    proof.add("g decreases for q < p and increases for q > p, so g(q) >= g(p) = 0",
              "sign of dg/dq is the sign of q - p (mean value theorem)", "sign")
    proof.holds = True
    return proof


def change_of_variable(p_family, q_family, correspondence=None):
    """Prove KL is unchanged by a bijective change of variable, as an identity
    between two derived KLs whose parameters correspond.

    ``correspondence`` maps ``q_family`` parameter names to expressions in
    ``p_family``'s (default: same names).  ``("lognormal", "normal")`` and
    ``("exponential", "gamma", {"alpha": 1, "beta": "lam"})`` are the
    textbook cases.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.change_of_variable("lognormal", "normal").holds
    True
    """
    fa, fb = as_family(p_family), as_family(q_family)
    correspondence = correspondence or {name: name for name in fb.parameter_names}
    own = {s.name: s for s in fa.params}
    values = {name: sympy.sympify(v, locals=own) if isinstance(v, str) else sympy.sympify(v)
              for name, v in correspondence.items()}

    def member(suffix):
        rename = fa.renaming(suffix)
        return fb(**{n: sympy.sympify(v).subs(rename, simultaneous=True) for n, v in values.items()})

    left = kl(fa, fa)
    right = kl(member("p"), member("q"))
    return equal(left, right, claim=f"KL between {fa.name} members equals KL between the "
                                    f"corresponding {fb.name} members ({correspondence})")


def moment_matching(family):
    """Prove that minimising H(p, q_theta) over an exponential family q means
    matching moments: the stationarity condition is E_q[T] = E_p[T].

    ``d/dtheta_q H(p, q) = J^T (E_q[T] - E_p[T])`` with ``J = d eta / d theta``
    invertible, and the minimum is unique because A is strictly convex (see
    :func:`klsym.prove.nonnegative`).  For data, E_p[T] is the sample mean of
    T, so this is maximum likelihood.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.moment_matching("gamma").holds
    True
    """
    f = as_family(family)
    form = f.canonical
    proof = Proof(f"argmin_q H(p, q) over {f.name} satisfies E_q[T] = E_p[T] (maximum likelihood)")
    if form is None or not form.is_minimal:
        proof.evidence.append(f"{f.name} has no minimal exponential-family form")
        return proof
    to_q = f.renaming("q")
    m = sympy.Matrix(sympy.symbols(f"m1:{len(form.sufficient_statistics) + 1}", real=True))
    a, eta = form.log_normalizer, sympy.Matrix(form.natural_parameters)
    objective = a - eta.dot(m)  # H(p, q) up to terms free of q's parameters
    grad = sympy.Matrix([sympy.diff(objective, s) for s in form.free])
    mean_q = sympy.Matrix(form.mean_statistics)
    claimed = form.jacobian.T * (mean_q - m)
    if not all(is_zero(e) for e in grad - claimed):
        proof.add("gradient identity not shown", "SymPy could not simplify", "identity")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("H(p,q)"), objective.subs(to_q, simultaneous=True)
                       + sympy.Symbol("c_p"), evaluate=False),
              "cross-entropy of the family with E_p[T] = m; c_p is free of q's parameters", "identity")
    proof.add(sympy.Eq(sympy.Symbol("grad_theta_q H"), claimed.subs(to_q, simultaneous=True),
                       evaluate=False),
              "the gradient minus J^T (E_q[T] - m) simplifies to 0", "identity")
    proof.add(f"det J = {sympy.simplify(form.jacobian.det())} != 0, so grad = 0 iff E_q[T] = m",
              "J invertible (checked)", "identity")
    proof.add("the stationary point is the unique minimum: H(p, q) - H(p) = KL >= 0 is a "
              "Bregman divergence of the strictly convex A", "see prove.nonnegative", "citation")
    proof.holds = True
    return proof
