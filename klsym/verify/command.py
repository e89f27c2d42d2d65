"""``klsym verify``: the command-line face of :mod:`klsym.verify`."""

import argparse
import sys

DESCRIPTION = """\
Check KL(p || q), H(p) and H(p, q) -- klsym's closed forms and its generated
float64 functions -- against an independent mpmath integration (summation) of
the declared densities, at seeded admissible points: ordinary values, nearly
equal p and q, extreme scales and points near the constraint boundaries.
Closed forms must agree with the reference to 30 significant digits; the
generated functions must meet their accuracy targets; CE = H + KL, KL >= 0
and the +oo cases of the support rule are checked at every point.

Exit status: 0 if nothing failed, 1 if a check failed, 2 on bad input,
130 when interrupted (Ctrl-C prints the report of what finished)."""

EPILOG = """\
examples:
  klsym verify gamma                          # gamma || gamma, 10 points
  klsym verify uniform beta --points 20 --jobs 2
  klsym verify dirichlet --dim 3 --json report.json
  klsym verify --all --points 5 --markdown report.md
  klsym verify --family-file my_family.py --against gamma
  klsym verify gamma gamma --p alpha=2.5,beta=0.125 --q alpha=3,beta=1 --dps 50
  klsym verify --all --scheduler tcp://10.0.0.5:8786   # on a Dask cluster"""


def add_parser(sub):
    p = sub.add_parser("verify", help="check closed forms and generated functions against "
                                      "independent 50-digit numerics",
                       description=DESCRIPTION, epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("family_p", nargs="?", help="family of p (e.g. gamma)")
    p.add_argument("family_q", nargs="?", help="family of q (default: the family of p)")
    p.add_argument("--all", action="store_true",
                   help="every family with itself and every supported pair of different families")
    p.add_argument("--family-file", action="append", default=[], metavar="FILE",
                   help="a Python file declaring families with klsym.define_family; the families "
                        "it registers are verified (with themselves, and with --against)")
    p.add_argument("--against", action="append", default=[], metavar="NAME",
                   help="also verify each family of --family-file against this family (as q)")
    p.add_argument("--dim", type=int, metavar="D", help="dimension of a multivariate family "
                   "(default: the catalog's, e.g. dirichlet K = 2 and 3)")
    p.add_argument("--points", type=int, default=None, metavar="N",
                   help="parameter points per pair (default 10; 5 with --all)")
    p.add_argument("--dps", type=int, default=50, metavar="D",
                   help="working digits of reference and closed forms (default 50)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="seed of the points (default 0)")
    p.add_argument("--p", metavar="NAME=VALUE,...", help="check only this point: parameters of p "
                   "(exact decimals, e.g. alpha=2.5,beta=0.125)")
    p.add_argument("--q", metavar="NAME=VALUE,...", help="parameters of q for --p")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on a dask.distributed scheduler at ADDRESS (pip install 'klsym[dask]')")
    p.add_argument("--json", nargs="?", const="-", metavar="FILE",
                   help="write the report as JSON to FILE (to stdout without FILE)")
    p.add_argument("--markdown", nargs="?", const="-", metavar="FILE",
                   help="write the report as Markdown to FILE (to stdout without FILE)")
    p.add_argument("--no-functions", action="store_true",
                   help="check the closed forms only, not the generated float64 functions")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def main(args):
    """Run ``klsym verify``; return the exit status."""
    from ..cli import _parse_values
    from ..registry import lookup, names
    from . import supported_pairs, verify, verify_all
    from .catalog import Pair
    from .check import load_family_files

    if args.points is not None and args.points < 1:
        raise ValueError(f"--points must be at least 1; got {args.points}")
    if args.dps < 20:
        raise ValueError(f"--dps must be at least 20 (30-digit agreement is checked); got {args.dps}")
    files = tuple(args.family_file)
    before = set(names())
    load_family_files(files)
    new = sorted(set(names()) - before)
    progress = False if args.no_progress else None
    common = dict(dps=args.dps, seed=args.seed, jobs=args.jobs, scheduler=args.scheduler,
                  progress=progress, check_functions=not args.no_functions)
    if args.p or args.q:
        if not (args.family_p and args.p and args.q):
            raise ValueError("--p and --q check one point of a named pair: "
                             "klsym verify P [Q] --p ... --q ...")
        fp, fq = lookup(args.family_p), lookup(args.family_q or args.family_p)
        at = (_parse_values(args.p, fp), _parse_values(args.q, fq))
        report = verify(args.family_p, args.family_q, at=at, dim=_dimension(fp, at[0]),
                        family_files=files, **common)
    elif args.all or new:
        pairs = supported_pairs() if args.all else []
        for name in new:
            pairs.append(Pair(name, name, None, files))
            pairs += [Pair(name, other, None, files) for other in args.against]
        if args.family_p:
            raise ValueError("give either family names or --all/--family-file, not both")
        report = verify_all(points=args.points or 5, pairs=pairs, **common)
    elif args.family_p:
        report = verify(args.family_p, args.family_q, points=args.points or 10, dim=args.dim,
                        family_files=files, **common)
    else:
        raise ValueError("name a family (klsym verify gamma), a pair (klsym verify uniform beta), "
                         "--all, or --family-file FILE")
    _emit(report, args)
    if report.interrupted:
        return 130
    return 1 if report.failed else 0


def _dimension(family, dist):
    """The dimension a distribution of a family with a dimension was built in."""
    from ..dimensional import DimensionalFamily
    if not isinstance(family, DimensionalFamily):
        return None
    return len(dist.params[family.size_from])


def _emit(report, args):
    table_to_stdout = True
    for option, render in ((args.json, report.to_json), (args.markdown, report.to_markdown)):
        if option is None:
            continue
        if option == "-":
            print(render())
            table_to_stdout = False
        else:
            with open(option, "w") as handle:
                handle.write(render() + "\n")
    print(report.to_text(), file=sys.stdout if table_to_stdout else sys.stderr)
