"""Verification harness: every closed form and every generated function
checked against independent high-precision numerics.

For a pair of families, :func:`verify` draws admissible parameter points
from the declared constraints (ordinary values, nearly equal p and q,
extreme scales, points near the constraint boundaries; seeded and exact),
computes KL(p || q), H(p) and H(p, q) by integrating or summing the declared
densities with mpmath (:mod:`klsym.verify.reference`, which shares no code
with the derivations), and checks at every point that

* each closed form agrees with the reference to 30 significant digits
  (evaluated at the same precision, 50 digits by default);
* each generated float64 function is within its accuracy target (relative
  error 1e-13 within a family, 1e-11 between families; H and H(p, q)
  relative to max(|value|, 1 nat)), reported in ulps and relative terms;
* H(p, q) = H(p) + KL and KL >= 0, for the closed forms and the reference;
* KL = +oo exactly where the support rule says so, and p's density
  integrates (sums) to 1.

A point the reference cannot resolve is reported "not checked" with the
reason, never as passed; a failure comes with the exact parameters and a
one-line command that re-checks just that point.

Examples
--------
>>> import klsym
>>> report = klsym.verify("exponential", points=2, progress=False)
>>> report.passed, [p.status for p in report.pairs[0].points]
(True, ['pass', 'pass'])
"""

from .catalog import CROSS_PAIRS, DIMENSIONS, Pair, default_dimensions, supported_pairs
from .check import Task, check_point
from .errors import NotConverged
from .points import Point, draw_point
from .reference import reference
from .results import PairResult, PointResult, Report
from .run import run as _run

__all__ = ["CROSS_PAIRS", "DIMENSIONS", "NotConverged", "Pair", "PairResult", "Point",
           "PointResult", "Report", "check_point", "draw_point", "reference", "supported_pairs",
           "verify", "verify_all"]


def verify(p_family, q_family=None, *, points=10, dps=50, seed=0, dim=None, at=None,
           closed_form=None, function=None, check_functions=True, jobs=1, scheduler=None,
           progress=None, family_files=(), seconds_per_point=None):
    """Check KL(p || q), H(p) and H(p, q) of a pair of families numerically.

    Parameters
    ----------
    p_family, q_family : str or Family
        Family names (or families); ``q_family`` defaults to ``p_family``.
    points : int
        Parameter points per pair (regimes in turn: ordinary, near-equal,
        extreme, boundary; near-equal only within one family).
    dps : int
        Working digits of the reference and of the closed forms (default 50;
        agreement to 30 significant digits is required).
    seed : int
        Seed of the point drawing; point ``i`` depends only on the pair,
        ``i`` and the seed.
    dim : int, optional
        Dimension of a family with a dimension; by default the dimensions
        of :data:`klsym.verify.DIMENSIONS` (or the two smallest).
    at : tuple of two Distribution, optional
        Check only this point (p, q) (what a failure's command re-runs).
    closed_form : expression, callable or dict, optional
        Replace klsym's closed forms: a dict ``{"kl": ..., "entropy": ...,
        "cross_entropy": ...}`` of SymPy expressions in the suffixed
        parameter symbols (``alpha_p``; entropy unsuffixed) or of callables
        ``(p, q) -> expression`` (``(p) -> expression`` for entropy); a
        bare expression or callable stands for the KL.
    function : callable or dict, optional
        Replace the generated NumPy functions the same way (called with the
        keyword arguments ``alpha_p=..., beta_q=...``).
    check_functions : bool
        Also check the generated float64 functions (default True).
    jobs : int
        Worker processes (default 1: this process).
    scheduler : str, optional
        Address of a ``dask.distributed`` scheduler to run the points on.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).
    family_files : sequence of str
        Python files declaring user families, run in every worker.
    seconds_per_point : float, optional
        Time allowed to one point's reference before it is reported not
        checked (default 120).

    Returns
    -------
    Report
        ``report.passed``, ``report.failures()``, ``print(report)``,
        ``report.to_json()``, ``report.to_markdown()``.
    """
    q_family = p_family if q_family is None else q_family
    pairs = _pairs(p_family, q_family, dim, tuple(family_files))
    kwargs = dict(closed_form=_as_dict(closed_form), function=_as_dict(function),
                  check_functions=check_functions)
    if seconds_per_point is not None:
        kwargs["seconds"] = seconds_per_point
    tasks = []
    for pair in pairs:
        if at is not None:
            tasks.append(Task(pair, 0, seed, dps, point=_explicit(at), **kwargs))
        else:
            tasks += [Task(pair, i, seed, dps, **kwargs) for i in range(points)]
    settings = {"points": 1 if at is not None else points, "dps": dps, "seed": seed}
    return _run(tasks, pairs, settings, jobs=jobs, scheduler=scheduler, progress=progress)


def verify_all(*, points=5, dps=50, seed=0, jobs=1, scheduler=None, progress=None,
               check_functions=True, pairs=None):
    """:func:`verify` over the whole catalog (:func:`supported_pairs`)."""
    pairs = supported_pairs() if pairs is None else pairs
    tasks = [Task(pair, i, seed, dps, check_functions=check_functions)
             for pair in pairs for i in range(points)]
    settings = {"points": points, "dps": dps, "seed": seed, "all": True}
    return _run(tasks, pairs, settings, jobs=jobs, scheduler=scheduler, progress=progress)


def _as_dict(value):
    if value is None or isinstance(value, dict):
        return value
    return {"kl": value}


def _name(family):
    return family if isinstance(family, str) else family.name


def _pairs(p_family, q_family, dim, files):
    from ..dimensional import DimensionalFamily
    from ..registry import lookup
    from .check import load_family_files
    load_family_files(files)
    fp = lookup(p_family) if isinstance(p_family, str) else p_family
    fq = lookup(q_family) if isinstance(q_family, str) else q_family
    names = (p_family if isinstance(p_family, str) else fp,
             q_family if isinstance(q_family, str) else fq)
    if isinstance(fp, DimensionalFamily) or isinstance(fq, DimensionalFamily):
        sizing = fp if isinstance(fp, DimensionalFamily) else fq
        dims = (dim,) if dim is not None else default_dimensions(sizing)
        return [Pair(*names, d, files) for d in dims]
    return [Pair(*names, None, files)]


def _explicit(at):
    dp, dq = at
    return Point(0, "given", tuple((s.name, dp.values[s]) for s in dp.family.params),
                 tuple((s.name, dq.values[s]) for s in dq.family.params))
