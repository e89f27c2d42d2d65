"""Families declared by their density, and distributions drawn from them.

A :class:`Family` is pure data: a name, parameter symbols with constraints, the
random variable, its support, whether it is discrete, the density (or mass
function) and optionally cited expectation lemmas.  Everything else klsym
knows about a family (its exponential-family form, expectations, KL, entropy,
cross-entropy) is derived from this declaration.  :func:`define_family` is the
one way to declare one; the built-in families use it too.
"""

import hashlib
from functools import cached_property

import sympy
from sympy import Symbol

from . import registry
from .constraints import admissible_points, check_parameters, implied_assumptions, to_number
from .errors import FamilyDefinitionError, ParameterError


class Family:
    """A parametric family of distributions, declared by its density.

    Call it to get a :class:`Distribution`: with keyword (or positional)
    numeric values, or with nothing for the symbolic member.

    Examples
    --------
    >>> import klsym
    >>> klsym.Normal(mu=0, sigma=2)
    Normal(mu=0, sigma=2)
    >>> klsym.family("gamma").parameter_names
    ('alpha', 'beta')
    """

    def __init__(self, name, pdf, variable, params, support, discrete, constraints,
                 title=None, lemmas=None, description=""):
        self.name = name
        self.title = title or name.capitalize()
        self.description = description
        self.discrete = bool(discrete)
        declared = _declared(params)
        scalars = list(dict.fromkeys(s for _, obj in declared for s in _entries(obj)))
        constraints = [sympy.sympify(c) for c in constraints]
        # Parameters and the variable get the assumptions their constraints and
        # support imply, so that SymPy can simplify logs and integrals.
        rename = {s: Symbol(s.name, **implied_assumptions(s, constraints)) for s in scalars}
        self.params = tuple(rename[s] for s in scalars)
        self.declared = tuple((n, obj.xreplace(rename)) for n, obj in declared)
        # Kept unevaluated: with the new assumptions ``sigma > 0`` would
        # otherwise collapse to True and stop checking values.
        self.constraints = tuple(_unevaluated(c, rename) for c in constraints)
        if isinstance(support, sympy.ProductSet) and len(support.args) == 1:
            support = support.args[0]  # one coordinate: a plain set
        self.support = subs_set(support, rename)
        variables = tuple(variable) if isinstance(variable, (tuple, list, sympy.Tuple)) else (variable,)
        facts = _variable_assumptions(self.support, self.discrete)
        for v in variables:
            rename[v] = Symbol(v.name, **facts)
        #: the random variable(s): one symbol, or one per coordinate
        self.variables = tuple(rename[v] for v in variables)
        #: the random variable of a univariate family (None if multivariate)
        self.variable = self.variables[0] if len(self.variables) == 1 else None
        self.support = subs_set(self.support, rename)
        self.pdf = sympy.sympify(pdf).subs(rename, simultaneous=True)
        self.lemmas = {sympy.sympify(g).subs(rename, simultaneous=True):
                       (sympy.sympify(v).subs(rename, simultaneous=True), cite)
                       for g, (v, cite) in (lemmas or {}).items()}

    # -- identity ---------------------------------------------------------
    @property
    def parameter_names(self):
        """Names of the parameters, in declaration order (a vector or matrix
        parameter is one name)."""
        return tuple(name for name, _ in self.declared)

    @property
    def dimension(self):
        """Number of coordinates of the random variable."""
        return len(self.variables)

    @property
    def is_multivariate(self):
        return len(self.variables) > 1

    @cached_property
    def fingerprint(self):
        """Hash of the declaration; derived results are cached under it."""
        parts = [self.name, self.discrete, self.params, self.constraints, self.support,
                 self.variable, self.pdf, sorted(map(str, self.lemmas.items()))]
        text = "|".join(sympy.srepr(p) if isinstance(p, sympy.Basic) else repr(p) for p in parts)
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    def __repr__(self):
        return f"<family {self.name}: {self.title}({', '.join(self.parameter_names)})>"

    # -- members ----------------------------------------------------------
    def __call__(self, *args, validate=True, **kwargs):
        """Return the member of this family with the given parameter values."""
        if len(args) > len(self.params):
            raise TypeError(f"{self.title} takes at most {len(self.params)} parameters "
                            f"({', '.join(self.parameter_names)}), got {len(args)}")
        values = dict(zip(self.parameter_names, args))
        for key, value in kwargs.items():
            if key not in self.parameter_names:
                raise TypeError(f"{self.title} has no parameter {key!r}; "
                                f"its parameters are {', '.join(self.parameter_names)}")
            if key in values:
                raise TypeError(f"{self.title} got parameter {key!r} twice")
            values[key] = value
        scalars = {s: s for s in self.params}
        for name, obj in self.declared:
            if name in values:
                scalars.update(_entry_values(self.title, name, obj, values[name]))
        return Distribution(self, scalars, validate=validate)

    def symbols(self, suffix=None):
        """The parameter symbols, renamed ``name_suffix`` (same assumptions)."""
        if not suffix:
            return self.params
        return tuple(Symbol(f"{s.name}_{suffix}", **s.assumptions0) for s in self.params)

    def renaming(self, suffix):
        """Map each parameter symbol to its suffixed twin."""
        return dict(zip(self.params, self.symbols(suffix)))

    def admissible_points(self, count=3):
        """Exact parameter points satisfying every declared constraint."""
        return admissible_points(self.params, self.constraints, count)

    @cached_property
    def log_density(self):
        """``log p(x)`` expanded into a sum of elementary terms."""
        return expand_log_density(self.pdf)

    @cached_property
    def canonical(self):
        """The exponential-family form, or None if the family has none."""
        from .canonical import exponential_family_form
        return exponential_family_form(self)

    @property
    def is_exponential_family(self):
        """True if the density factorises as h(x) exp(eta . T(x) - A) with
        every parameter free (none held fixed by the support or by mixing)."""
        form = self.canonical
        return form is not None and not form.fixed

    def check_density(self, points=3, budget=30):
        """Check that the density is non-negative and normalised.

        Symbolic integration is tried first; if SymPy cannot decide, the
        density is integrated with mpmath to 30 digits at ``points`` admissible
        parameter points.  Raises FamilyDefinitionError if it fails.
        """
        from .normalisation import check_density
        check_density(self, points=points, budget=budget)


