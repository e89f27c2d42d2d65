"""KL, entropy and cross-entropy in general dimension, in matrix notation.

A family with a dimension may also declare itself once for a symbolic
dimension ``d``: its density in ``MatrixSymbol`` parameters and variable, and
expectation lemmas in index form (``x[i, 0] -> mu[i, 0]``).  The derivation is
the expectation route again, one level up:

1. ``log p - log q`` is expanded; SymPy writes each quadratic form as a double
   ``Sum`` over indices of matrix elements;
2. by linearity, each summand's expectation comes from the index lemmas;
3. each ``Sum`` is converted back to matrix notation (``Trace``, ``u.T*A*v``)
   with SymPy's array-expression converters, symmetric parameters drop their
   transposes, and quadratic forms are gathered into squares
   ``(u - v).T*A*(u - v)``.

The result is checked against the explicit-dimension derivations in tests
(d = 2, 3), which share none of this code.
"""

from dataclasses import dataclass, field
from functools import lru_cache

import sympy
from sympy import Add, MatrixSymbol, Mul, S
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.tensor.array.expressions.from_array_to_matrix import convert_array_to_matrix
from sympy.tensor.array.expressions.from_indexed_to_array import convert_indexed_to_array

from .errors import DerivationError


@dataclass(frozen=True, eq=False)
class GeneralForm:
    """A family declared for a symbolic dimension.

    Attributes
    ----------
    pdf : sympy expression in matrix elements (a 1x1 product taken ``[0, 0]``),
        with ``Sum``/``Product`` over an index where needed
    variable : MatrixSymbol (d x 1), or a Symbol (a categorical outcome)
    params : tuple of MatrixSymbol, in the family's parameter order
    dimension : Symbol (positive integer)
    symmetric : tuple of MatrixSymbol that are symmetric (a covariance)
    lemmas : dict ``{g(x[i, 0], ...): (E g, citation)}``; other symbols
        (the indices ``i``, ``j``) match any index
    """

    pdf: object
    variable: object
    params: tuple
    dimension: object
    symmetric: tuple = ()
    lemmas: dict = field(default_factory=dict)

    def renamed(self, suffix):
        """The same form with every parameter ``P`` renamed ``P_suffix``."""
        mapping = {m: MatrixSymbol(f"{m.name}_{suffix}", *m.shape) for m in self.params}
        return GeneralForm(self.pdf.xreplace(mapping), self.variable,
                           tuple(mapping[m] for m in self.params), self.dimension,
                           tuple(mapping[m] for m in self.symmetric),
                           {g.xreplace(mapping): (v.xreplace(mapping), c)
                            for g, (v, c) in self.lemmas.items()})

    @property
    def log_density(self):
        from .family import expand_log_density
        return expand_log_density(self.pdf)


@lru_cache(maxsize=None)
def derive_general(quantity, form_p, form_q=None):
    """``kl``, ``entropy`` or ``cross_entropy`` for general dimension.

    Examples
    --------
    >>> import klsym
    >>> form = klsym.family("mvnormal").general
    >>> derive_general("entropy", form)
    d*log(2)/2 + d/2 + d*log(pi)/2 + log(Determinant(Sigma))/2
    """
    if quantity == "entropy":
        p = form_p
        integrand = -p.log_density
    else:
        p, q = form_p.renamed("p"), (form_q or form_p).renamed("q")
        log_q = q.log_density
        integrand = (p.log_density - log_q) if quantity == "kl" else -log_q
    value = Add(*[_expect(term, p) for term in Add.make_args(sympy.expand(integrand))])
    symmetric = {sympy.Transpose(m): m for m in p.symmetric}
    if quantity != "entropy":
        symmetric.update({sympy.Transpose(m): m for m in q.symmetric})
    value = _matrix_notation(value, symmetric)
    return _tidy_sums(_gather_squares(value))


def _expect(term, form):
    x = form.variable
    if not term.has(x):
        return term
    coefficient, core = term.as_independent(x, as_Add=False)
    if isinstance(core, sympy.Sum):
        inner = Add(*[_expect(t, form) for t in Add.make_args(sympy.expand(core.function))])
        return coefficient * sympy.Sum(inner, *core.limits)
    value = _lemma(core, form)
    if value is None:
        raise DerivationError(f"no lemma gives E[{core}] in general dimension", route="expectation")
    return coefficient * value


def _lemma(g, form):
    for key, (value, _) in form.lemmas.items():
        extra = [s for s in key.free_symbols if isinstance(s, sympy.Symbol)
                 and s not in (form.dimension, form.variable)]
        wilds = {s: sympy.Wild(s.name) for s in extra}
        pattern = key.xreplace(wilds)
        attempts = [(g, pattern)]
        if isinstance(g, sympy.KroneckerDelta) and isinstance(pattern, sympy.KroneckerDelta):
            # symmetric in its arguments, which SymPy orders by name
            attempts = [(sympy.Tuple(*g.args), sympy.Tuple(*pattern.args)),
                        (sympy.Tuple(*g.args), sympy.Tuple(*reversed(pattern.args)))]
        for target, form_ in attempts:
            found = target.match(form_)
            if found is not None and all(w in found for w in wilds.values()):
                return value.xreplace({s: found[w] for s, w in wilds.items()})
    return None


