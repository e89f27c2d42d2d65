"""Identities: equality of two expressions, CE = H + KL."""

import sympy

from ..derive import cross_entropy, entropy, kl
from .proof import Proof, is_zero
from ._common import as_family, sample_points

DIGITS = 40


def equal(a, b, *, constraints=(), claim=None):
    """Prove ``a == b`` for all values of their symbols.

    The proof is ``simplify(a - b) == 0``; if SymPy cannot show it, exact
    evaluation at sampled admissible points either finds a counterexample
    (disproved) or is listed as evidence (unknown).

    Examples
    --------
    >>> import sympy
    >>> from klsym import prove
    >>> x = sympy.Symbol("x", positive=True)
    >>> prove.equal(sympy.log(x**2), 2 * sympy.log(x)).holds
    True
    """
    a, b = sympy.sympify(a), sympy.sympify(b)
    proof = Proof(claim or f"{a} = {b}")
    if _branches_equal(a, b):
        proof.add(sympy.Eq(a - b, 0, evaluate=False), "SymPy simplifies the difference to 0")
        proof.holds = True
        return proof
    points = sample_points((a - b).free_symbols, constraints)
    for point in points:
        gap = sympy.N((a - b).subs(point), DIGITS)
        if gap.is_real and gap.is_finite and abs(gap) > sympy.Float(10) ** (-DIGITS + 10):
            proof.holds = False
            proof.counterexample = point
            proof.add(f"a - b = {sympy.N(gap, 15)} at {point}", f"evaluated to {DIGITS} digits",
                      "evaluation")
            return proof
    proof.evidence.append(f"a = b to {DIGITS} digits at {len(points)} sampled points")
    return proof


def _branches_equal(a, b):
    if isinstance(a, sympy.Piecewise) and isinstance(b, sympy.Piecewise) and len(a.args) == len(b.args):
        return all(ca == cb and (va == vb or is_zero(va - vb))
                   for (va, ca), (vb, cb) in zip(a.args, b.args))
    return a == b or is_zero(a - b)


def cross_entropy_decomposition(p, q):
    """Prove H(p, q) = H(p) + KL(p || q) for the pair (symbolic parameters).

    Each side is derived independently; the identity is checked by SymPy,
    branch by branch where the result is a Piecewise: closed branches by
    simplification, +oo branches as such, and branches left as the defining
    sum/integral by checking the identity on the summands (H(p) taken as its
    own defining sum over the same support).

    Examples
    --------
    >>> from klsym import prove
    >>> prove.cross_entropy_decomposition("gamma", "gamma").holds
    True
    """
    fp, fq = as_family(p), as_family(q)
    ce, h, d = cross_entropy(fp, fq), entropy(fp()), kl(fp, fq)
    h = h.subs(fp.renaming("p"), simultaneous=True)
    claim = f"H({fp.name}(p), {fq.name}(q)) = H({fp.name}(p)) + KL({fp.name}(p) || {fq.name}(q))"
    proof = Proof(claim)
    proof.steps += [_derived("H(p, q)", ce), _derived("H(p)", h), _derived("KL(p || q)", d)]
    ce_branches = ce.args if isinstance(ce, sympy.Piecewise) else ((ce, sympy.true),)
    kl_branches = d.args if isinstance(d, sympy.Piecewise) else ((d, sympy.true),)
    if len(ce_branches) != len(kl_branches) or any(a[1] != b[1] for a, b in zip(ce_branches, kl_branches)):
        proof.evidence.append("H(p, q) and KL(p || q) have different case splits")
        return proof
    for (ce_value, condition), (kl_value, _) in zip(ce_branches, kl_branches):
        where = "" if condition == sympy.true else f" where {condition}"
        if ce_value == sympy.oo and kl_value == sympy.oo:
            proof.add(f"H(p, q) = KL(p || q) = +oo{where}", "both derived as +oo (support rule)",
                      "identity")
        elif isinstance(ce_value, (sympy.Sum, sympy.Integral)) and type(kl_value) is type(ce_value):
            if ce_value.limits != kl_value.limits:
                proof.evidence.append(f"defining sums over different ranges{where}")
                return proof
            density = _density_in(ce_value)
            if density is None or not is_zero(ce_value.function - (kl_value.function - density * sympy.log(density))):
                proof.evidence.append(f"summand identity not shown{where}")
                return proof
            proof.add(f"-p log q = -p log p + p log(p/q) termwise{where}",
                      "the summands of H(p, q) - H(p) - KL(p || q), with H(p) = -sum p log p over "
                      "the same support, simplify to 0", "identity")
        else:
            if not is_zero(ce_value - kl_value - h):
                found = equal(ce_value, kl_value + h)
                proof.evidence += found.evidence
                if found.holds is False:
                    proof.holds, proof.counterexample = False, found.counterexample
                return proof
            proof.add(sympy.Eq(ce_value - kl_value - h, 0, evaluate=False),
                      f"H(p, q) - H(p) - KL(p || q) simplifies to 0{where}", "identity")
    proof.holds = True
    return proof


def _density_in(defining):
    """The density p in a defining sum/integral whose summand is ``-p log q``."""
    factors = sympy.Mul.make_args(-defining.function)
    logs = [f for f in factors if isinstance(f, sympy.log)]
    if len(logs) != 1:
        return None
    return sympy.Mul(*[f for f in factors if f is not logs[0]])


def _derived(name, expr):
    from .proof import Step
    return Step(sympy.Eq(sympy.Symbol(name), expr, evaluate=False), "derived by klsym", "identity")
