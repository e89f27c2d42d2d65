"""What a verification found: per point, per pair, for the whole run."""

from dataclasses import asdict, dataclass, field

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not checked"


@dataclass
class PointResult:
    """The checks at one parameter point.

    ``status`` is ``"pass"`` (every check that applies ran and held, and
    the closed forms of KL, H and H(p, q) were all compared),
    ``"fail"`` (some check failed: see ``failures``) or ``"not checked"``
    (the reference or a closed form could not be evaluated: see
    ``skipped``).
    """

    pair: str
    index: int
    regime: str
    p: dict                 # parameter name -> exact decimal string
    q: dict
    status: str = NOT_CHECKED
    failures: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    reference: dict = field(default_factory=dict)       # quantity -> 25-digit string
    closed_digits: dict = field(default_factory=dict)   # quantity -> digits agreeing
    function_error: dict = field(default_factory=dict)  # quantity -> {relative, ulps, target} or "n/a"
    command: str = ""
    seconds: float = 0.0

    def comparable(self):
        """Everything but the timing (equal whatever the executor)."""
        out = asdict(self)
        out.pop("seconds")
        return out


@dataclass
class PairResult:
    """The points of one pair of families."""

    pair: str
    points: list = field(default_factory=list)
    seconds: float = 0.0
    error: str = ""         # the pair could not be run at all

    @property
    def status(self):
        statuses = {p.status for p in self.points}
        if self.error or FAIL in statuses:
            return FAIL
        if PASS in statuses:
            return PASS
        return NOT_CHECKED

    def count(self, status):
        return sum(1 for p in self.points if p.status == status)

    def worst_closed(self):
        """``(digits, point)`` of the worst closed-form agreement, or None."""
        rows = [(d, p, q) for p in self.points for q, d in p.closed_digits.items() if d is not None]
        return min(rows, key=lambda r: r[0]) if rows else None

    def worst_function(self):
        """``(relative/target, quantity, point)`` of the worst generated value, or None."""
        rows = [(e["relative"] / e["target"], q, p) for p in self.points
                for q, e in p.function_error.items() if isinstance(e, dict)]
        return max(rows, key=lambda r: r[0]) if rows else None


@dataclass
class Report:
    """All pairs of a run, with the settings that reproduce it."""

    pairs: list
    settings: dict
    interrupted: bool = False
    seconds: float = 0.0

    @property
    def failed(self):
        return any(p.status == FAIL for p in self.pairs)

    @property
    def passed(self):
        """True when nothing failed and every pair has a checked point."""
        return not self.failed and not self.interrupted and \
            all(p.status == PASS for p in self.pairs)

    def failures(self):
        """Every failing point."""
        return [pt for pair in self.pairs for pt in pair.points if pt.status == FAIL]

    def comparable(self):
        return [[pt.comparable() for pt in pair.points] + [pair.error] for pair in self.pairs]

    def to_dict(self):
        return {"settings": self.settings, "interrupted": self.interrupted,
                "seconds": round(self.seconds, 3), "passed": self.passed,
                "pairs": [{"pair": p.pair, "status": p.status, "seconds": round(p.seconds, 3),
                           "error": p.error, "points": [asdict(pt) for pt in p.points]}
                          for p in self.pairs]}

    def to_json(self, indent=2):
        from .report import to_json
        return to_json(self, indent)

    def to_markdown(self):
        from .report import to_markdown
        return to_markdown(self)

    def to_text(self):
        from .report import to_text
        return to_text(self)

    def __str__(self):
        return self.to_text()
