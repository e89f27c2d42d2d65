"""The pairs klsym supports, as data: what ``klsym verify --all`` covers.

Every univariate family is paired with itself; the families with a dimension
with themselves at small dimensions; and the pairs of different families that
klsym derives (the list of issue 3).  This is the one place that list lives:
the command line, the tests and the benchmark read it from here.
"""

from dataclasses import dataclass

from ..dimensional import DimensionalFamily
from ..registry import all_families

#: dimensions at which a family with a dimension is verified against itself
DIMENSIONS = {"mvnormal": (1, 2), "dirichlet": (2, 3), "categorical": (2, 3),
              "multinomial": (2,)}

#: pairs of different families (p, q)
CROSS_PAIRS = (
    ("exponential", "gamma"), ("gamma", "exponential"), ("halfnormal", "exponential"),
    ("exponential", "halfnormal"), ("chisquared", "gamma"), ("gamma", "lognormal"),
    ("lognormal", "gamma"), ("rayleigh", "weibull"), ("weibull", "exponential"),
    ("uniform", "beta"), ("beta", "uniform"), ("uniform", "normal"), ("uniform", "gamma"),
    ("uniform", "exponential"), ("laplace", "normal"), ("normal", "laplace"),
    ("normal", "cauchy"), ("poisson", "geometric"), ("geometric", "poisson"),
    ("bernoulli", "binomial"), ("binomial", "poisson"), ("gumbel", "normal"),
)


@dataclass(frozen=True)
class Pair:
    """A pair of families to verify, by registered name.

    ``dim`` is the dimension of a family with a dimension (None otherwise);
    ``family_files`` are the Python files that declare user families, run in
    each worker process before the names are looked up.
    """

    p: str
    q: str
    dim: int = None
    family_files: tuple = ()

    @property
    def label(self):
        size = f"[{self.dim}]" if self.dim is not None else ""
        return f"{_name(self.p)}{size} || {_name(self.q)}{size}"

    @property
    def same_family(self):
        return _name(self.p) == _name(self.q)


def _name(family):
    return family if isinstance(family, str) else family.name


def default_dimensions(family):
    """The dimensions at which ``family`` (with a dimension) is verified."""
    return DIMENSIONS.get(family.name, (family.smallest, family.smallest + 1))


def supported_pairs(builtin_only=True):
    """Every pair ``klsym verify --all`` checks, in a stable order.

    Examples
    --------
    >>> pairs = supported_pairs()
    >>> pairs[0].label
    'bernoulli || bernoulli'
    >>> sum(1 for p in pairs if not p.same_family)
    22
    """
    from ..registry import is_builtin
    pairs = []
    for family in all_families():
        if builtin_only and not is_builtin(family.name):
            continue
        if isinstance(family, DimensionalFamily):
            pairs += [Pair(family.name, family.name, d) for d in default_dimensions(family)]
        else:
            pairs.append(Pair(family.name, family.name))
    pairs += [Pair(p, q) for p, q in CROSS_PAIRS]
    return pairs
