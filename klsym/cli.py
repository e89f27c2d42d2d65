"""The ``klsym`` command line.

Examples::

    klsym kl normal normal                      # symbolic closed form
    klsym kl gamma gamma --p alpha=2,beta=3 --q alpha=1,beta=1 --digits 30
    klsym kl categorical categorical --p "p=[0.2,0.8]" --q "p=[0.5,0.5]"
    klsym entropy mvnormal --dim 2                # symbolic, dimension 2
    klsym entropy beta --format latex
    klsym cross-entropy poisson poisson
    klsym form gamma                            # exponential-family pieces
    klsym prove nonnegative gamma gamma         # proof certificate
    klsym families
    klsym codegen normal normal -o kl_normal.py  # standalone NumPy module
    klsym codegen normal normal --backend c99 -o kl_normal.c
    klsym verify --all --points 5                # check everything numerically
    klsym catalog -o derivations/CATALOG.md --record derivations/verification.json
"""

import argparse
import sys

import sympy

from . import __version__
from .derive import ROUTES, cross_entropy, entropy, kl
from .dimensional import DimensionalFamily
from .errors import KlsymError
from .printing import latex
from .registry import all_families, lookup


def _parse_values(text, family, dim=None):
    if isinstance(family, DimensionalFamily):
        if not text and dim is None:
            raise ValueError(f"{family.name} needs --dim (or values for its parameters)")
        if dim is not None:
            family = family.of(dim)
    if not text:
        return family
    values = {}
    for item in _top_level_split(text):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"expected name=value in {item!r}")
        values[name.strip()] = _parse_value(value.strip())  # numbers parsed exactly by the family
    return family(**values)


