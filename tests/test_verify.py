"""The verification harness: points, the independent reference, the checks,
and planted bugs it must find.

The reference of ``klsym.verify`` (generic: it integrates any declared
density) is itself checked against the test suite's separately typed
reference (tests/reference.py), so the two independent routes agree.
"""

import math
from fractions import Fraction

import mpmath
import pytest
import sympy

import klsym
from klsym.verify import NotConverged, Pair, draw_point, reference, supported_pairs
from klsym.verify.check import AGREE_DIGITS, Task, check_point
from klsym.verify.points import exact_decimal, regimes_for
from reference import ref_cross_entropy, ref_entropy, ref_kl
from tolerances import assert_agree

FAST = dict(progress=False)


def _families(pair):
    fp, fq = klsym.family(pair.p), klsym.family(pair.q)
    if pair.dim is not None:
        fp, fq = fp.of(pair.dim), fq.of(pair.dim)
    return fp, fq


# -- points --------------------------------------------------------------------
@pytest.mark.parametrize("pair", supported_pairs(), ids=lambda p: p.label)
def test_points_are_admissible_exact_and_reproducible(pair):
    fp, fq = _families(pair)
    regimes = regimes_for(fp is fq)
    seen = set()
    for index in range(len(regimes)):
        point = draw_point(fp, fq, index, seed=7)
        assert point == draw_point(fp, fq, index, seed=7)
        assert point.regime == regimes[index % len(regimes)]
        seen.add(point.regime)
        for family, side in ((fp, "p"), (fq, "q")):
            values = point.values(side)
            exact = {s: values[s.name] for s in family.params}
            for rel in family.constraints:
                assert rel.subs(exact) == sympy.true, f"{family.name} {exact} violates {rel}"
            for v in exact.values():
                assert Fraction(float(v)) == Fraction(int(v.p), int(v.q)), "not exact in float64"
                assert sympy.Rational(exact_decimal(v)) == v
    assert seen == set(regimes)


def test_near_equal_points_move_by_the_stated_relative_amount():
    g = klsym.family("gamma")
    steps = []
    for index in range(1, 200, 4):
        point = draw_point(g, g, index, seed=1)
        assert point.regime == "near-equal"
        p, q = point.values("p"), point.values("q")
        steps += [abs(q[n] / p[n] - 1) for n in p]
    assert min(steps) < 1e-14 and max(steps) > 1e-4
    assert all(1e-16 < s < 2e-3 for s in steps)


def test_parameters_held_equal_are_sometimes_equal_and_sometimes_not():
    b = klsym.family("binomial")
    ordinary = [draw_point(b, b, i, seed=3) for i in range(0, 80, 4)]
    equal = [pt.values("p")["n"] == pt.values("q")["n"] for pt in ordinary]
    assert any(equal) and not all(equal)


# -- the reference ---------------------------------------------------------------
CASES = [
    ("gamma", {"alpha": "0.3", "beta": "2"}, "gamma", {"alpha": "2.5", "beta": "0.125"}),
    ("beta", {"alpha": "0.4", "beta": "3"}, "uniform", {"a": "-0.5", "b": "1.5"}),
    ("laplace", {"mu": "0.5", "b": "0.75"}, "normal", {"mu": "0", "sigma": "2"}),
    ("cauchy", {"x0": "1", "gamma": "0.25"}, "cauchy", {"x0": "-2", "gamma": "3"}),
    ("vonmises", {"mu": "3", "kappa": "0.5"}, "vonmises", {"mu": "-1", "kappa": "4"}),
    ("pareto", {"xm": "2", "alpha": "0.75"}, "pareto", {"xm": "1", "alpha": "3"}),
    ("negativebinomial", {"r": "2.5", "p": "0.3"}, "negativebinomial", {"r": "1.5", "p": "0.6"}),
    ("poisson", {"lam": "3.5"}, "geometric", {"p": "0.25"}),
    ("normal", {"mu": "1", "sigma": "2"}, "normal", {"mu": "1.000000000001", "sigma": "2"}),
]


