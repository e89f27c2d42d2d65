"""Proof certificates: a claim, a verdict and machine-checked steps.

A step is one of: an expression SymPy simplified to zero (``"identity"``), a
sign SymPy decided from assumptions (``"sign"``), a solve (``"solve"``), an
exact evaluation (``"evaluation"``), or a cited theorem or lemma
(``"citation"``; numeric lemmas are verified against mpmath in the tests).
Numerical sampling is recorded as *evidence*, never as a step of a proof.
"""

from dataclasses import dataclass, field

import sympy

from ..budget import time_budget
from ..errors import DerivationError
from ..printing import latex


@dataclass
class Step:
    """One step: what is stated, and why it holds."""

    statement: object
    justification: str
    kind: str = "identity"

    def _text(self, render):
        statement = self.statement if isinstance(self.statement, str) else render(self.statement)
        return statement


@dataclass
class Proof:
    """The outcome of a proof attempt.

    Attributes
    ----------
    claim : str
        What was to be shown.
    holds : True, False or None
        Proved, disproved (see ``counterexample``), or unknown.
    steps : list of Step
    counterexample : dict or None
        Parameter values at which the claim fails, when ``holds`` is False.
    evidence : list of str
        Numerical observations; they support but never prove.
    """

    claim: str
    holds: object = None
    steps: list = field(default_factory=list)
    counterexample: dict = None
    evidence: list = field(default_factory=list)

    def __bool__(self):
        return self.holds is True

    @property
    def verdict(self):
        return {True: "PROVED", False: "DISPROVED", None: "UNKNOWN"}[self.holds]

    def add(self, statement, justification, kind="identity"):
        self.steps.append(Step(statement, justification, kind))
        return self

    def to_text(self):
        """Plain-text certificate."""
        lines = [f"Claim: {self.claim}", f"Verdict: {self.verdict}"]
        for i, step in enumerate(self.steps, 1):
            lines.append(f"  {i}. {step._text(str)}")
            lines.append(f"     [{step.kind}] {step.justification}")
        lines += self._tail(str)
        return "\n".join(lines)

    def to_markdown(self):
        """Markdown certificate with inline LaTeX."""
        lines = [f"**Claim.** {self.claim}", "", f"**Verdict:** {self.verdict}", ""]
        for i, step in enumerate(self.steps, 1):
            text = step._text(lambda e: f"${latex(e)}$")
            lines.append(f"{i}. {text} — *{step.justification}* ({step.kind})")
        lines += [""] + self._tail(lambda e: f"${latex(e)}$") if self._tail(str) else []
        return "\n".join(lines)

    def to_latex(self):
        """LaTeX certificate (an ``enumerate`` environment)."""
        lines = [rf"\textbf{{Claim.}} {_escape(self.claim)}\par",
                 rf"\textbf{{Verdict:}} {self.verdict}\par", r"\begin{enumerate}"]
        for step in self.steps:
            text = _escape(step.statement) if isinstance(step.statement, str) \
                else f"${latex(step.statement)}$"
            lines.append(rf"  \item {text} \quad \emph{{{_escape(step.justification)}}}")
        lines.append(r"\end{enumerate}")
        lines += [_escape(t) + r"\par" for t in self._tail(str)]
        return "\n".join(lines)

    def _tail(self, render):
        tail = []
        if self.counterexample:
            shown = ", ".join(f"{k} = {render(v)}" for k, v in self.counterexample.items())
            tail.append(f"Counterexample: {shown}")
        if self.evidence:
            tail.append("Numerical evidence (not a proof): " + "; ".join(self.evidence))
        return tail

    def __str__(self):
        return self.to_text()

    def _repr_markdown_(self):
        return self.to_markdown()


def _escape(text):
    return str(text).replace("_", r"\_").replace("&", r"\&").replace("%", r"\%")


def is_zero(expr):
    """True if SymPy shows ``expr`` is identically zero (no sampling).

    ``expand_log(..., force=True)`` is sound here: every log argument in a
    derived expression is positive under the families' constraints.
    """
    expr = sympy.sympify(expr)
    if expr == 0:
        return True
    for attempt in (lambda e: sympy.expand(sympy.expand_log(e, force=True)),
                    lambda e: sympy.simplify(e),
                    lambda e: sympy.simplify(sympy.expand(sympy.expand_log(e, force=True)))):
        try:
            # simplify can run for minutes on a difference that is not 0
            with time_budget(SIMPLIFY_SECONDS, route="simplification"):
                if attempt(expr) == 0:
                    return True
        except DerivationError:
            continue
    return False


#: seconds each simplification attempt of :func:`is_zero` may take
SIMPLIFY_SECONDS = 30
