"""Shared plumbing of the derivation scripts: a document builder with checks.

Each derivation script builds a :class:`Document`: prose, LaTeX blocks of
derived expressions, tables, figures and *checks*.  A check records a
condition and a message; :meth:`Document.finish` writes the Markdown file
(with a list of every check and its outcome), prints a summary and exits
with status 1 if any check failed, so ``python derivations/NAME.py`` fails
loudly when a derivation does not hold.

Command line of every script::

    python derivations/NAME.py [--fast] [--out DIR]

``--fast`` lowers sample sizes, optimiser starts and quadrature precision
where the script says that is honest; ``--out`` is the output directory
(default ``derivations/out``).
"""

import argparse
import math
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display; also keeps the PNG bytes reproducible

import matplotlib.pyplot as plt  # noqa: E402
import mpmath  # noqa: E402
import sympy  # noqa: E402

import klsym  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
#: the one seed of every simulation, so that outputs do not change between runs
SEED = 20240601

plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 110, "font.size": 10,
                     "axes.grid": True, "grid.alpha": 0.3, "legend.framealpha": 0.9,
                     "svg.hashsalt": "klsym", "path.simplify": False})


def tex(expr):
    """LaTeX of a SymPy expression in klsym's textbook notation."""
    return klsym.latex(expr)


def fmt(value, digits=6):
    """A number for the document: fixed significant digits, no noise."""
    if isinstance(value, (sympy.Basic, mpmath.mpf)):
        value = float(value)
    return f"{value:.{digits}g}"


def to_mp(value):
    """An exact SymPy number (or an int/str) as an mpmath number at the
    current working precision (never through a double)."""
    return mpmath.mpf(sympy.N(sympy.sympify(value), mpmath.mp.dps + 5))


def rel_gap(a, b):
    """|a - b| / max(|b|, tiny), with both read as mpmath numbers."""
    a, b = mpmath.mpf(a), mpmath.mpf(b)
    scale = max(abs(b), mpmath.mpf(10) ** (-mpmath.mp.dps))
    return abs(a - b) / scale


def quad(f, *points, dps=30):
    """mpmath quadrature of ``f`` over ``points`` (split there) at ``dps`` digits.

    The precision is set inside a context and restored; the result is
    rounded back to the caller's precision context by unary plus.
    """
    with mpmath.workdps(dps):
        return +mpmath.quad(f, list(points) or [-mpmath.inf, mpmath.inf])


def log_normal_2d(u, v, mean, cov):
    """log of the bivariate normal density at (u, v), written out from the
    textbook formula (an independent reference, not klsym's)."""
    (m1, m2), ((c11, c12), (_, c22)) = mean, cov
    det = c11 * c22 - c12 * c12
    du, dv = u - m1, v - m2
    return (-(c22 * du * du - 2 * c12 * du * dv + c11 * dv * dv) / (2 * det)
            - math.log(2 * math.pi * math.sqrt(det)))


def kl_2d_quadrature(log_a, log_b, box):
    """KL(a || b) = integral of a log(a / b) over ``box = (x0, x1, y0, y1)`` by
    SciPy's adaptive ``dblquad`` in double precision; ``log_a(u, v)`` and
    ``log_b(u, v)`` are log-densities."""
    from scipy import integrate

    def integrand(v, u):
        la = log_a(u, v)
        return math.exp(la) * (la - log_b(u, v))
    value, _ = integrate.dblquad(integrand, *box, epsabs=1e-11, epsrel=1e-10)
    return value


