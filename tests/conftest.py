import os
import tempfile

import mpmath
import pytest

# Derived results are cached in a directory private to this test run, so the
# suite neither reads stale entries nor writes into the user's cache.
os.environ.setdefault("KLSYM_CACHE_DIR", tempfile.mkdtemp(prefix="klsym-test-cache-"))


@pytest.fixture(autouse=True)
def _restore_mpmath_precision():
    """No test may leak a change of mpmath's global precision."""
    dps = mpmath.mp.dps
    yield
    assert mpmath.mp.dps == dps, "a test changed mpmath's global precision"
    mpmath.mp.dps = dps
