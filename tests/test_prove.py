"""The proof engine: what must be provable is proved, false claims are
disproved with a counterexample, and what cannot be proved is 'unknown'."""

from fractions import Fraction

import mpmath
import pytest
import sympy

import klsym
from catalog import UNIVARIATE
from klsym import prove
from klsym.cli import main
from reference import ref_kl
from tolerances import as_fraction

# The univariate exponential families without parameters held fixed by the
# support, plus binomial / negative binomial (fixed n, r): the catalog the
# proof engine was built for.  Families added later (uniform, cauchy, pareto,
# ...) are listed with their verdicts in test_newer_families_are_honest.
FAMILIES = [n for n in UNIVARIATE if klsym.family(n).canonical is not None
            and klsym.family(n).canonical.is_minimal
            and (not klsym.family(n).canonical.fixed or n in ("binomial", "negativebinomial"))
            and n != "vonmises"]  # its Bessel-function identities take SymPy ~60 s: too slow here


@pytest.mark.parametrize("name", FAMILIES)
def test_nonnegativity_is_proved_for_every_family(name):
    proof = prove.nonnegative(name, name)
    assert proof.holds is True, proof.to_text()
    kinds = {step.kind for step in proof.steps}
    assert {"identity", "evaluation", "citation"} <= kinds
    assert all(step.justification for step in proof.steps)


@pytest.mark.parametrize("name", FAMILIES)
def test_decomposition_is_proved_for_every_family(name):
    assert prove.cross_entropy_decomposition(name, name).holds is True


@pytest.mark.parametrize("p, q", [("halfnormal", "exponential"), ("gamma", "lognormal"),
                                  ("exponential", "gamma"), ("chisquared", "gamma")])
def test_decomposition_across_families(p, q):
    assert prove.cross_entropy_decomposition(p, q).holds is True


@pytest.mark.parametrize("name", FAMILIES)
def test_zero_iff_equal_shows_the_solve_step(name):
    proof = prove.zero_iff_equal(name)
    assert proof.holds is True, proof.to_text()
    assert any(step.kind == "solve" for step in proof.steps)


@pytest.mark.parametrize("name", FAMILIES)
def test_asymmetry_counterexample_is_real(name):
    proof = prove.asymmetric(name)
    assert proof.holds is True
    p, q = proof.counterexample["p"], proof.counterexample["q"]
    plain = lambda d: {k: as_fraction(v) for k, v in d.params.items()}  # noqa: E731
    with mpmath.workdps(50):
        forward = ref_kl(name, plain(p), name, plain(q))
        backward = ref_kl(name, plain(q), name, plain(p))
        assert abs(forward - backward) > mpmath.mpf(10) ** -20


def test_a_false_claim_is_disproved_with_a_counterexample():
    claim = klsym.kl("gamma", "gamma") - sympy.Rational(1, 1000)
    proof = prove.nonnegative(claim)
    assert proof.holds is False and proof.counterexample
    value = sympy.N(claim.subs(proof.counterexample), 30)
    assert value < 0
    point = {s.name: v for s, v in proof.counterexample.items()}
    assert point["alpha_p"] == point["alpha_q"] and point["beta_p"] == point["beta_q"]


def test_a_true_claim_beyond_the_engine_is_unknown_with_evidence():
    x = sympy.Symbol("x", real=True)
    proof = prove.nonnegative(x ** 4 - x + 1)  # true (minimum about 0.53), not decided by SymPy
    assert proof.holds is None and proof.evidence
    assert "UNKNOWN" in proof.to_text() and "not a proof" in proof.to_text()


def test_equal_disproves_a_wrong_identity():
    x = sympy.Symbol("x", positive=True)
    assert prove.equal(sympy.log(x ** 2), 2 * sympy.log(x)).holds is True
    wrong = prove.equal(sympy.log(1 + x), sympy.log(x) + 1)
    assert wrong.holds is False and wrong.counterexample


