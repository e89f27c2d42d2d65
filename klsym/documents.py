"""The generated catalog: every family and every supported pair, from the
registry, as one Markdown document.

For each family: its parameters and constraints, support, density, entropy
and KL with itself in LaTeX, the proof status of non-negativity and of
H(p, q) = H(p) + KL(p || q), and the accuracy its generated KL function was
verified to.  Then every supported pair of different families the same way.
Nothing is typed: each entry is derived, proved or read from a verification
record (the JSON of ``klsym verify --all --json``) when the document is
written, so a test can regenerate it and fail when the committed copy is
stale.

Examples
--------
>>> from klsym.documents import family_section
>>> print(family_section("exponential").splitlines()[0])
### exponential (`Exponential`)
"""

import hashlib
import json
import re

from . import __version__
from .derive import entropy, kl
from .dimensional import DimensionalFamily
from .printing import latex
from .registry import all_families, is_builtin, lookup

#: the dimension at which a family with a dimension is shown when it has no
#: general-dimension closed form, and at which its claims are proved
SHOWN_DIMENSION = 2


def catalog(record=None):
    """The whole catalog as Markdown; ``record`` is a verification record
    (a dict as ``klsym verify --all --json`` writes, or a path to one)."""
    from .verify.catalog import supported_pairs
    record = _load(record)
    accuracy = _accuracy_table(record)
    families = [f for f in all_families() if is_builtin(f.name)]
    cross = [pair for pair in supported_pairs() if not pair.same_family]
    parts = [f"<!-- {DIGEST_LABEL} {inputs_digest(record)} -->", "",
             _header(record), "## Families", "", _summary(families), "",
             *[family_section(f.name, accuracy) for f in families],
             "## Pairs of different families", "",
             "KL(p || q) between families on the same space; +oo where p puts mass where q "
             "has none (the support rule).", "",
             *[pair_section(pair.p, pair.q, accuracy) for pair in cross]]
    return "\n".join(parts).rstrip() + "\n"


DIGEST_LABEL = "generated from inputs"


def inputs_digest(record):
    """A hash of what the catalog is made from: the family declarations, the
    source of the derivation and proof code, and the verification record
    (without its timings).  A committed catalog whose digest differs is stale."""
    from pathlib import Path
    digest = hashlib.sha256(__version__.encode())
    for family in all_families():
        if is_builtin(family.name):
            shown = family.of(SHOWN_DIMENSION) if isinstance(family, DimensionalFamily) else family
            digest.update(str(shown.fingerprint).encode())
    root = Path(__file__).parent
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in ("verify", "codegen") or path.name == "cli.py":
            continue  # the record carries what verification and code generation add
        digest.update(path.read_bytes())
    if record:
        digest.update(json.dumps(_without_timings(record), sort_keys=True).encode())
    return digest.hexdigest()[:20]


def _without_timings(value):
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k != "seconds"}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


def family_section(name, accuracy=None):
    """The catalog entry of one family."""
    family = lookup(name)
    shown = family.of(SHOWN_DIMENSION) if isinstance(family, DimensionalFamily) else family
    lines = [f"### {family.name} (`{family.title}`)", ""]
    lines.append(f"- parameters: {_parameters(shown)}")
    lines.append(f"- support: ${latex(shown.support)}$")
    if isinstance(family, DimensionalFamily):
        lines.append(f"- a family for every dimension; shown and proved at dimension "
                     f"{SHOWN_DIMENSION}")
    lines.append(f"- exponential family: {'yes' if shown.is_exponential_family else 'no'}")
    lines.append(f"- density: ${latex(shown.pdf)}$")
    lines += ["", "Entropy:", "", _display(lambda: _general_or(family, entropy, shown)), ""]
    lines += [f"KL({family.name} || {family.name}):", "",
              _display(lambda: _general_or(family, kl, shown, shown)), ""]
    lines.append(f"- KL >= 0: {_verdict('nonnegative', shown, shown)}; "
                 f"H(p, q) = H(p) + KL: {_verdict('cross_entropy_decomposition', shown, shown)}")
    lines.append(f"- generated KL function: {_accuracy_text(accuracy, family.name, family.name)}")
    return "\n".join(lines) + "\n"


