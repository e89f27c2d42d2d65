"""Derivations run under a time budget and fail clearly instead of hanging."""

import time

import pytest

import klsym
from klsym.budget import time_budget


def test_an_overrun_raises_derivation_error_naming_the_route():
    with pytest.raises(klsym.DerivationError, match="slow-route") as info:
        with time_budget(0.2, route="slow-route"):
            time.sleep(2)
    assert info.value.route == "slow-route"


def test_a_body_within_budget_is_untouched():
    with time_budget(5, route="quick"):
        total = sum(range(1000))
    assert total == 499500


def test_nested_budgets_keep_the_outer_deadline():
    start = time.monotonic()
    with pytest.raises(klsym.DerivationError, match="outer"):
        with time_budget(0.3, route="outer"):
            with time_budget(10, route="inner"):
                time.sleep(2)
    assert time.monotonic() - start < 1.5


def test_an_impossible_budget_stops_a_real_derivation():
    from klsym import cache
    cache.clear_memory()
    was = cache.is_enabled()
    cache.set_enabled(False)
    try:
        with pytest.raises(klsym.DerivationError):
            klsym.kl("gamma", "gamma", route="expectation", budget=1e-4)
    finally:
        cache.set_enabled(was)
