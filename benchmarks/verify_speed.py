"""Benchmark: points verified per second at 50 digits, and the full catalog.

Times ``klsym.verify`` per family kind -- continuous with closed-form
expectations (gamma), discrete with infinite support (poisson), multivariate
(mvnormal d = 2, dirichlet K = 3) -- with 1 and 2 worker processes, after a
warm-up that derives and generates everything (the disk cache is warm, as in
any run after the first); then the whole catalog (``klsym verify --all``) at
50 points per pair.

Run:  python benchmarks/verify_speed.py [--points N] [--catalog-points N]
"""

import argparse
import os
import sys
import time

import klsym
from klsym.verify import verify_all

KINDS = [("continuous, closed-form expectations", "gamma", None),
         ("discrete, infinite support", "poisson", None),
         ("multivariate: mvnormal d = 2", "mvnormal", 2),
         ("multivariate: dirichlet K = 3", "dirichlet", 3)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12, help="points per kind (default 12)")
    parser.add_argument("--catalog-points", type=int, default=50,
                        help="points per pair for the full catalog (default 50; 0 skips it)")
    parser.add_argument("--jobs", type=int, default=2, help="workers for the catalog (default 2)")
    args = parser.parse_args()
    print(f"klsym {klsym.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
          f"50 digits")
    print(f"\n{'kind':<40}{'jobs':>5}{'points':>8}{'seconds':>9}{'points/s':>10}  outcome")
    for title, name, dim in KINDS:
        klsym.verify(name, points=1, dim=dim, progress=False)  # warm-up: derive, generate
        for jobs in (1, 2):
            start = time.perf_counter()
            report = klsym.verify(name, points=args.points, dim=dim, jobs=jobs, progress=False)
            seconds = time.perf_counter() - start
            counts = {s: sum(p.count(s) for p in report.pairs) for s in ("pass", "fail", "not checked")}
            print(f"{title:<40}{jobs:>5}{args.points:>8}{seconds:>9.1f}{args.points / seconds:>10.2f}"
                  f"  {counts['pass']} passed, {counts['fail']} failed, "
                  f"{counts['not checked']} not checked", flush=True)
    if args.catalog_points:
        print(f"\nfull catalog, {args.catalog_points} points per pair, --jobs {args.jobs}:", flush=True)
        start = time.perf_counter()
        report = verify_all(points=args.catalog_points, jobs=args.jobs, progress=None)
        seconds = time.perf_counter() - start
        total = sum(len(p.points) for p in report.pairs)
        print(report.to_text())
        print(f"\n{total} points in {seconds:.0f} s ({total / seconds:.2f} points/s)")


if __name__ == "__main__":
    main()
