"""A wall-clock budget for derivations, so that no SymPy call hangs forever.

SymPy's ``integrate`` and ``summation`` can run for minutes on integrals they
will not finish.  Each derivation runs inside :func:`time_budget`; when the
budget is spent a :class:`~klsym.errors.DerivationError` naming the route is
raised.  The budget uses ``SIGALRM`` and so applies only in the main thread of
a process on a POSIX system; elsewhere derivations run unbudgeted.
"""

import contextlib
import os
import signal
import threading
import time

from .errors import BudgetExceeded

DEFAULT_SECONDS = float(os.environ.get("KLSYM_TIME_BUDGET", "120"))
RETRY_SECONDS = 0.25


class _Expired(BaseException):
    """Raised by the alarm handler; a BaseException so SymPy cannot swallow it."""


def _can_alarm():
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def time_budget(seconds=None, route="derivation"):
    """Raise DerivationError if the body runs longer than ``seconds``.

    Nested budgets keep the tighter deadline of the two.

    Examples
    --------
    >>> with time_budget(5, route="demo"):
    ...     total = sum(range(10))
    """
    seconds = DEFAULT_SECONDS if seconds is None else float(seconds)
    if seconds <= 0 or not _can_alarm():
        yield
        return
    previous_remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    previous_handler = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    limit = seconds if previous_remaining == 0 else min(seconds, previous_remaining)

    leaving = []  # set first thing on the way out: a late alarm then does nothing

    def expire(signum, frame):
        if leaving:
            # delivered as the body ended (the signal arrives at the next
            # bytecode): raising in the cleanup below would skip it and
            # leave this handler and its retry armed for whatever runs next
            return
        # fire again shortly: a bare ``except:`` inside SymPy (or a garbage
        # collector callback, where exceptions are dropped) may swallow this
        # one, and the budget must still end the computation
        signal.setitimer(signal.ITIMER_REAL, RETRY_SECONDS)
        raise _Expired()

    signal.signal(signal.SIGALRM, expire)
    try:
        # armed inside: an alarm of a budget shorter than what follows must
        # still be reported as the budget's, not escape as _Expired
        signal.setitimer(signal.ITIMER_REAL, limit)
        yield
    except _Expired:
        leaving.append(True)
        if previous_remaining and previous_remaining <= seconds:
            raise  # the outer budget expired: let it report
        raise BudgetExceeded(
            f"the {route} route did not finish within its {seconds:g} s budget "
            f"(set KLSYM_TIME_BUDGET to allow more)", route=route) from None
    finally:
        leaving.append(True)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_remaining:
            left = previous_remaining - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3))
