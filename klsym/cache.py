"""On-disk cache of derived expressions.

Entries are keyed by a hash of what determines the result: the family
declarations involved, the quantity and route, the klsym version (and a hash
of its source files) and the SymPy version.  Each entry is a small JSON file holding the expression's ``srepr``
and a checksum; writes are atomic (write to a temporary file, then
``os.replace``) and an entry that fails to parse or whose checksum disagrees
is discarded and rebuilt.

``KLSYM_CACHE_DIR`` chooses the directory (default: ``$XDG_CACHE_HOME/klsym``
or ``~/.cache/klsym``); ``KLSYM_CACHE=0`` or :func:`set_enabled` turns the
disk cache off.  An in-memory layer sits in front of the disk in either case.
"""

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import sympy

from . import __version__

_memory = {}
_other_memories = []  # in-memory layers of other modules, cleared together
_enabled = os.environ.get("KLSYM_CACHE", "1").lower() not in ("0", "false", "no", "off")


def set_enabled(flag):
    """Turn the on-disk cache on or off for this process (memory cache stays)."""
    global _enabled
    _enabled = bool(flag)


def is_enabled():
    """Whether derived results are read from and written to disk."""
    return _enabled


def directory():
    """The cache directory in force (it is created on first write)."""
    env = os.environ.get("KLSYM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "klsym"


def _source_digest():
    """Hash of klsym's own source, so that a development change of the
    derivation code never reads results derived by older code."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


_SOURCE = _source_digest()


def make_key(*parts):
    """Hash ``parts`` with the klsym version, its source and the SymPy version."""
    text = "\x1f".join([__version__, _SOURCE, sympy.__version__, *map(str, parts)])
    return hashlib.sha256(text.encode()).hexdigest()


def remember_in_memory(table):
    """Register a module's memo dict so :func:`clear_memory` clears it too."""
    _other_memories.append(table)
    return table


def clear_memory():
    """Forget every in-memory layer (the disk is untouched)."""
    _memory.clear()
    for table in _other_memories:
        table.clear()


def _checksum(text):
    return hashlib.sha256(text.encode()).hexdigest()


def _read(name, field):
    """The checksummed ``field`` of entry ``name`` on disk, or None."""
    path = directory() / name
    try:
        entry = json.loads(path.read_text())
        text = entry[field]
        if entry["sha256"] != _checksum(text):
            raise ValueError("checksum mismatch")
        return text
    except FileNotFoundError:
        return None
    except Exception as exc:  # a corrupt entry: drop it and derive again
        warnings.warn(f"klsym: discarding corrupt cache entry {path.name} ({exc})")
        path.unlink(missing_ok=True)
        return None


def _write(name, field, text):
    """Write entry ``name`` atomically (temporary file, then ``os.replace``)."""
    folder = directory()
    payload = json.dumps({field: text, "sha256": _checksum(text)})
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            handle.write(payload)
        os.replace(tmp, folder / name)
    except OSError as exc:  # a read-only or full disk must not break a derivation
        warnings.warn(f"klsym: could not write the cache in {folder} ({exc})")


def load(key):
    """Return the cached expression for ``key``, or None on a miss."""
    if key in _memory:
        return _memory[key]
    if not _enabled:
        return None
    text = _read(f"{key}.json", "srepr")
    if text is None:
        return None
    try:
        value = sympy.sympify(text)
    except Exception as exc:  # parses no more (another SymPy): derive again
        warnings.warn(f"klsym: discarding corrupt cache entry {key}.json ({exc})")
        (directory() / f"{key}.json").unlink(missing_ok=True)
        return None
    _memory[key] = value
    return value


def store(key, value):
    """Remember ``value`` under ``key`` in memory and, if enabled, on disk."""
    _memory[key] = value
    if _enabled:
        _write(f"{key}.json", "srepr", sympy.srepr(value))


def load_text(key):
    """Cached text (generated source) for ``key``, or None."""
    if key in _memory:
        return _memory[key]
    if not _enabled:
        return None
    text = _read(f"{key}.txt.json", "text")
    if text is not None:
        _memory[key] = text
    return text


def store_text(key, text):
    """Remember generated ``text`` under ``key`` in memory and, if enabled, on disk."""
    _memory[key] = text
    if _enabled:
        _write(f"{key}.txt.json", "text", text)
