"""Fast, numerically careful numeric functions from derived closed forms.

``kl_function(p_family, q_family)`` returns a vectorised NumPy function of the
parameters of p (suffixed ``_p``) and q (suffixed ``_q``); ``source(...)``
returns the same function as a standalone module that needs only numpy and
scipy.  No formula is written here: each function is printed from the derived
expression (see :mod:`klsym.codegen.plan`), rewritten for floating point, with
a Taylor series near p = q where the closed form would cancel.  The same plan
prints for PyTorch and JAX (``backend="torch"``, ``"jax"``: differentiable)
and as C99 source (``source(..., backend="c99")``).

Examples
--------
>>> import klsym
>>> f = klsym.kl_function("normal", "normal")
>>> float(f(0.0, 1.0, 1.0, 1.0))
0.5
>>> f(mu_p=[0.0, 0.0], sigma_p=1.0, mu_q=0.0, sigma_q=[1.0, 2.0]).round(6)
array([0.      , 0.318147])
"""

import re
import types
from functools import lru_cache

from .. import cache
from ..dimensional import DimensionalFamily
from ..family import Family
from ..registry import is_builtin, lookup
from . import array_backend, c_backend, entries, numpy_backend
from .plan import make_plan
from .printers import UnsupportedFunction

#: backends with a callable function; "c99" gives source only
CALLABLE = ("numpy", "torch", "jax")
BACKENDS = CALLABLE + ("c99",)

__all__ = ["BACKENDS", "UnsupportedFunction", "cross_entropy_function", "entropy_function",
           "kl_function", "source"]


def kl_function(p_family, q_family, backend="numpy"):
    """Vectorised KL(p || q) over arrays of parameters.

    Parameters
    ----------
    p_family, q_family : str or Family
        Family names (or families, user-defined ones included).
    backend : {"numpy", "torch", "jax"}
        The array library of the function; torch and jax functions are
        differentiable.  (C99 is source only: :func:`source`.)

    Returns
    -------
    callable
        ``f(<params of p>_p, <params of q>_q, *, validate=True)``, by position
        or keyword, broadcasting like the backend's arrays; the NumPy one
        also takes ``workers=n``, threads evaluating its blocks (-1: one per
        CPU; the same results as the default 1).

    Examples
    --------
    >>> import klsym
    >>> f = klsym.kl_function("exponential", "exponential")
    >>> round(float(f(1.0, 2.0)), 12)
    0.30685281944
    """
    return _function("kl", p_family, q_family, backend)


def cross_entropy_function(p_family, q_family, backend="numpy"):
    """Vectorised cross-entropy H(p, q) over arrays of parameters (see
    :func:`kl_function`)."""
    return _function("cross_entropy", p_family, q_family, backend)


def entropy_function(family, backend="numpy"):
    """Vectorised entropy H(p) over arrays of the family's parameters (see
    :func:`kl_function`)."""
    return _function("entropy", family, None, backend)


def source(p_family, q_family=None, backend="numpy", quantity="kl", dim=None):
    """Source of a standalone module computing ``quantity``.

    Parameters
    ----------
    p_family, q_family : str or Family
        ``q_family`` is None for ``quantity="entropy"``.
    backend : {"numpy", "torch", "jax", "c99"}
        A Python module needing only its array library (and scipy for numpy),
        or C99 source with ``double <quantity>_<p>_<q>(...)`` and a checker.
    quantity : {"kl", "cross_entropy", "entropy"}
    dim : int, optional
        The dimension of a multivariate family.

    Raises
    ------
    UnsupportedFunction
        When the backend has no counterpart for a function the closed form
        needs (C99 has no digamma, PyTorch no exponential integral).
    """
    _check_backend(backend, BACKENDS)
    fp, fq = _family(p_family, dim), _family(q_family, dim) if q_family is not None else None
    if any(isinstance(f, DimensionalFamily) for f in (fp, fq)):
        found = _entry_plan(quantity, fp, fq) if backend in CALLABLE else None
        if found is None:
            name = next(f.name for f in (fp, fq) if isinstance(f, DimensionalFamily))
            raise TypeError(f"{name} needs dim= for a standalone module"
                            + (f" in {backend}" if _entry_plan(quantity, fp, fq) else ""))
        return _summed_source(found, fp, fq, backend)
    return _source(quantity, fp, fq, backend)


def _accuracy(fp, fq):
    families = [f for f in (fp, fq) if f is not None]
    if all(is_builtin(f.name) for f in families):
        return ("Accuracy: klsym's test suite checks the generated functions of its families\n"
                "against mpmath quadrature of the densities at 50 digits, on the exact float64\n"
                "inputs (ordinary, near-equal and extreme-scale parameters); targets: relative\n"
                "error below 1e-13 for a KL within a family, 1e-11 between families.")
    return ("Accuracy: a user-defined family, not verified by klsym's test suite. Compare with\n"
            "klsym.kl(..., numeric=True) at a few points before relying on it.")