class Document:
    """A derivation's Markdown document and its record of checks.

    Parameters
    ----------
    script : str
        ``__file__`` of the derivation; its stem names the outputs.
    title : str
        The document's H1 heading.
    argv : list of str, optional
        Command line (default ``sys.argv[1:]``).
    """

    def __init__(self, script, title, argv=None):
        parser = argparse.ArgumentParser(description=title)
        parser.add_argument("--fast", action="store_true",
                            help="fewer samples/starts, lower precision (used by the tests)")
        parser.add_argument("--out", type=Path, default=OUT, help="output directory")
        args = parser.parse_args(sys.argv[1:] if argv is None else argv)
        self.fast = args.fast
        self.out = args.out
        self.stem = Path(script).stem
        self.lines = [f"# {title}", ""]
        self.checks = []
        self.figures = []
        self._started = time.perf_counter()
        self.out.mkdir(parents=True, exist_ok=True)

    # -- content -------------------------------------------------------------
    def section(self, title, level=2):
        self.lines += [f"{'#' * level} {title}", ""]

    def para(self, *text):
        """A paragraph; the pieces are joined with spaces."""
        self.lines += [" ".join(t.strip() for t in text), ""]

    def math(self, latex):
        """A display-math block from a LaTeX string."""
        self.lines += ["$$", latex.strip(), "$$", ""]

    def equation(self, lhs, expr, rhs_note=""):
        """``lhs = expr`` as display math; ``lhs`` is LaTeX, ``expr`` SymPy."""
        self.math(f"{lhs} = {tex(expr)}{rhs_note}")

    def table(self, header, rows):
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "---|" * len(header))
        for row in rows:
            self.lines.append("| " + " | ".join(str(c) for c in row) + " |")
        self.lines.append("")

    def proof(self, proof, message):
        """Include a klsym proof certificate and check that it is PROVED."""
        self.lines += ["<blockquote>", "", proof.to_markdown(), "", "</blockquote>", ""]
        self.check(proof.holds is True, f"{message} (klsym.prove: {proof.verdict})")
        return proof

    def figure(self, fig, name, caption):
        """Save ``fig`` as ``<stem>_<name>.png`` and reference it."""
        filename = f"{self.stem}_{name}.png"
        fig.savefig(self.out / filename, metadata={"Software": None}, bbox_inches="tight")
        plt.close(fig)
        self.figures.append(filename)
        self.lines += [f"![{caption}]({filename})", "", f"*{caption}*", ""]

    # -- checks --------------------------------------------------------------
    def check(self, condition, message):
        """Record a check; a failed one makes the script exit with status 1."""
        passed = bool(condition)
        self.checks.append((passed, message))
        print(f"  [{'ok' if passed else 'FAIL'}] {message}", flush=True)
        return passed

    def check_close(self, value, reference, tolerance, message):
        """Check ``|value - reference| <= tolerance * max(|reference|, tiny)``
        (relative), showing both numbers and the gap."""
        gap = rel_gap(value, reference)
        return self.check(gap <= tolerance,
                          f"{message}: {fmt(value, 12)} vs {fmt(reference, 12)} "
                          f"(relative gap {fmt(gap, 2)} <= {fmt(tolerance, 2)})")

    # -- output --------------------------------------------------------------
    def finish(self):
        """Write the Markdown, print a summary, exit 1 if any check failed."""
        failed = [m for ok, m in self.checks if not ok]
        self.section("Checks run by this script")
        self.para(f"`python derivations/{self.stem}.py` re-derives everything above and "
                  f"exits with a non-zero status if any of these fails"
                  f"{' (this file was written in --fast mode)' if self.fast else ''}.")
        for ok, message in self.checks:
            self.lines.append(f"- {'PASS' if ok else '**FAIL**'}: {message}")
        self.lines.append("")
        path = self.out / f"{self.stem}.md"
        path.write_text("\n".join(self.lines).rstrip() + "\n", encoding="utf-8")
        seconds = time.perf_counter() - self._started
        print(f"{self.stem}: {len(self.checks) - len(failed)}/{len(self.checks)} checks passed, "
              f"wrote {path} and {len(self.figures)} figure(s) in {seconds:.1f} s"
              f"{' (fast mode)' if self.fast else ''}")
        if failed or not self.checks:
            for message in failed:
                print(f"FAILED: {message}", file=sys.stderr)
            sys.exit(1)