@pytest.mark.parametrize("name_p, p, name_q, q", CASES, ids=[f"{a}-{c}" for a, _, c, _ in CASES])
def test_reference_agrees_with_the_test_suites_own_reference(name_p, p, name_q, q):
    ours = reference(klsym.family(name_p), p, klsym.family(name_q), q, dps=50)
    as_fractions = lambda d: {k: Fraction(v) for k, v in d.items()}  # noqa: E731
    assert_agree(ours.kl, ref_kl(name_p, as_fractions(p), name_q, as_fractions(q)),
                 digits=40, what="KL")
    assert_agree(ours.entropy, ref_entropy(name_p, as_fractions(p)), digits=40, what="H")
    assert_agree(ours.cross_entropy, ref_cross_entropy(name_p, as_fractions(p), name_q,
                                                        as_fractions(q)), digits=40, what="CE")
    assert abs(ours.mass - 1) < mpmath.mpf(10) ** -45
    assert min(ours.digits.values()) >= 40


def test_reference_of_multivariate_families_agrees_with_the_test_suites():
    from reference_multivariate import ref_kl_mv
    f = klsym.family("mvnormal").of(2)
    p = f(mu=["0", "0.5"], Sigma=[["2", "0.5"], ["0.5", "1"]])
    q = f(mu=["1", "-1"], Sigma=[["1", "-0.3"], ["-0.3", "3"]])
    ours = reference(f, {s.name: v for s, v in p.values.items()}, f,
                     {s.name: v for s, v in q.values.items()})
    expected = ref_kl_mv("mvnormal", {"mu": [0, Fraction(1, 2)], "Sigma": [[2, Fraction(1, 2)], [Fraction(1, 2), 1]]},
                         {"mu": [1, -1], "Sigma": [[1, Fraction(-3, 10)], [Fraction(-3, 10), 3]]})
    assert_agree(ours.kl, expected, digits=40, what="KL mvnormal d=2")


def test_reference_says_when_it_cannot_converge():
    # E_p[log q] diverges for a Cauchy p and a normal q: no number is made up
    with pytest.raises(NotConverged, match="decay"):
        reference(klsym.family("cauchy"), {"x0": "0", "gamma": "1"},
                  klsym.family("normal"), {"mu": "0", "sigma": "1"})
    with pytest.raises(NotConverged, match="terms"):
        reference(klsym.family("poisson"), {"lam": "1e9"}, klsym.family("poisson"), {"lam": "2e9"})


def test_reference_finds_the_support_escape():
    ours = reference(klsym.family("normal"), {"mu": "0", "sigma": "1"},
                     klsym.family("exponential"), {"lam": "1"})
    assert ours.kl == mpmath.inf and ours.cross_entropy == mpmath.inf
    assert "outside q's support" in ours.escape
    with mpmath.workdps(50):
        assert abs(ours.entropy - (1 + mpmath.log(2 * mpmath.pi)) / 2) < mpmath.mpf(10) ** -45


# -- verify on catalog pairs ------------------------------------------------------
def test_verify_a_pair_reports_every_point():
    report = klsym.verify("gamma", points=4, **FAST)
    (pair,) = report.pairs
    assert report.passed and pair.status == "pass"
    assert [p.regime for p in pair.points] == ["ordinary", "near-equal", "extreme", "boundary"]
    for point in pair.points:
        assert point.status == "pass", point
        assert all(point.closed_digits[q] >= AGREE_DIGITS for q in ("kl", "entropy", "cross_entropy"))
        assert point.function_error["kl"]["relative"] < 1e-13
        assert point.command.startswith("klsym verify gamma gamma --p 'alpha=")
    assert "gamma || gamma  PASS" in report.to_text()