class Distribution:
    """One member of a family: the family plus a value for each parameter.

    Values may be numbers or SymPy expressions.
    """

    def __init__(self, family, values, validate=True):
        self.family = family
        self.values = dict(values)
        if validate:
            check_parameters(family.title, self.values, family.constraints)

    @property
    def params(self):
        """Parameter values by name (vectors and matrices as nested lists)."""
        out = {}
        for name, obj in self.family.declared:
            if isinstance(obj, Symbol):
                out[name] = self.values[obj]
            else:
                value = obj.xreplace(self.values)
                out[name] = [value[i, j] for i in range(value.rows) for j in range(value.cols)] \
                    if value.cols == 1 else value.tolist()
        return out

    @property
    def pdf(self):
        """The density (mass function) as an expression in ``family.variable``."""
        return self.family.pdf.subs(self.values, simultaneous=True)

    @property
    def support(self):
        return subs_set(self.family.support, self.values)

    @property
    def is_symbolic(self):
        return any(not v.is_number for v in self.values.values())

    def __repr__(self):
        inside = ", ".join(f"{name}={v}" for name, v in self.params.items())
        return f"{self.family.title}({inside})"

    def __eq__(self, other):
        return (isinstance(other, Distribution) and other.family is self.family
                and other.values == self.values)

    def __hash__(self):
        return hash((self.family.name, tuple(self.values.items())))

    def kl(self, other, **options):
        """KL(self || other); see :func:`klsym.kl`."""
        from .derive import kl
        return kl(self, other, **options)

    def entropy(self, **options):
        """H(self); see :func:`klsym.entropy`."""
        from .derive import entropy
        return entropy(self, **options)

    def cross_entropy(self, other, **options):
        """H(self, other); see :func:`klsym.cross_entropy`."""
        from .derive import cross_entropy
        return cross_entropy(self, other, **options)


def expand_log_density(pdf):
    """Split ``log pdf`` into a sum of elementary terms.

    Logs of products and powers are expanded (parameters and the variable
    carry positivity assumptions from constraints and support), and
    ``log(Gamma(z))``/``log(B(a, b))`` become ``loggamma`` terms; ``cos(x - mu)``
    is expanded so that ``cos x`` and ``sin x`` appear as statistics.
    """
    expr = sympy.log(pdf)
    expr = expr.replace(sympy.beta, lambda a, b: sympy.gamma(a) * sympy.gamma(b) / sympy.gamma(a + b))
    expr = sympy.expand_log(expr, force=True)
    expr = expr.replace(lambda e: isinstance(e, sympy.log) and isinstance(e.args[0], sympy.gamma),
                        lambda e: sympy.loggamma(e.args[0].args[0]))
    return sympy.expand(sympy.powsimp(expr), trig=True)