def _matrix_notation(expr, symmetric):
    out = S.Zero
    for term in Add.make_args(sympy.expand(expr)):
        coefficient, core = term.as_independent(sympy.Sum, as_Add=False)
        if not isinstance(core, sympy.Sum):
            out += term
            continue
        kept = S.Zero
        for part in Add.make_args(sympy.expand(core.function)):
            if part.atoms(sympy.Function):  # log p_i, digamma: no matrix notation, stays a Sum
                kept += part
                continue
            try:
                matrix = convert_array_to_matrix(convert_indexed_to_array(sympy.Sum(part, *core.limits)))
            except Exception:  # not a product of matrix elements (digamma of one): stays a Sum
                kept += part
                continue
            out += coefficient * _scalar(matrix.xreplace(symmetric))
        if kept != 0:
            out += coefficient * sympy.Sum(sympy.factor_terms(kept), *core.limits)
    return out


def _tidy_sums(expr):
    """Pull index-free factors out of each ``Sum`` (an index-free term is
    ``K`` times itself), name every simple index ``i`` so equal sums
    coincide, and merge sums over the same range."""
    def pull(total):
        if len(total.limits) != 1:
            return total
        (index, lo, hi), = total.limits
        canonical = sympy.Symbol("i", integer=True)
        if total.function.has(sympy.Sum) or total.function.has(canonical) and canonical != index:
            canonical = index
        out, groups = S.Zero, {}
        for term in Add.make_args(sympy.expand(total.function)):
            coefficient, rest = term.as_independent(index, as_Add=False)
            if rest == 1:
                out += coefficient * (hi - lo + 1)
            else:
                groups[coefficient] = groups.get(coefficient, S.Zero) + rest.xreplace({index: canonical})
        return out + Add(*[c * sympy.Sum(g, (canonical, lo, hi)) for c, g in groups.items()])

    expr = expr.replace(lambda e: isinstance(e, sympy.Sum), pull)
    merged, rest = {}, S.Zero
    terms = [t for term in Add.make_args(expr)
             for t in (Add.make_args(sympy.expand(term)) if term.has(sympy.Sum) else (term,))]
    for term in terms:
        coefficient, core = term.as_independent(sympy.Sum, as_Add=False)
        if isinstance(core, sympy.Sum) and coefficient.is_number:
            merged[core.limits] = merged.get(core.limits, S.Zero) + coefficient * core.function
        else:
            rest += term
    return rest + Add(*[sympy.Sum(sympy.factor_terms(f), *limits) for limits, f in merged.items()])


def _scalar(value):
    """A 1x1 matrix product as its single element; a trace simplified
    (``Trace(Sigma**-1*Sigma)`` is ``d``)."""
    if isinstance(value, MatrixElement) and value.parent.shape == (1, 1):
        return _element(value.parent)
    if isinstance(value, sympy.MatrixExpr) and value.shape == (1, 1):
        return _element(value)
    if isinstance(value, sympy.Trace):
        return sympy.Trace(value.arg.doit()).doit() if value.arg.doit().is_Identity else value
    return value


def _gather_squares(expr):
    """``u.T A u - 2 u.T A v + v.T A v`` -> ``(u - v).T A (u - v)``, by
    factoring the quadratic form with commuting stand-ins for the vectors."""
    forms, rest = {}, S.Zero
    for term in Add.make_args(expr):
        coefficient, core = term.as_independent(MatrixElement, as_Add=False)
        found = _bilinear(core)
        if found is None:
            rest += term
            continue
        u, a, v = found
        forms.setdefault(a, []).append((coefficient, u, v))
    for a, terms in forms.items():
        vectors = list(dict.fromkeys(w for _, u, v in terms for w in (u, v)))
        stand_in = {w: sympy.Dummy(str(w)) for w in vectors}
        polynomial = Add(*[c * stand_in[u] * stand_in[v] for c, u, v in terms])
        back = {s: w for w, s in stand_in.items()}
        rest += _from_factored(sympy.factor(polynomial), a, back)
    return rest


def _bilinear(core):
    """``(u, A, v)`` if ``core`` is ``(u.T*A*v)[0, 0]`` (signs pulled out), else None."""
    if not isinstance(core, MatrixElement) or core.parent.shape != (1, 1):
        return None
    product = core.parent
    if isinstance(product, sympy.MatMul):
        factors = [f for f in product.args if not f.is_number]
        if len(factors) == 3 and isinstance(factors[0], sympy.Transpose):
            number = Mul(*[f for f in product.args if f.is_number])
            if number == 1:
                return factors[0].arg, factors[1], factors[2]
    return None


def _from_factored(polynomial, a, back):
    """Rebuild ``c * L**2`` (L linear in the stand-ins) as ``c * (L.T*A*L)[0,0]``;
    anything else term by term."""
    coefficient, core = polynomial.as_independent(*back, as_Add=False)
    if isinstance(core, sympy.Pow) and core.exp == 2:
        linear = core.base
        vector = Add(*[linear.coeff(s) * w for s, w in back.items()])
        return coefficient * _element(vector.T * a * vector)
    out = S.Zero
    for term in Add.make_args(sympy.expand(polynomial)):
        c, monomial = term.as_independent(*back, as_Add=False)
        stand_ins = [s for s in back if monomial.has(s)]
        u = back[stand_ins[0]]
        v = back[stand_ins[-1]]
        out += c * _element(u.T * a * v)
    return out


def _element(product):
    """The single element of a 1x1 product, kept in matrix notation (SymPy's
    ``product[0, 0]`` would expand it into an index Sum); numeric factors
    come out in front."""
    if isinstance(product, sympy.MatMul):
        number = Mul(*[f for f in product.args if f.is_number])
        rest = [f for f in product.args if not f.is_number]
        return number * MatrixElement(sympy.MatMul(*rest) if len(rest) > 1 else rest[0], 0, 0)
    return MatrixElement(product, 0, 0)