def test_pinsker_for_bernoulli_is_proved_and_holds_numerically():
    assert prove.pinsker_bernoulli().holds is True
    grid = [Fraction(1, 10), Fraction(1, 3), Fraction(1, 2), Fraction(9, 10), Fraction(99, 100)]
    with mpmath.workdps(50):
        for a in grid:
            for b in grid:
                d = a - b
                gap = ref_kl("bernoulli", {"p": a}, "bernoulli", {"p": b}) - 2 * (mpmath.mpf(d.numerator) / d.denominator) ** 2
                assert gap >= -mpmath.mpf(10) ** -40


def test_change_of_variable_invariance():
    assert prove.change_of_variable("lognormal", "normal").holds is True
    assert prove.change_of_variable("exponential", "gamma", {"alpha": 1, "beta": "lam"}).holds is True
    wrong = prove.change_of_variable("exponential", "gamma", {"alpha": 2, "beta": "lam"})
    assert wrong.holds is False


@pytest.mark.parametrize("name", FAMILIES)
def test_cross_entropy_minimisation_is_moment_matching(name):
    assert prove.moment_matching(name).holds is True


def test_certificates_render():
    proof = prove.zero_iff_equal("normal")
    assert "Verdict: PROVED" in proof.to_text()
    assert proof.to_markdown().startswith("**Claim.**") and "$" in proof.to_markdown()
    assert r"\begin{enumerate}" in proof.to_latex() and r"\end{enumerate}" in proof.to_latex()


def test_cli_prove(capsys):
    assert main(["prove", "nonnegative", "gamma", "gamma"]) == 0
    assert "Verdict: PROVED" in capsys.readouterr().out
    assert main(["prove", "decomposition", "beta", "beta", "--format", "latex"]) == 0
    assert r"\begin{enumerate}" in capsys.readouterr().out
    assert main(["prove", "asymmetric"]) == 2


def test_covariance_minors_use_the_trigamma_lemma_for_gamma():
    proof = prove.nonnegative("gamma", "gamma")
    signs = [step for step in proof.steps if step.kind == "sign"]
    assert signs and "t_trigamma_exceeds_one" in signs[0].justification


@pytest.mark.parametrize("families", [("normal", "normal", "gamma", "gamma"),
                                      ("poisson", "poisson", "bernoulli", "bernoulli"),
                                      ("exponential", "gamma", "beta", "beta")])
def test_additivity_for_independent_products(families):
    assert prove.additivity(*families).holds is True


def test_gaussian_split_into_mahalanobis_and_trace_terms():
    proof = prove.gaussian_split()
    assert proof.holds is True
    assert any("log_below_tangent" in step.justification for step in proof.steps)


def test_a_user_defined_family_gets_the_proofs_with_no_extra_code():
    x, a = sympy.symbols("x a")
    maxwell = klsym.define_family(
        "maxwell_prove_test", sympy.sqrt(2 / sympy.pi) * x ** 2 * sympy.exp(-x ** 2 / (2 * a ** 2)) / a ** 3,
        x, [a], sympy.Interval(0, sympy.oo), constraints=[a > 0])
    try:
        assert prove.nonnegative(maxwell, maxwell).holds is True
        assert prove.cross_entropy_decomposition(maxwell, maxwell).holds is True
        assert prove.zero_iff_equal(maxwell).holds is True
        assert prove.asymmetric(maxwell).holds is True
        assert prove.cross_entropy_decomposition(maxwell, "gamma").holds is True
    finally:
        klsym.unregister("maxwell_prove_test")


@pytest.mark.parametrize("name", ["uniform", "cauchy", "pareto", "laplace", "weibull"])
def test_newer_families_are_honest(name):
    proof = prove.nonnegative(name, name)
    assert proof.holds in (True, None)  # never DISPROVED: KL >= 0 is true
    if proof.holds is None:
        assert proof.evidence
    assert prove.cross_entropy_decomposition(name, name).holds is True
