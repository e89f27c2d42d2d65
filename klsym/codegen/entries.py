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
for a family of scalars.  The function evaluates it on every entry at once
and sums over the last axis; the sum's terms, each a KL of the entries as
measures, are nonnegative near ``p = q``, so the sum loses nothing to
cancellation.  Nothing here names a family.
"""

from dataclasses import dataclass
from functools import cached_property

import numpy
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
    #: the arguments, vectors whose last axis holds the entries
    vectors: tuple
    #: ``(argument, constant, text)``: the entries of ``argument`` sum to ``constant``
    sums: tuple

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
    # a term may be negative where its sum is not (p_i log(p_i / q_i)): the
    # clamp at 0 is the sum's (see summed)
    plan.nonnegative = False
    return Entries(quantity, plan, tuple(a.name for a in plan.arguments), sums)


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


def _sums(family, size, suffix):
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
        found = _sums(family, size, side)
        if vectors is None or found is None:
            return None
        sums += found
        rename = family.renaming(side) if side else {s: s for s in family.params}
        for s, (name, i) in vectors.items():
            where[rename[s]] = i
            plain = sympy.Symbol(name, **s.assumptions0)
            to_entry[rename[s]] = sympy.Symbol(f"{name}_{side}", **s.assumptions0) if side else plain
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


#: entries per call of the entry function: its results are summed over rows
#: while they are in cache (10^6 rows of 10 entries: 102 -> 78 ns a row)
CHUNK = 65536


def summed(entries, entry_function):
    """The function of whole vectors: ``entry_function`` on every entry (it
    validates each entry), the equations checked, the sum over the last axis
    (clamped at 0 for a KL: a sum of rounded terms may dip below it), CHUNK
    entries at a time."""
    names = entries.vectors

    def function(*args, validate=True, **kwargs):
        values = _bound(names, args, kwargs)
        arrays = [numpy.asarray(v) for v in values]
        for name, a in zip(names, arrays):
            if a.ndim == 0:
                raise ValueError(f"{name} must be a vector (its last axis holds the entries); "
                                 f"got {a.item()!r}")
        lengths = {name: a.shape[-1] for name, a in zip(names, arrays)}
        if len(set(lengths.values())) > 1:
            raise ValueError("the vectors' last axes must have one length; got "
                             + ", ".join(f"{k}: {v}" for k, v in lengths.items()))
        shape = numpy.broadcast_shapes(*[a.shape for a in arrays])
        size = shape[-1]
        rows = [numpy.broadcast_to(a, shape).reshape(-1, size) for a in arrays]
        total = numpy.empty(len(rows[0]))
        dtype = None
        step = max(1, CHUNK // max(size, 1))
        for start in range(0, len(total), step):
            chunk = [r[start:start + step] for r in rows]
            try:  # on one axis: the generated function's fast paths for 1-d blocks
                terms = entry_function(*[c.reshape(-1) for c in chunk], validate=validate)
            except ValueError:
                entry_function(*arrays, validate=validate)  # names the entry by its index
                raise
            dtype = terms.dtype
            total[start:start + step] = _row_sums(terms.reshape(len(chunk[0]), size))
            if validate:
                for name, constant, text in entries.sums:
                    _check_sum(chunk[names.index(name)], constant, text, name, dtype,
                               start, shape[:-1])
        if entries.quantity == "kl":
            numpy.maximum(total, 0.0, out=total)
        total = total.reshape(shape[:-1]).astype(dtype or numpy.float64, copy=False)
        return total[()] if total.ndim == 0 else total

    function.__doc__ = (f"{entries.plan.title} for vectors of any length (the last axis), "
                        f"broadcasting; arguments {', '.join(names)}.\n\n"
                        f"Sum over the entries of\n\n    {entries.plan.formula}\n")
    function.entries = entries
    return function


def _bound(names, args, kwargs):
    """The arguments in order, from positions and keywords."""
    if len(args) > len(names):
        raise TypeError(f"takes {len(names)} arguments ({', '.join(names)}); got {len(args)}")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in names:
            raise TypeError(f"no argument {key!r}; the arguments are {', '.join(names)}")
        if key in values:
            raise TypeError(f"argument {key!r} given twice")
        values[key] = value
    missing = [n for n in names if n not in values]
    if missing:
        raise TypeError(f"missing {', '.join(missing)} (the arguments are {', '.join(names)})")
    return [values[n] for n in names]


def _row_sums(a):
    """Sums over the last axis in float64: a product with a vector of ones
    (numpy's sum over a short last axis is several times slower)."""
    a = numpy.asarray(a, dtype=numpy.float64)
    return a @ numpy.ones(a.shape[-1])


def _check_sum(rows, constant, text, name, dtype, offset, shape):
    """The entries of each of ``rows`` (from row ``offset`` of the arguments'
    ``shape`` without its last axis) sum to ``constant`` up to the rounding
    of the sum (64 EPS per entry, as the explicit-length functions check)."""
    total = _row_sums(rows)
    eps = numpy.finfo(dtype if numpy.issubdtype(dtype, numpy.floating) else numpy.float64).eps
    ok = numpy.abs(total - float(constant)) <= 64 * eps * rows.shape[-1]
    if numpy.all(ok):
        return
    first = int(numpy.argmin(ok))
    index = tuple(int(i) for i in numpy.unravel_index(offset + first, shape)) if shape else ()
    where = f" at index {index}" if index else ""
    raise ValueError(f"{name} must satisfy {text}; got sum({name})={float(total[first])!r}{where}")


__all__ = ["Entries", "EntryFamily", "SIZES", "entry_plan", "summed"]