def pair_section(p, q, accuracy=None):
    """The catalog entry of a pair of different families."""
    fp, fq = lookup(p), lookup(q)
    lines = [f"### {fp.name} || {fq.name}", "", _display(lambda: kl(fp, fq)), ""]
    lines.append(f"- H(p, q) = H(p) + KL: {_verdict('cross_entropy_decomposition', fp, fq)}")
    lines.append(f"- generated KL function: {_accuracy_text(accuracy, fp.name, fq.name)}")
    return "\n".join(lines) + "\n"


def _header(record):
    source = "" if record is None else " and the verification record"
    return (f"# The klsym catalog\n\n"
            f"Generated by klsym {__version__} from the family registry{source} "
            f"(`klsym catalog -o derivations/CATALOG.md --record "
            f"derivations/verification.json`); do not edit by hand. Every formula is "
            f"derived by klsym from the declared densities; natural logarithms (nats) "
            f"throughout; parameters of p and q carry the suffixes `_p` and `_q`.\n")


def _summary(families):
    rows = ["| family | class | parameters | exponential family |", "|---|---|---|---|"]
    for family in families:
        shown = family.of(SHOWN_DIMENSION) if isinstance(family, DimensionalFamily) else family
        rows.append(f"| [{family.name}](#{family.name}-{family.title.lower()}) | "
                    f"`{family.title}` | {', '.join(family.parameter_names)} | "
                    f"{'yes' if shown.is_exponential_family else 'no'} |")
    return "\n".join(rows)


def _parameters(family):
    constraints = [f"${latex(c)}$" for c in family.constraints]
    return ", ".join(f"`{n}`" for n in family.parameter_names) + \
        (f" with {', '.join(constraints)}" if constraints else "")


def _general_or(family, quantity, *explicit):
    """The general-dimension result where klsym derives one, else the
    explicit dimension's."""
    if isinstance(family, DimensionalFamily):
        try:
            return quantity(*([family.name] * len(explicit)))
        except Exception:  # no general form (multinomial): the explicit one
            pass
    return quantity(*explicit)


def _display(derive):
    try:
        return f"$$\n{latex(derive())}\n$$"
    except Exception as error:  # the catalog says what failed rather than stopping
        return f"(not derived: {type(error).__name__}: {error})"


def _verdict(claim, fp, fq):
    from . import prove
    try:
        return getattr(prove, claim)(fp, fq).verdict
    except Exception as error:
        return f"not available ({type(error).__name__})"


def _load(record):
    if record is None or isinstance(record, dict):
        return record
    with open(record) as handle:
        return json.load(handle)


def _accuracy_table(record):
    """``{"p || q": (points checked, worst relative error of the KL function,
    target)}`` from a verification record."""
    if not record:
        return {}
    table = {}
    for pair in record["pairs"]:
        label = re.sub(r"\[\d+\]", "", pair["pair"]).replace(" ", "")
        errors = [pt["function_error"]["kl"] for pt in pair["points"]
                  if isinstance(pt.get("function_error", {}).get("kl"), dict)]
        worst = max((e["relative"] for e in errors), default=None)
        target = errors[0]["target"] if errors else None
        count, passed = len(pair["points"]), sum(pt["status"] == "pass" for pt in pair["points"])
        old = table.get(label)
        if old:  # the dimensions of one family together
            count, passed = count + old[0], passed + old[1]
            worst = max(w for w in (worst, old[2]) if w is not None) if (worst or old[2]) else None
        table[label] = (count, passed, worst, target)
    return table


def _accuracy_text(table, p, q):
    entry = (table or {}).get(f"{p}||{q}")
    if entry is None:
        return "not in the verification record"
    count, passed, worst, target = entry
    error = f"worst relative error {worst:.1e} (target {target:.0e})" if worst is not None \
        else "no float64 value compared"
    return f"{passed} of {count} points passed; {error}"
