"""The whole catalog through ``klsym verify --all --points 5`` (the issue's
acceptance run), on two worker processes.

Every check of every point must pass, except the defects of the generated
functions that this harness found and that are listed in KNOWN_DEFECTS with
the reason; the list is exact both ways (a new failure fails the test, and
so does a listed defect that no longer fails: then remove it), so it cannot
hide anything.  Points the reference cannot resolve are "not checked" with a
reason; they must stay few.
"""

import json

from klsym.cli import main
from klsym.verify import supported_pairs

#: (pair, check) -> what fails (seed 0, 5 points), found by this harness and
#: left as a documented limit (README "Known limits")
#: (the negative binomial's H(p, q) != H(p) + KL at r, p near 1e-6, from
#: nsum's unchecked best guess, was one until klsym.numeric refused it)
KNOWN_DEFECTS = {}


def test_whole_catalog_at_five_points(tmp_path, capsys):
    out = tmp_path / "report.json"
    status = main(["verify", "--all", "--points", "5", "--jobs", "2", "--json", str(out),
                   "--no-progress"])
    report = json.loads(out.read_text())
    text = capsys.readouterr().out
    assert len(report["pairs"]) == len(supported_pairs())
    assert all(len(pair["points"]) == 5 for pair in report["pairs"])
    found = set()
    for pair in report["pairs"]:
        for point in pair["points"]:
            for message in point["failures"]:
                check = message.split(":")[0]
                found.add((pair["pair"], check))
                assert (pair["pair"], check) in KNOWN_DEFECTS, \
                    f"{pair['pair']} point {point['index']}: {message}\n  {point['command']}"
    assert found == set(KNOWN_DEFECTS), f"fixed since? {set(KNOWN_DEFECTS) - found}"
    assert status == (1 if KNOWN_DEFECTS else 0)
    points = [pt for pair in report["pairs"] for pt in pair["points"]]
    skipped = [pt for pt in points if pt["status"] == "not checked"]
    assert all(pt["skipped"] for pt in skipped), "a point not checked must say why"
    assert len(skipped) <= len(points) // 8, "\n".join(
        f"{pt['pair']} #{pt['index']}: {pt['skipped']}" for pt in skipped)
    # a failure is printed with the command that re-checks it
    assert ("re-check: klsym verify" in text) == bool(KNOWN_DEFECTS)
