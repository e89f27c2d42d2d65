"""Run every derivation script (``derivations/NN_*.py``) in fast mode.

Each script derives a textbook result, checks it against an independent
route and exits non-zero if any check fails; here each one runs in a
subprocess with ``--fast --out <tmp>`` and must exit 0 and write its
Markdown document and the figures it declares.  The selected scripts are
launched two at a time (the development machine and CI have two cores) when
the first of these tests runs, and each test waits for its own script.
"""

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")

# one worker runs this module: the module fixture starts every script of the
# session's items, and every xdist worker collects all of them, so without
# the group each worker ran every script (and waited for them at teardown)
pytestmark = pytest.mark.xdist_group("derivations")

ROOT = Path(__file__).resolve().parents[1]
DERIVATIONS = ROOT / "derivations"
SCRIPTS = sorted(DERIVATIONS.glob("[0-9][0-9]_*.py"))
TIMEOUT = 600  # seconds per script; fast mode takes 5-40 s each

#: the figures each derivation writes, as ``<stem>_<name>.png``
FIGURES = {
    "01_gaussian_kl": ["forward_reverse"],
    "02_cross_entropy_mle": ["fits"],
    "03_forward_reverse_mixture": ["1d", "2d", "separation"],
    "04_distillation_temperature": ["scaling"],
    "05_rlhf_kl_estimators": ["estimators"],
    "06_elbo": ["gap", "mean_field"],
    "07_coding_interpretation": ["code_lengths"],
    "08_jensen_shannon": ["bounded"],
    "09_tsne_gradient": ["embedding"],
}

IMAGE_LINK = re.compile(r"!\[[^\]]*\]\(([^)]+\.png)\)")


def _run(script, out, *options):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, str(script), *options, "--out", str(out)], capture_output=True, text=True,
                          env=env, timeout=TIMEOUT, cwd=ROOT)


@pytest.fixture(scope="module")
def launched(request, tmp_path_factory):
    """Start every selected script (two at a time); stem -> (future, output dir)."""
    selected = [item.callspec.params["script"] for item in request.session.items
                if getattr(item, "module", None) is request.module  # doctest items have no module
                and "script" in getattr(getattr(item, "callspec", None), "params", {})]
    pool = ThreadPoolExecutor(max_workers=2)
    runs = {}
    for script in selected:
        out = tmp_path_factory.mktemp(script.stem)
        runs[script.stem] = (pool.submit(_run, script, out, "--fast"), out)
    yield runs
    pool.shutdown(wait=True)


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.stem)
def test_derivation_runs_and_writes_its_document(script, launched):
    future, out = launched[script.stem]
    result = future.result()
    assert result.returncode == 0, f"{script.name} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    document = out / f"{script.stem}.md"
    assert document.exists(), f"{script.name} did not write {document.name}"
    text = document.read_text(encoding="utf-8")
    assert "**FAIL**" not in text and "- PASS:" in text
    expected = {f"{script.stem}_{name}.png" for name in FIGURES[script.stem]}
    assert set(IMAGE_LINK.findall(text)) == expected
    for name in expected:
        assert (out / name).stat().st_size > 10_000, f"{name} is missing or nearly empty"


def test_every_derivation_is_declared_and_indexed():
    assert {p.stem for p in SCRIPTS} == set(FIGURES)
    index = (DERIVATIONS / "README.md").read_text(encoding="utf-8")
    for script in SCRIPTS:
        assert script.name in index and f"out/{script.stem}.md" in index


def test_committed_documents_link_existing_figures():
    """The committed outputs (from full runs) are complete and passed every check."""
    for script in SCRIPTS:
        document = DERIVATIONS / "out" / f"{script.stem}.md"
        text = document.read_text(encoding="utf-8")
        assert "**FAIL**" not in text and "(this file was written in --fast mode)" not in text
        for name in IMAGE_LINK.findall(text):
            assert (DERIVATIONS / "out" / name).exists(), f"{document.name} links the missing {name}"


def test_a_failing_check_makes_the_script_exit_nonzero(tmp_path):
    script = tmp_path / "failing_demo.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(DERIVATIONS)!r})\n"
        "from _common import Document\n"
        "doc = Document(__file__, 'demo')\n"
        "doc.check(1 + 1 == 2, 'a true statement')\n"
        "doc.check(1 + 1 == 3, 'a false statement')\n"
        "doc.finish()\n", encoding="utf-8")
    result = _run(script, tmp_path)
    assert result.returncode == 1
    assert "FAILED: a false statement" in result.stderr
    text = (tmp_path / "failing_demo.md").read_text(encoding="utf-8")
    assert "- **FAIL**: a false statement" in text and "- PASS: a true statement" in text
