"""The generated catalog (derivations/CATALOG.md) is current: regenerated
from the registry and the committed verification record, it must equal the
committed file, and the record must cover every supported pair."""

import json
from pathlib import Path

from klsym.documents import catalog
from klsym.verify import supported_pairs

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "derivations" / "verification.json"
CATALOG = ROOT / "derivations" / "CATALOG.md"
REGENERATE = ("klsym verify --all --points 5 --jobs 2 --json derivations/verification.json; "
              "klsym catalog -o derivations/CATALOG.md --record derivations/verification.json")


def test_the_verification_record_covers_every_supported_pair():
    record = json.loads(RECORD.read_text())
    assert [p["pair"] for p in record["pairs"]] == [p.label for p in supported_pairs()], \
        f"the record is stale: {REGENERATE}"


def test_the_catalog_is_current():
    fresh = catalog(RECORD)
    assert fresh == CATALOG.read_text(), f"derivations/CATALOG.md is stale: {REGENERATE}"
    for pair in supported_pairs():
        assert f"### {pair.p}" in fresh