def _declared(params):
    """``[(name, Symbol or Matrix of Symbols)]`` from a declaration's params:
    each item a Symbol, or a ``(name, matrix)`` pair for a vector or matrix
    parameter (a symmetric matrix repeats a symbol in mirrored places)."""
    out = []
    for item in params:
        if isinstance(item, Symbol):
            out.append((item.name, item))
            continue
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise FamilyDefinitionError(
                f"each parameter must be a SymPy Symbol or a (name, Matrix of Symbols) pair; "
                f"got {item!r}")
        name, matrix = item
        matrix = sympy.ImmutableMatrix(matrix)
        if not all(isinstance(e, Symbol) for e in matrix):
            raise FamilyDefinitionError(f"the entries of parameter {name!r} must be Symbols")
        out.append((name, matrix))
    return out


def _entries(obj):
    return (obj,) if isinstance(obj, Symbol) else tuple(obj)


def _entry_values(title, name, obj, value):
    """``{scalar symbol: number}`` from a user's value for parameter ``name``."""
    if isinstance(obj, Symbol):
        return {obj: to_number(value)}
    try:
        given = sympy.Matrix(_exact(value.tolist() if hasattr(value, "tolist") else value))
    except (TypeError, ValueError, sympy.SympifyError):
        raise ParameterError(f"{title}: parameter {name} must be a sequence of numbers "
                             f"of shape {obj.shape}; got {value!r}") from None
    if obj.cols == 1 and given.rows == 1:
        given = given.T
    if given.shape != obj.shape:
        def shape(m):
            return f"a vector of length {m.rows}" if m.cols == 1 else f"a {m.rows} x {m.cols} matrix"
        raise ParameterError(f"{title}: parameter {name} must be {shape(obj)}; "
                             f"got {value!r}, {shape(given)}")
    out = {}
    for (i, j), symbol in zip(((i, j) for i in range(obj.rows) for j in range(obj.cols)), obj):
        number = to_number(given[i, j])
        if symbol in out and out[symbol] != number:
            raise ParameterError(f"{title}: parameter {name} must be symmetric; got "
                                 f"{name}[{j}][{i}]={out[symbol]} and {name}[{i}][{j}]={number}")
        out[symbol] = number
    return out


def _exact(value):
    """Nested sequences with each number made exact by :func:`to_number`."""
    if isinstance(value, (list, tuple)):
        return [_exact(v) for v in value]
    if isinstance(value, sympy.MatrixBase):
        return _exact(value.tolist())
    return to_number(value)


def subs_set(support, mapping):
    """``support`` with ``mapping`` applied, bound variables of a ConditionSet
    included (SymPy's ``subs`` leaves those alone)."""
    if isinstance(support, sympy.ConditionSet):
        sym = support.sym
        sym = sympy.Tuple(*[mapping.get(s, s) for s in sym]) if isinstance(sym, sympy.Tuple) \
            else mapping.get(sym, sym)
        return sympy.ConditionSet(sym, support.condition.xreplace(mapping),
                                  subs_set(support.base_set, mapping))
    return support.subs(mapping, simultaneous=True)


def _unevaluated(constraint, rename):
    if isinstance(constraint, sympy.core.relational.Relational):
        return sympy.Rel(constraint.lhs.subs(rename, simultaneous=True),
                         constraint.rhs.subs(rename, simultaneous=True),
                         constraint.rel_op, evaluate=False)
    return constraint.subs(rename, simultaneous=True)


def _variable_assumptions(support, discrete):
    facts = {"integer": True} if discrete else {"real": True}
    if isinstance(support, sympy.ConditionSet):
        support = support.base_set
    if isinstance(support, sympy.ProductSet):  # one coordinate speaks for all
        support = support.args[0]
    if support.free_symbols:
        return facts
    if support.inf.is_nonnegative:
        facts["nonnegative" if discrete else "positive"] = True
    return facts


def _as_set(support):
    if isinstance(support, sympy.Set):
        return support
    raise FamilyDefinitionError(
        f"support must be a SymPy set such as Interval(0, oo) or Range(0, oo); got {support!r}")