def test_infinite_kl_agrees_with_the_support_rule():
    p, q = klsym.Uniform(a="0", b="2"), klsym.Uniform(a="0.5", b="3")
    report = klsym.verify("uniform", at=(p, q), **FAST)
    (point,) = report.pairs[0].points
    assert point.status == "pass", point
    assert point.reference["kl"] == "inf" and point.function_error["kl"]["value"] == "inf"


def test_a_point_the_reference_cannot_resolve_is_not_passed():
    report = klsym.verify("poisson", at=(klsym.Poisson(lam="1e9"), klsym.Poisson(lam="1.5e9")), **FAST)
    (point,) = report.pairs[0].points
    assert point.status == "not checked"
    assert any("terms" in s for s in point.skipped)
    assert not report.passed and not report.failed


def test_no_closed_form_uses_numeric_evaluation_and_marks_the_function_na():
    p, q = klsym.NegativeBinomial(r="2.5", p="0.375"), klsym.NegativeBinomial(r="1.5", p="0.5")
    report = klsym.verify("negativebinomial", at=(p, q), **FAST)
    (point,) = report.pairs[0].points
    assert point.status == "pass", point
    assert point.function_error["kl"] == "n/a"
    assert any("evaluated numerically" in n for n in point.notes)


# -- planted bugs -------------------------------------------------------------------
def test_finds_a_flipped_sign():
    flipped = -klsym.kl("gamma", "gamma")
    report = klsym.verify("gamma", points=2, closed_form={"kl": flipped}, **FAST)
    assert report.failed
    failures = report.failures()
    assert failures and all(any("kl: closed form" in m for m in f.failures) for f in failures)
    first = failures[0]
    assert set(first.p) == {"alpha", "beta"} and sympy.Rational(first.p["alpha"]) > 0
    assert "--p 'alpha=" + first.p["alpha"] in first.command
    assert "FAIL gamma || gamma point #0" in report.to_text()
    assert f"re-check: {first.command}" in report.to_text()


def test_finds_a_wrong_constant():
    wrong = klsym.entropy("normal").subs(sympy.pi, sympy.Rational(355, 113))
    report = klsym.verify("normal", points=2, closed_form={"entropy": wrong}, **FAST)
    assert report.failed
    assert all(any(m.startswith("entropy: closed form") for m in f.failures) for f in report.failures())


def test_finds_a_generated_function_that_loses_precision_near_p_equal_q():
    expr = klsym.kl("gamma", "gamma")
    names = sorted(expr.free_symbols, key=lambda s: s.name)
    naive = sympy.lambdify(names, expr, modules=["numpy", "scipy"])

    def textbook(**kwargs):
        return naive(*[kwargs[s.name] for s in names])

    report = klsym.verify("gamma", points=4, function={"kl": textbook}, **FAST)
    failed = report.failures()
    assert [f.regime for f in failed] == ["near-equal"], [(f.regime, f.failures) for f in failed]
    assert any("generated kl" in m and "relative error" in m for m in failed[0].failures)


NOT_NORMALISED = '''
import sympy
import klsym
x, s = sympy.symbols("x s")
klsym.define_family("halfnormal_twice", 2 * sympy.sqrt(2 / sympy.pi) / s * sympy.exp(-x**2 / (2 * s**2)),
                    x, [s], sympy.Interval(0, sympy.oo), constraints=[s > 0], check=False)
'''


def test_finds_a_user_family_that_is_not_normalised(tmp_path):
    path = tmp_path / "my_family.py"
    path.write_text(NOT_NORMALISED)
    try:
        report = klsym.verify("halfnormal_twice", points=2, family_files=[str(path)], **FAST)
    finally:
        klsym.unregister("halfnormal_twice")
    assert report.failed
    for point in report.failures():
        assert any("does not integrate (sum) to 1" in m and m.split("mass ")[1].startswith("2.0")
                   for m in point.failures), point.failures
        assert f"--family-file {path}" in point.command


