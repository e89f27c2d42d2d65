"""The on-disk cache: hits, invalidation, corrupt entries, the off switch."""

import json

import pytest
import sympy

import klsym
from klsym import cache, derive


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("KLSYM_CACHE_DIR", str(tmp_path))
    cache.clear_memory()
    was = cache.is_enabled()
    cache.set_enabled(True)
    yield tmp_path
    cache.set_enabled(was)
    cache.clear_memory()


def _refuse(*args, **kwargs):
    raise AssertionError("derived again instead of reading the cache")


def test_a_second_derivation_is_read_from_disk(fresh_cache, monkeypatch):
    first = klsym.kl("poisson", "poisson")
    entries = list(fresh_cache.glob("*.json"))
    assert len(entries) == 1
    cache.clear_memory()
    monkeypatch.setattr(derive, "_by_exponential_family", _refuse)
    assert klsym.kl("poisson", "poisson") == first


def test_the_key_changes_with_versions_and_declarations(monkeypatch):
    key = cache.make_key("kl", "route", "abc")
    monkeypatch.setattr(cache, "__version__", "999")
    assert cache.make_key("kl", "route", "abc") != key
    monkeypatch.undo()
    monkeypatch.setattr(sympy, "__version__", "0.0")
    assert cache.make_key("kl", "route", "abc") != key
    x, lam = sympy.symbols("x lam")
    one = klsym.define_family("cache_one_test", lam * sympy.exp(-lam * x), x, [lam],
                              sympy.Interval(0, sympy.oo), constraints=[lam > 0], register=False)
    two = klsym.define_family("cache_one_test", 2 * lam * sympy.exp(-2 * lam * x), x, [lam],
                              sympy.Interval(0, sympy.oo), constraints=[lam > 0], register=False)
    assert one.fingerprint != two.fingerprint


def test_a_corrupt_entry_is_detected_and_rebuilt(fresh_cache):
    first = klsym.kl("geometric", "geometric")
    (entry,) = fresh_cache.glob("*.json")
    for garbage in ("{not json", json.dumps({"srepr": "Integer(3)", "sha256": "0" * 64})):
        entry.write_text(garbage)
        cache.clear_memory()
        with pytest.warns(UserWarning, match="corrupt cache entry"):
            again = klsym.kl("geometric", "geometric")
        assert again == first
        assert json.loads(entry.read_text())["srepr"] == sympy.srepr(first)


def test_the_disk_cache_can_be_switched_off(fresh_cache):
    cache.set_enabled(False)
    klsym.entropy("exponential")
    assert list(fresh_cache.glob("*")) == []
