"""Families with a dimension: one declaration per dimension, built on demand.

A multivariate normal in d = 2 and in d = 3 are different families to SymPy
(different symbols, different densities).  A :class:`DimensionalFamily` holds
the recipe ``build(d)`` that declares the family of dimension ``d`` with
:func:`~klsym.family.define_family`, builds each dimension once, and picks the
dimension from the length of a vector parameter when called with values.
"""

from functools import lru_cache

from . import registry
from .errors import FamilyDefinitionError, ParameterError


class DimensionalFamily:
    """A family of families indexed by a dimension (``d`` or ``K``).

    Examples
    --------
    >>> import klsym
    >>> klsym.Categorical(p=[0.2, 0.3, 0.5])
    Categorical(p=[1/5, 3/10, 1/2])
    >>> klsym.family("categorical").of(3).parameter_names
    ('p',)
    """

    def __init__(self, name, build, *, title, size_from, smallest=1, description="",
                 general=None):
        self.name = name
        #: the declaration for a symbolic dimension (a GeneralForm), if any
        self.general = general
        self.title = title
        self.description = description
        self.size_from = size_from
        self.smallest = smallest
        self._build = lru_cache(maxsize=None)(build)

    def of(self, size):
        """The family of dimension ``size`` (declared the first time it is asked for)."""
        if not isinstance(size, int) or isinstance(size, bool) or size < self.smallest:
            raise ParameterError(f"{self.title}: the dimension must be an integer >= "
                                 f"{self.smallest}; got {size!r}")
        return self._build(size)

    @property
    def parameter_names(self):
        return self.of(max(self.smallest, 2)).parameter_names

    @property
    def discrete(self):
        return self.of(max(self.smallest, 2)).discrete

    def __call__(self, *args, validate=True, **kwargs):
        """The member with these values; the dimension is the length of
        ``size_from`` (``mu`` for a multivariate normal, ``p`` for a categorical)."""
        position = self.parameter_names.index(self.size_from)
        if self.size_from in kwargs:
            value = kwargs[self.size_from]
        elif len(args) > position:
            value = args[position]
        else:
            raise ParameterError(f"{self.title}: give {self.size_from} (its length sets the "
                                 f"dimension), or pick a dimension with "
                                 f"klsym.family({self.name!r}).of(d)")
        try:
            size = len(value)
        except TypeError:
            raise ParameterError(f"{self.title}: parameter {self.size_from} must be a sequence; "
                                 f"got {value!r}") from None
        return self.of(size)(*args, validate=validate, **kwargs)

    def __repr__(self):
        return f"<family {self.name}: {self.title}({', '.join(self.parameter_names)}), any dimension>"


def define_dimensional_family(name, build, *, title, size_from, smallest=1, description="",
                              general=None, register=True):
    """Declare a family for every dimension from ``build(d) -> Family``.

    ``build`` declares the family of dimension ``d`` with ``define_family(...,
    register=False)``; ``size_from`` names the vector parameter whose length
    is the dimension.  ``general``, a :class:`~klsym.general.GeneralForm`,
    declares the density once more for a symbolic dimension, so that
    ``klsym.kl(name, name)`` derives the result in matrix notation.
    """
    if not callable(build):
        raise FamilyDefinitionError("build must be a function of the dimension")
    family = DimensionalFamily(name.lower(), build, title=title, size_from=size_from,
                               smallest=smallest, description=description, general=general)
    if register:
        registry.register(family)
    return family