# -- the command line ------------------------------------------------------------------
def test_command_line_report_json_and_exit_status(capsys, tmp_path):
    import json
    from klsym.cli import main
    out = tmp_path / "report.md"
    assert main(["verify", "exponential", "--points", "2", "--json", "--markdown", str(out),
                 "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["passed"] and data["pairs"][0]["pair"] == "exponential || exponential"
    assert out.read_text().startswith("| pair | status |")


def test_command_line_rechecks_one_point_and_fails_on_a_bad_family(capsys, tmp_path):
    from klsym.cli import main
    assert main(["verify", "gamma", "gamma", "--p", "alpha=2.5,beta=0.125",
                 "--q", "alpha=3,beta=1", "--dps", "50", "--no-progress"]) == 0
    text = capsys.readouterr().out
    assert "1 pairs, 1 points: 1 passed" in text
    path = tmp_path / "bad.py"
    path.write_text(NOT_NORMALISED)
    try:
        assert main(["verify", "--family-file", str(path), "--points", "1", "--no-progress"]) == 1
    finally:
        klsym.unregister("halfnormal_twice")
    assert "does not integrate (sum) to 1" in capsys.readouterr().out


def test_command_line_bad_input(capsys):
    from klsym.cli import main
    assert main(["verify", "gama"]) == 2
    err = capsys.readouterr().err
    assert "unknown family 'gama'" in err and "Known families:" in err
    assert main(["verify", "gamma", "--points", "0"]) == 2
    assert "--points must be at least 1" in capsys.readouterr().err


def test_ctrl_c_returns_what_finished(monkeypatch):
    from klsym.verify import run as runner
    calls = []

    def interrupted(task):
        calls.append(task)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return check_point(task)

    monkeypatch.setattr(runner, "check_point", interrupted)
    report = klsym.verify("exponential", points=5, **FAST)
    assert report.interrupted and not report.passed
    assert sum(len(p.points) for p in report.pairs) == 2
    assert "INTERRUPTED" in report.to_text()


# -- executors ---------------------------------------------------------------------------
def test_process_pool_gives_the_same_results_as_one_process():
    serial = klsym.verify("beta", "uniform", points=3, **FAST)
    pooled = klsym.verify("beta", "uniform", points=3, jobs=2, **FAST)
    assert pooled.comparable() == serial.comparable()


def test_dask_cluster_gives_the_same_results_as_one_process():
    distributed = pytest.importorskip("distributed")
    serial = klsym.verify("exponential", "gamma", points=3, **FAST)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = klsym.verify("exponential", "gamma", points=3, scheduler=cluster.scheduler_address,
                              **FAST)
    assert remote.comparable() == serial.comparable()


def test_task_is_a_pure_function_of_its_inputs():
    task = Task(Pair("rayleigh", "weibull"), 2, seed=5, dps=50)
    first, second = check_point(task), check_point(task)
    assert first.comparable() == second.comparable()
    assert set(first.p) == {"sigma"} and math.isfinite(float(sympy.Rational(first.p["sigma"])))


def test_progress_bar_shows_pairs_points_and_time_left(capsys):
    klsym.verify("exponential", points=2, progress=True)
    err = capsys.readouterr().err
    assert "2/2" in err and "pairs 1/1" in err and "point" in err


def test_a_reference_beyond_the_largest_double_is_met_only_by_infinity():
    """A KL of 1e81582 (Gumbels of scale 1e-6) rounds to +oo in float64."""
    import math

    import mpmath

    from klsym.verify.compare import float_error
    huge = mpmath.mpf("3.5e81582")
    assert float_error(math.inf, huge, "kl", True)[0] == 0
    assert float_error(1e308, huge, "kl", True)[0] == math.inf
    assert float_error(math.inf, mpmath.mpf("1e300"), "kl", True)[0] == math.inf
