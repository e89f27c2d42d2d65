"""The registry of families, looked up by name.

A name is registered once; registering it again is refused rather than
silently replacing the first family (TensorFlow Probability does the same).
"""

import difflib

from .errors import FamilyDefinitionError, UnknownFamilyError

_FAMILIES = {}
_BUILTIN = set()


def _key(name):
    """Names match ignoring case, spaces, dashes and underscores."""
    return name.lower().replace("_", "").replace("-", "").replace(" ", "")


def register(family):
    """Add ``family`` under ``family.name``; refuse a name already taken."""
    key = _key(family.name)
    if key in _FAMILIES:
        raise FamilyDefinitionError(
            f"a family named {family.name!r} is already registered; "
            f"choose another name or call klsym.unregister({family.name!r}) first")
    _FAMILIES[key] = family
    return family


def unregister(name):
    """Remove a family from the registry (e.g. to redefine a user family)."""
    _FAMILIES.pop(_key(lookup(name).name))


def lookup(name):
    """Return the family registered as ``name`` (case-insensitive).

    Raises
    ------
    UnknownFamilyError
        With the list of known names and the closest matches.
    """
    if not isinstance(name, str):
        raise TypeError(f"a family name must be a string, got {type(name).__name__}")
    key = _key(name)
    if key in _FAMILIES:
        return _FAMILIES[key]
    close = difflib.get_close_matches(key, list(_FAMILIES), n=3)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise UnknownFamilyError(
        f"unknown family {name!r}.{hint} Known families: {', '.join(names())}")


def names():
    """Sorted names of every registered family."""
    return sorted(f.name for f in _FAMILIES.values())


def all_families():
    """Every registered family, sorted by name."""
    return sorted(_FAMILIES.values(), key=lambda f: f.name)


def mark_builtin():
    """Record the families registered so far as klsym's own (called once,
    after the built-in declarations are imported)."""
    _BUILTIN.update(_FAMILIES)


def is_builtin(name):
    """True for a family klsym ships (and tests), False for a user's."""
    return _key(name) in _BUILTIN