def _top_level_split(text):
    """Split at commas outside brackets: ``n=3,p=[0.2,0.8]`` -> two items."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(text[start:i])
            start = i + 1
    items.append(text[start:])
    return [item for item in items if item.strip()]


def _parse_value(text):
    """``[0.2,0.8]`` or ``[[1,0],[0,1]]`` -> nested lists of strings; else the string."""
    if text.startswith("[") and text.endswith("]"):
        return [_parse_value(part.strip()) for part in _top_level_split(text[1:-1])]
    return text


def _show(expr, args):
    if args.digits:
        expr = sympy.N(expr, args.digits)
    if args.format == "latex":
        return latex(expr)
    if args.format == "pretty":
        return sympy.pretty(expr, use_unicode=True)
    return str(expr)


def _derive(args):
    p = _parse_values(args.p, lookup(args.family_p), args.dim)
    if args.command == "entropy":
        return entropy(p, route=args.route)
    q = _parse_values(args.q, lookup(args.family_q), args.dim)
    return (kl if args.command == "kl" else cross_entropy)(p, q, route=args.route)


def _families(args):
    rows = []
    for f in all_families():
        if isinstance(f, DimensionalFamily):
            rows.append(f"{f.name:<18} {f.title}({', '.join(f.parameter_names)})  "
                        f"{'discrete' if f.discrete else 'continuous'}, {f.description}; "
                        f"any dimension (--dim)")
            continue
        kind = "exponential family" if f.is_exponential_family else (
            f"exponential family given {', '.join(map(str, f.canonical.fixed))}"
            if f.canonical else "not an exponential family")
        rows.append(f"{f.name:<18} {f.title}({', '.join(f.parameter_names)})  "
                    f"{'discrete' if f.discrete else 'continuous'}, support {f.support}; {kind}")
    return "\n".join(rows)


def _form(args):
    f = lookup(args.family_p)
    if isinstance(f, DimensionalFamily):
        return f"{f.title} has a family per dimension; its derivations use the expectation route."
    form = f.canonical
    if form is None:
        return f"{f.title} has no exponential-family form (its parameters cannot be " \
               f"separated from {f.variable})."
    show = latex if args.format == "latex" else str
    lines = [f"{f.title}: p({f.variable}) = h({f.variable}) exp(eta . T({f.variable}) - A)"]
    if form.fixed:
        lines.append(f"  for fixed {', '.join(map(str, form.fixed))}")
    lines += [f"  eta   = {show(tuple(form.natural_parameters))}",
              f"  T     = {show(tuple(form.sufficient_statistics))}",
              f"  A     = {show(form.log_normalizer)}",
              f"  log h = {show(form.log_base_measure)}"]
    if form.mean_statistics is not None:
        lines.append(f"  E[T]  = {show(tuple(form.mean_statistics))}")
    return "\n".join(lines)


_CLAIMS = {
    "nonnegative": ("nonnegative", 2), "decomposition": ("cross_entropy_decomposition", 2),
    "zero-iff-equal": ("zero_iff_equal", 1), "asymmetric": ("asymmetric", 1),
    "moment-matching": ("moment_matching", 1), "pinsker": ("pinsker_bernoulli", 0),
    "change-of-variable": ("change_of_variable", 2), "additivity": ("additivity", 4),
    "gaussian-split": ("gaussian_split", 0),
}


def _prove(args):
    from . import prove
    name, arity = _CLAIMS[args.claim]
    if len(args.families) != arity:
        raise ValueError(f"'prove {args.claim}' takes {arity} family name(s); got {len(args.families)}")
    proof = getattr(prove, name)(*[lookup(f).name for f in args.families])
    text = {"text": proof.to_text, "markdown": proof.to_markdown, "latex": proof.to_latex}
    return text[args.format](), proof.holds


def _codegen(args):
    from .codegen import source
    quantity = args.quantity.replace("-", "_")
    q = args.family_q if quantity != "entropy" else None
    if quantity != "entropy" and q is None:
        raise ValueError(f"{args.quantity} needs two families")
    text = source(lookup(args.family_p), lookup(q) if q else None, backend=args.backend,
                  quantity=quantity, dim=args.dim)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
        return (f"wrote {args.output}: {args.backend} {quantity} of {args.family_p}"
                + (f" and {q}" if q else ""))
    return text


def _catalog(args):
    from .documents import catalog
    text = catalog(args.record)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(text)
        return f"wrote {args.output}"
    return text


def build_parser():
    parser = argparse.ArgumentParser(
        prog="klsym", description="KL divergence, entropy and cross-entropy derived by SymPy.",
        epilog="Family names: " + ", ".join(f.name for f in all_families()))
    parser.add_argument("--version", action="version", version=f"klsym {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def output_options(p):
        p.add_argument("--format", choices=("text", "pretty", "latex"), default="text",
                       help="how to print the expression (default: text)")

    for name, help_text, two in (("kl", "KL(p || q)", True),
                                 ("cross-entropy", "cross-entropy H(p, q)", True),
                                 ("entropy", "entropy H(p)", False)):
        p = sub.add_parser(name, help=f"derive {help_text}", description=f"Derive {help_text}.")
        p.add_argument("family_p", help="family of p, e.g. normal")
        if two:
            p.add_argument("family_q", help="family of q")
        p.add_argument("--p", metavar="NAME=VALUE,...", help="numeric parameters of p")
        if two:
            p.add_argument("--q", metavar="NAME=VALUE,...", help="numeric parameters of q")
        p.add_argument("--route", choices=ROUTES, default="auto", help="derivation route")
        p.add_argument("--dim", type=int, metavar="D",
                       help="dimension of a multivariate family (mvnormal d, dirichlet/categorical "
                            "K) when no values are given")
        p.add_argument("--digits", type=int, default=0,
                       help="evaluate numerically to this many significant digits")
        output_options(p)
    p = sub.add_parser(
        "prove", help="print a machine-checked proof certificate",
        description="Prove a KL identity or inequality and print its certificate. "
                    "Exit status 0 if proved, 1 if disproved or unknown.")
    p.add_argument("claim", choices=sorted(_CLAIMS), help="what to prove")
    p.add_argument("families", nargs="*", metavar="family",
                   help="family names (two for nonnegative/decomposition, one for "
                        "zero-iff-equal/asymmetric/moment-matching, none for pinsker)")
    p.add_argument("--format", choices=("text", "markdown", "latex"), default="text")
    p = sub.add_parser("form", help="show a family's exponential-family form")
    p.add_argument("family_p", metavar="family")
    output_options(p)
    sub.add_parser("families", help="list the registered families")
    p = sub.add_parser(
        "codegen", help="write a standalone module (NumPy, PyTorch, JAX or C99) for a KL, "
                        "entropy or cross-entropy",
        description="Print (or write with -o) a module that needs only its array library "
                    "(numpy and scipy, torch, or jax; C99 needs libm) and defines a function "
                    "of the parameters, suffixed _p and _q.")
    p.add_argument("family_p", help="family of p")
    p.add_argument("family_q", nargs="?", help="family of q (not for --quantity entropy)")
    p.add_argument("--quantity", choices=("kl", "cross-entropy", "entropy"), default="kl")
    p.add_argument("--dim", type=int, metavar="D", help="dimension of a multivariate family")
    p.add_argument("--backend", choices=("numpy", "torch", "jax", "c99"), default="numpy",
                   help="target of the generated source (default: numpy)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the module here")
    from .verify.command import add_parser as add_verify
    add_verify(sub)
    p = sub.add_parser(
        "catalog", help="write the catalog of every family and supported pair (Markdown)",
        description="Derive, prove and print every family and every supported pair of "
                    "different families: formulas in LaTeX, proof status, and the accuracy "
                    "of the generated functions from a verification record (the JSON of "
                    "klsym verify --all --json).")
    p.add_argument("-o", "--output", metavar="FILE", help="write the catalog here")
    p.add_argument("--record", metavar="JSON", help="verification record to read accuracies from")
    return parser


def main(argv=None):
    """Entry point of the ``klsym`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "prove":
            out, holds = _prove(args)
            print(out)
            return 0 if holds else 1
        if args.command == "families":
            out = _families(args)
        elif args.command == "form":
            out = _form(args)
        elif args.command == "codegen":
            out = _codegen(args)
        elif args.command == "catalog":
            out = _catalog(args)
        elif args.command == "verify":
            from .verify.command import main as verify_main
            return verify_main(args)
        else:
            out = _show(_derive(args), args)
    except (KlsymError, ValueError, TypeError) as exc:
        print(f"klsym: error: {exc}", file=sys.stderr)
        return 2
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
