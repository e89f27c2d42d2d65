"""Quantities that are one term summed over the entries of vectors: one
function for every length.

The categorical KL is ``sum_i p_i log(p_i / q_i)``; less its first-order
term, which vanishes on the simplex (see
:func:`~klsym.codegen.plan._vanishing_tangent`), it is ``sum_i g(p_i, q_i)``
with ``g(p, q) = p log(p / q) - p + q``.  Printed per length, its module
names every entry (``p1_p`` ... ``pK_p``), SymPy derives its series in K
differences, and the first call at K = 100 took minutes.  Here the
quantity is derived at two small lengths (:data:`SIZES`); where it is
one expression of the i-th entries summed over i at both, and every
constraint is either one entry's (``p_i > 0``) or a sum of a vector's
entries equal to a constant (``sum_i p_i = 1``), the plan is made for one
entry: the closed form, its series near ``p = q``, its remainder form, as
for a family of scalars.  :func:`~klsym.codegen.numpy_backend.summed_source`
prints the module: the term on every entry of a block of rows at once,
summed over the last axis; where a row's sum cancelled, each of its entries
whose own term cancelled takes the entry's remainder form or series, and
the row is summed again.  The terms of the categorical KL, each a KL of the
entries as measures, are nonnegative, so that sum loses nothing to
cancellation.  Nothing here names a family.
"""

from dataclasses import dataclass
from functools import cached_property

import sympy

from ..derive import cross_entropy, entropy, kl
from .plan import _renamed, _vanishing_tangent, make_plan
from .series import difference_symbols

#: the lengths at which a quantity must be the same sum over entries
SIZES = (3, 4)

_DERIVE = {"kl": kl, "entropy": entropy, "cross_entropy": cross_entropy}


@dataclass(frozen=True)
class EntryFamily:
    """One entry of a family whose parameters are all vectors of one
    length: a parameter per vector (named as the vector), and the
    constraints on one entry.  What :func:`~klsym.codegen.plan.make_plan`
    reads of a family."""

    name: str
    title: str
    params: tuple
    constraints: tuple

    @property
    def declared(self):
        return tuple((s.name, s) for s in self.params)

    def renaming(self, suffix):
        return {s: sympy.Symbol(f"{s.name}_{suffix}", **s.assumptions0) for s in self.params}


@dataclass(frozen=True)
class Entries:
    """The plan of one entry's term, and how the function assembles it."""

    quantity: str
    plan: object
    #: ``(argument, constant, text)``: the entries of ``argument`` sum to ``constant``
    sums: tuple

    @property
    def vectors(self):
        """The arguments, vectors whose last axis holds the entries."""
        return tuple(a.name for a in self.plan.arguments)

    @cached_property
    def key(self):
        """What identifies the printed module (for the disk cache)."""
        return sympy.srepr((self.plan.formula, tuple(a.name for a in self.plan.arguments),
                            tuple(rel for rel, _, _ in self.plan.constraints)))


def entry_plan(quantity, fp, fq=None):
    """:class:`Entries` for ``quantity`` of the dimensional families ``fp``
    (and ``fq``), or None where it is not one term summed over entries.

    >>> import klsym
    >>> e = entry_plan("kl", klsym.family("categorical"), klsym.family("categorical"))
    >>> e.plan.formula, e.sums
    (p_p*log(p_p/p_q) - p_p + p_q, (('p_p', 1, 'Eq(sum(p_p), 1)'), ('p_q', 1, 'Eq(sum(p_q), 1)')))
    """
    found = [_entry_term(quantity, fp, fq, size) for size in SIZES]
    if any(f is None for f in found) or any(f[0] != found[0][0] for f in found[1:]):
        return None
    term, entry, sums = found[0]
    twin = quantity != "entropy"
    sides = [(entry, "p"), (entry if fq is fp else _entry_family(fq, SIZES[0]), "q")] \
        if twin else [(entry, "")]
    if any(f is None for f, _ in sides):
        return None
    plan = make_plan(quantity, *[f for f, _ in sides], result=term)
    if len(plan.branches) != 1 or plan.branches[0][0] != sympy.true or plan.large \
            or plan.infinite != sympy.false or plan.open != sympy.false:
        return None  # what the module of sums prints: one closed form everywhere
    # a term may be negative where its sum is not (p_i log(p_i / q_i)): the
    # clamp at 0 is the sum's (NONNEGATIVE_SUM of the module)
    plan.nonnegative = False
    return Entries(quantity, plan, sums)


