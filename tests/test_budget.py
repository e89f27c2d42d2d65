"""Derivations run under a time budget and fail clearly instead of hanging."""

import signal
import time

import pytest

import klsym
from klsym.budget import time_budget


def test_an_overrun_raises_derivation_error_naming_the_route():
    with pytest.raises(klsym.DerivationError, match="slow-route") as info:
        with time_budget(0.2, route="slow-route"):
            time.sleep(2)
    assert info.value.route == "slow-route"


def test_a_budget_shorter_than_its_own_setup_is_reported_as_overrun():
    """An alarm due before the body starts (a budget of a microsecond) is the
    budget's overrun, not a bare internal exception (found when a test
    forced a planning budget to 1e-6 s); the timer and handler are restored."""
    handler = signal.getsignal(signal.SIGALRM)
    for _ in range(20):
        with pytest.raises(klsym.DerivationError, match="tiny"):
            with time_budget(1e-6, route="tiny"):
                time.sleep(0.05)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


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


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timer")
def test_an_alarm_arriving_as_the_body_ends_does_nothing():
    """A SIGALRM delivered just as the body ends runs the budget's handler
    during its own cleanup: it must neither raise there (that skipped the
    cleanup, leaving the handler and its retry armed: a CI run crashed in
    pytest's teardown of the next test) nor arm another alarm."""
    with time_budget(5, route="late"):
        handler = signal.getsignal(signal.SIGALRM)
    assert handler(signal.SIGALRM, None) is None  # a late delivery: ignored
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is not handler
