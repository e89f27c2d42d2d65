"""The generated catalog (derivations/CATALOG.md) is current.

Regenerating it derives and proves every family and pair (minutes), so the
test compares what it is made from: the digest of the family declarations,
the derivation and proof code and the verification record, written into the
catalog when it was generated, must equal today's; and the sections of two
families and a pair, regenerated here, must appear in it verbatim.  The
record itself must cover every supported pair."""

import json
import re
from pathlib import Path

from klsym.documents import DIGEST_LABEL, _accuracy_table, family_section, inputs_digest, \
    pair_section
from klsym.verify import supported_pairs

ROOT = Path(__file__).resolve().parent.parent
RECORD = ROOT / "derivations" / "verification.json"
CATALOG = ROOT / "derivations" / "CATALOG.md"
REGENERATE = ("klsym verify --all --points 5 --jobs 2 --json derivations/verification.json; "
              "klsym catalog -o derivations/CATALOG.md --record derivations/verification.json")


def _record():
    return json.loads(RECORD.read_text())


def test_the_verification_record_covers_every_supported_pair():
    assert [p["pair"] for p in _record()["pairs"]] == [p.label for p in supported_pairs()], \
        f"the record is stale: {REGENERATE}"


def test_the_catalog_was_generated_from_todays_inputs():
    text = CATALOG.read_text()
    found = re.search(rf"<!-- {DIGEST_LABEL} (\w+) -->", text)
    assert found, "derivations/CATALOG.md has no inputs digest: regenerate it"
    assert found.group(1) == inputs_digest(_record()), \
        f"derivations/CATALOG.md is stale (families, derivation code or record changed): {REGENERATE}"


def test_regenerated_sections_appear_verbatim():
    text = CATALOG.read_text()
    accuracy = _accuracy_table(_record())
    for section in (family_section("normal", accuracy), family_section("bernoulli", accuracy),
                    pair_section("exponential", "gamma", accuracy)):
        assert section in text, f"{section.splitlines()[0]} differs: {REGENERATE}"
