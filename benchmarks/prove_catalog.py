"""Benchmark: prove non-negativity, CE = H + KL, KL = 0 iff p = q and
asymmetry for every family of the catalog, cold.

Each family runs in a fresh Python process with an empty derivation cache
(imports excluded from the time).  Target: under 2 minutes in all on a
2-core machine.

Run:  python benchmarks/prove_catalog.py
"""

import json
import os
import subprocess
import sys
import tempfile

import klsym

_CODE = """
import json, time
from klsym import prove
name = {name!r}
times, verdicts = {{}}, {{}}
for label, call in (("nonnegative", lambda: prove.nonnegative(name, name)),
                    ("decomposition", lambda: prove.cross_entropy_decomposition(name, name)),
                    ("zero_iff_equal", lambda: prove.zero_iff_equal(name)),
                    ("asymmetric", lambda: prove.asymmetric(name))):
    t0 = time.perf_counter()
    verdicts[label] = call().verdict
    times[label] = time.perf_counter() - t0
print(json.dumps({{"times": times, "verdicts": verdicts}}))
"""

LABELS = ("nonnegative", "decomposition", "zero_iff_equal", "asymmetric")


def main():
    print(f"klsym {klsym.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores")
    print(f"\n{'family':<18}" + "".join(f"{label:>16}" for label in LABELS) + f"{'total (s)':>11}")
    grand = 0.0
    for name in klsym.families():
        with tempfile.TemporaryDirectory() as cache_dir:
            env = {**os.environ, "KLSYM_CACHE_DIR": cache_dir}
            out = subprocess.run([sys.executable, "-c", _CODE.format(name=name)], env=env,
                                 capture_output=True, text=True, check=True, timeout=600)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        total = sum(result["times"].values())
        grand += total
        cells = "".join(f"{result['verdicts'][label][:6]:>9}{result['times'][label]:>6.2f}s"
                        for label in LABELS)
        print(f"{name:<18}{cells}{total:>11.2f}")
    print(f"{'total':<18}{'':>64}{grand:>11.2f}")


if __name__ == "__main__":
    main()
