"""Textbook results: Pinsker for Bernoulli, invariance under a change of
variable, and cross-entropy minimisation = maximum likelihood."""

import sympy

from ..derive import kl
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


def additivity(p1, q1, p2, q2):
    """Prove KL(p1 x p2 || q1 x q2) = KL(p1 || q1) + KL(p2 || q2) for
    independent products, with symbolic parameters.

    Steps: the log-ratio of the products splits into the two log-ratios
    (identity); integrating a function of one coordinate against the product
    leaves its expectation under that marginal because the other density
    integrates to 1 (each total mass derived by SymPy); the two KLs are
    derived by klsym.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.additivity("normal", "normal", "gamma", "gamma").holds
    True
    """
    families = [as_family(f) for f in (p1, q1, p2, q2)]
    suffixes = ("p1", "q1", "p2", "q2")
    x, y = sympy.Symbol("x", real=True), sympy.Symbol("y", real=True)
    density = {}
    for f, suffix, var in zip(families, suffixes, (x, x, y, y)):
        density[suffix] = f.pdf.subs(f.renaming(suffix), simultaneous=True).subs(f.variable, var)
    proof = Proof(f"KL({families[0].name} x {families[2].name} || {families[1].name} x "
                  f"{families[3].name}) = KL({families[0].name} || {families[1].name}) + "
                  f"KL({families[2].name} || {families[3].name})")
    joint = sympy.log(density["p1"] * density["p2"] / (density["q1"] * density["q2"]))
    split = sympy.log(density["p1"] / density["q1"]) + sympy.log(density["p2"] / density["q2"])
    if not is_zero(joint - split):
        proof.add("the log-ratio of the products did not split", "SymPy could not simplify", "identity")
        return proof
    proof.add(sympy.Eq(joint, split, evaluate=False),
              "log of the product ratio minus the sum of the log-ratios simplifies to 0")
    from ..expectations import total_mass
    for f, suffix in ((families[2], "p2"), (families[0], "p1")):
        mass = total_mass(f)
        if mass is None or not is_zero(mass - 1):
            proof.add(f"the total mass of {f.name} was not derived", "SymPy could not integrate",
                      "identity")
            return proof
        proof.add(f"integral of {f.name}({suffix}) over its support = 1",
                  "derived by SymPy; so E over the product of a function of one coordinate is "
                  "its expectation under that coordinate's marginal (Fubini)", "identity")
    parts = []
    for fp, fq, sp, sq in ((families[0], families[1], "p1", "q1"), (families[2], families[3], "p2", "q2")):
        rename = {**{s: t for s, t in zip(fp.symbols("p"), fp.symbols(sp))},
                  **{s: t for s, t in zip(fq.symbols("q"), fq.symbols(sq))}}
        parts.append(kl(fp, fq).subs(rename, simultaneous=True))
    proof.add(sympy.Eq(sympy.Symbol("KL_product"), parts[0] + parts[1], evaluate=False),
              "linearity of expectation; both KLs derived by klsym")
    proof.holds = True
    return proof


def gaussian_split():
    """Prove the Gaussian KL splits into a Mahalanobis term and a
    trace/log-determinant term, each non-negative (d = 1).

    ``KL = (mu_p - mu_q)^2 / (2 sigma_q^2) + (t - 1 - log t) / 2`` with
    ``t = sigma_p^2 / sigma_q^2``; the first is a square over a positive
    number, the second is >= 0 by ``log t <= t - 1``.  This is also a second,
    closed-form proof that the Normal KL is non-negative.

    Examples
    --------
    >>> from klsym import prove
    >>> prove.gaussian_split().holds
    True
    """
    from .lemmas import cite
    f = lookup("normal")
    (mu_p, s_p), (mu_q, s_q) = f.symbols("p"), f.symbols("q")
    divergence = kl(f, f)
    mahalanobis = (mu_p - mu_q) ** 2 / (2 * s_q ** 2)
    t = s_p ** 2 / s_q ** 2
    trace_logdet = (t - 1 - sympy.log(t)) / 2
    proof = Proof("KL(N(mu_p, sigma_p) || N(mu_q, sigma_q)) = Mahalanobis term + trace/log-det "
                  "term, each >= 0")
    if not is_zero(divergence - mahalanobis - trace_logdet):
        proof.add("the split did not simplify", "SymPy could not simplify", "identity")
        return proof
    proof.add(sympy.Eq(sympy.Symbol("KL"), mahalanobis + trace_logdet, evaluate=False),
              "derived KL minus the split simplifies to 0")
    if not mahalanobis.is_nonnegative or not t.is_positive:
        return proof
    proof.add(sympy.Ge(mahalanobis, 0, evaluate=False), "a square over a positive number", "sign")
    proof.add(sympy.Ge(trace_logdet, 0, evaluate=False),
              f"t = {t} > 0 and {cite('log_below_tangent')}", "citation")
    proof.holds = True
    return proof
