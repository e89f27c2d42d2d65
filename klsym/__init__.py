"""klsym: KL divergence, entropy and cross-entropy derived by SymPy.

Families are declared by their density; KL(p || q), H(p) and H(p, q) are
derived from it, never typed in.

Examples
--------
>>> import klsym
>>> klsym.kl(klsym.Normal(mu=0, sigma=1), klsym.Normal(mu=1, sigma=1))
1/2
"""

__version__ = "0.1.0"

from .errors import (DerivationError, FamilyDefinitionError, KlsymError,  # noqa: E402
                     ParameterError, UnknownFamilyError)
from .family import Distribution, Family, define_family  # noqa: E402
from .dimensional import DimensionalFamily, define_dimensional_family  # noqa: E402
from .registry import lookup as family, names as _names, unregister  # noqa: E402
from .families import *  # noqa: E402,F401,F403
from .families import __all__ as _builtin_classes  # noqa: E402
from .registry import mark_builtin as _mark_builtin  # noqa: E402
_mark_builtin()
from .derive import cross_entropy, entropy, kl  # noqa: E402
from .printing import latex  # noqa: E402
from .codegen import cross_entropy_function, entropy_function, kl_function  # noqa: E402
from . import prove  # noqa: E402
from .verify import verify  # noqa: E402  (the function; submodules via ``from klsym.verify import ...``)


def families():
    """Names of every registered family (built-in and user-defined)."""
    return _names()


__all__ = ["DerivationError", "DimensionalFamily", "Distribution", "Family",
           "FamilyDefinitionError", "KlsymError", "ParameterError", "UnknownFamilyError",
           "cross_entropy", "cross_entropy_function", "define_dimensional_family", "define_family", "entropy", "entropy_function",
           "families", "family", "kl", "kl_function", "latex", "prove", "unregister", "verify",
           *_builtin_classes]