def define_family(name, pdf, variable, params, support, discrete=False, constraints=(), *,
                  title=None, lemmas=None, description="", check=True, register=True):
    """Declare a family from its density alone.

    Parameters
    ----------
    name : str
        Registry name (lower case, e.g. ``"maxwell"``).
    pdf : sympy expression
        Density (continuous) or mass function (discrete) in ``variable``.
    variable : sympy.Symbol or tuple of sympy.Symbol
        The random variable; a tuple of coordinates for a multivariate family.
    params : list
        The parameters, in the order users pass them: each a Symbol, or a
        ``(name, Matrix of Symbols)`` pair for a vector or matrix parameter
        (users then pass a sequence, or nested sequences).
    support : sympy.Set
        ``Interval(0, oo)``, ``Range(0, oo)``, ...; may depend on parameters.
        Multivariate: a ``ProductSet`` (``Reals**2``) or a ``ConditionSet``
        over one, e.g. the simplex ``ConditionSet((x1, x2), Eq(x1 + x2, 1),
        Interval.open(0, 1)**2)``.
    discrete : bool
        True for a mass function on integers.
    constraints : sequence of sympy relationals
        Parameter constraints, e.g. ``[a > 0]`` or ``[b > a]``.  Parameters
        are real unless a constraint or the symbol's own assumptions
        (``integer=True``) say more.
    title : str, optional
        Class-style name used in messages and ``repr`` (default: capitalised name).
    lemmas : dict, optional
        ``{g(x): (E[g(X)], "citation")}`` for expectations SymPy cannot
        derive; each must be verified numerically in tests.
    check : bool
        Check the support is well formed and the density is non-negative and
        normalised (symbolically, or to 30 digits with mpmath).
    register : bool
        Add the family to the registry so ``klsym.family(name)`` finds it.

    Returns
    -------
    Family

    Examples
    --------
    >>> import sympy as sp, klsym
    >>> x, a = sp.symbols("x a")
    >>> Maxwell = klsym.define_family(
    ...     "maxwell_doc", sp.sqrt(2 / sp.pi) * x**2 * sp.exp(-x**2 / (2 * a**2)) / a**3,
    ...     x, [a], sp.Interval(0, sp.oo), constraints=[a > 0], title="Maxwell")
    >>> Maxwell(a=2)
    Maxwell(a=2)
    """
    if not isinstance(name, str) or not name.strip():
        raise FamilyDefinitionError("a family needs a non-empty string name")
    variables = tuple(variable) if isinstance(variable, (tuple, list, sympy.Tuple)) else (variable,)
    if not variables or not all(isinstance(v, Symbol) for v in variables):
        raise FamilyDefinitionError(
            f"variable must be a SymPy Symbol (or a tuple of them for a multivariate family), "
            f"got {variable!r}")
    declared = _declared(params)
    names = [n for n, _ in declared]
    scalars = {s for _, obj in declared for s in _entries(obj)}
    clash = scalars & set(variables)
    if clash:
        raise FamilyDefinitionError(
            f"the variable {', '.join(sorted(map(str, clash)))} cannot also be a parameter")
    if len(set(names)) != len(names) or len({s.name for s in scalars}) != len(scalars):
        raise FamilyDefinitionError("parameter names must be distinct")
    support = _as_set(support)
    pdf = sympy.sympify(pdf)
    stray = pdf.free_symbols - scalars - set(variables)
    if stray:
        raise FamilyDefinitionError(
            f"the density of {name!r} uses {', '.join(sorted(map(str, stray)))}, "
            f"which is neither the variable nor a declared parameter")
    stray = support.free_symbols - scalars
    if stray:
        raise FamilyDefinitionError(
            f"the support of {name!r} uses undeclared symbols {sorted(map(str, stray))}")
    for c in constraints:
        c = sympy.sympify(c)
        if c.free_symbols - scalars:
            raise FamilyDefinitionError(
                f"constraint {c} of {name!r} mentions symbols that are not parameters")
    try:
        family = Family(name.lower(), pdf, variable, params, support, discrete, constraints,
                        title=title, lemmas=lemmas, description=description)
    except sympy.core.facts.InconsistentAssumptions:
        raise FamilyDefinitionError(
            f"no admissible parameter point exists for {name!r}: the constraints "
            f"{list(constraints)} contradict each other") from None
    if check:
        family.check_density()
    if register:
        registry.register(family)
    return family