def _check_backend(backend, known=CALLABLE):
    if backend not in known:
        extra = " (c99 gives source only: klsym.codegen.source)" if backend == "c99" else ""
        raise ValueError(f"backend must be one of {', '.join(known)}; got {backend!r}{extra}")


def _family(arg, dim=None):
    family = lookup(arg) if isinstance(arg, str) else arg
    if isinstance(family, DimensionalFamily):
        if dim is None:
            return family
        family = family.of(dim)
    if not isinstance(family, Family):
        raise TypeError(f"expected a family or a family name; got {arg!r}")
    return family


def _function(quantity, p_family, q_family, backend):
    _check_backend(backend)
    fp = _family(p_family)
    fq = _family(q_family) if q_family is not None else None
    if isinstance(fp, DimensionalFamily) or isinstance(fq, DimensionalFamily):
        return _per_dimension(quantity, fp, fq, backend)
    return _compiled(quantity, fp, fq, backend)


@lru_cache(maxsize=None)
def _plan(quantity, fp, fq):
    """One plan per quantity and families, shared by every backend."""
    return make_plan(quantity, fp, fq)


def _print(quantity, fp, fq, backend):
    plan = _plan(quantity, fp, fq)
    accuracy = _accuracy(fp, fq)
    if backend == "numpy":
        return numpy_backend.module_source(plan, accuracy)
    if backend == "c99":
        name = re.sub(r"\W", "_", "_".join([quantity] + [f.name for f in (fp, fq) if f is not None]))
        return c_backend.module_source(plan, name, accuracy)
    return array_backend.module_source(plan, backend, accuracy)


def _source(quantity, fp, fq, backend="numpy"):
    key = cache.make_key("codegen", backend, quantity, fp.fingerprint, fq.fingerprint if fq else "")
    text = cache.load_text(key)
    if text is None:
        text = _print(quantity, fp, fq, backend)
        cache.store_text(key, text)
    return text


@lru_cache(maxsize=None)
def _compiled(quantity, fp, fq, backend="numpy"):
    text = _source(quantity, fp, fq, backend)
    module = types.ModuleType(f"klsym_generated_{quantity}")
    exec(compile(text, module.__name__, "exec"), module.__dict__)  # noqa: S102 - our own printed source
    function = getattr(module, quantity)
    function.source = text
    return function


@lru_cache(maxsize=None)
def _entry_plan(quantity, fp, fq):
    """:func:`~klsym.codegen.entries.entry_plan` of dimensional families, else None."""
    if not all(isinstance(f, DimensionalFamily) for f in (fp, fq) if f is not None):
        return None
    return entries.entry_plan(quantity, fp, fq)


@lru_cache(maxsize=None)
def _summed(quantity, fp, fq, backend):
    """One function for every length where ``quantity`` is one term summed
    over the entries of vectors (:mod:`klsym.codegen.entries`), else None."""
    found = _entry_plan(quantity, fp, fq)
    if found is None:
        return None
    text = _summed_source(found, fp, fq, backend)
    module = types.ModuleType(f"klsym_generated_{quantity}")
    exec(compile(text, module.__name__, "exec"), module.__dict__)  # noqa: S102 - our own printed source
    function = getattr(module, quantity)
    function.source, function.entries = text, found
    return function


def _summed_source(found, fp, fq, backend):
    accuracy = _accuracy(fp, fq)  # a user's family is not verified: part of the key
    key = cache.make_key("codegen-summed", backend, found.quantity, found.key, accuracy)
    text = cache.load_text(key)
    if text is None:
        text = numpy_backend.summed_source(found, accuracy) if backend == "numpy" else \
            array_backend.summed_source(found, backend, accuracy)
        cache.store_text(key, text)
    return text


def _per_dimension(quantity, fp, fq, backend):
    """A function for every length where the quantity is a sum over entries
    (:func:`_summed`); else one that builds (once per dimension) the
    explicit-dimension one on first sight of the vector's length."""
    summed = _summed(quantity, fp, fq, backend)
    if summed is not None:
        return summed
    families = [f for f in (fp, fq) if f is not None]
    sizing = next(f for f in families if isinstance(f, DimensionalFamily))
    position = sizing.parameter_names.index(sizing.size_from)

    def function(*args, validate=True, **kwargs):
        import numpy
        side = "_p" if fq is not None else ""
        key = sizing.size_from + (side if sizing is fp or fq is None else "_q")
        value = kwargs.get(key, args[position] if len(args) > position else None)
        if value is None:
            raise TypeError(f"give {key}: its last axis sets the dimension")
        size = tuple(getattr(value, "shape", None) or numpy.shape(value))[-1]
        explicit = [f.of(size) if isinstance(f, DimensionalFamily) else f for f in (fp, fq)]
        return _compiled(quantity, explicit[0], explicit[1], backend)(*args, validate=validate,
                                                                      **kwargs)

    function.__doc__ = f"{quantity} of {fp.name}{'' if fq is None else ' and ' + fq.name}, " \
                       f"any dimension (the last axis of {sizing.size_from} sets it)"
    return function