def _vectors(family, size):
    """``{scalar symbol: (vector name, index)}`` of the explicit family, or
    None if a parameter is not a vector of ``size`` entries."""
    where = {}
    for name, obj in family.declared:
        if isinstance(obj, sympy.Symbol) or obj.shape != (size, 1):
            return None
        for i in range(size):
            where[obj[i, 0]] = (name, i)
    return where


def _entry_family(dimensional, size):
    """The :class:`EntryFamily` of ``dimensional`` read at ``size``, or None."""
    family = dimensional.of(size)
    where = _vectors(family, size)
    if where is None:
        return None
    params = {name: sympy.Symbol(name, **obj[0, 0].assumptions0) for name, obj in family.declared}
    to_entry = {s: params[name] for s, (name, _) in where.items()}
    constraints = []
    for rel in family.constraints:
        if isinstance(rel, sympy.Eq):
            continue
        indices = {where[s][1] for s in rel.free_symbols if s in where}
        if len(indices) != 1:
            return None
        constraints.append(_renamed(rel, to_entry))
    constraints = tuple(dict.fromkeys(constraints))
    if len(constraints) * size != sum(1 for r in family.constraints if not isinstance(r, sympy.Eq)):
        return None  # not the same constraints on every entry
    return EntryFamily(family.name, dimensional.title, tuple(params.values()), constraints)


def _sums(family, suffix):
    """``(argument, constant, text)`` for each equation of ``family``, each
    a sum of one vector's entries equal to a constant; None if another."""
    out = []
    for rel in family.constraints:
        if not isinstance(rel, sympy.Eq):
            continue
        for name, obj in family.declared:
            rest = sympy.expand(rel.lhs - rel.rhs - sympy.Add(*obj))
            if rest.is_number:
                argument = f"{name}_{suffix}" if suffix else name
                out.append((argument, -rest, f"Eq(sum({argument}), {-rest})"))
                break
        else:
            return None
    return out


def _entry_term(quantity, fp, fq, size):
    """``(term of one entry, its EntryFamily, sums)`` at ``size``, or None."""
    explicit = [(fp.of(size), "p" if fq is not None else "")]
    if fq is not None:
        explicit.append((fq.of(size), "q"))
    entry = _entry_family(fp, size)
    if entry is None:
        return None
    where, to_entry, sums = {}, {}, []
    for family, side in explicit:
        vectors = _vectors(family, size)
        found = _sums(family, side)
        if vectors is None or found is None:
            return None
        sums += found
        rename = family.renaming(side) if side else {s: s for s in family.params}
        for s, (name, i) in vectors.items():
            where[rename[s]] = i
            to_entry[rename[s]] = sympy.Symbol(f"{name}_{side}" if side else name, **s.assumptions0)
    result = _DERIVE[quantity](*[f for f, _ in explicit])
    if isinstance(result, sympy.Piecewise) or result.has(sympy.Integral, sympy.Sum, sympy.oo,
                                                           sympy.zoo, sympy.nan):
        return None
    if quantity == "kl" and fq is fp:
        family = explicit[0][0]
        to_p, to_q = family.renaming("p"), family.renaming("q")
        pairs = [(to_p[s], to_q[s]) for s in family.params]
        differences = {d: (q, p) for (p, q), d in zip(pairs, difference_symbols(pairs).values())}
        tangent = _vanishing_tangent(result, family, to_p, to_q, differences)
        result = result - tangent.xreplace({d: q - p for d, (q, p) in differences.items()})
    groups = {}
    for term in sympy.Add.make_args(result):
        indices = {where[s] for s in term.free_symbols if s in where}
        if len(indices) != 1 or term.free_symbols - set(where):
            return None
        groups.setdefault(indices.pop(), []).append(term)
    if sorted(groups) != list(range(size)):
        return None
    terms = {sympy.Add(*g).xreplace(to_entry) for g in groups.values()}
    if len(terms) != 1:
        return None
    return terms.pop(), entry, tuple(sums)


__all__ = ["Entries", "EntryFamily", "SIZES", "entry_plan"]
