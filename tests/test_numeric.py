"""klsym.numeric on sums whose terms peak far from where they start: summed
one by one around the peak (right), or refused (never a wrong number).  The
expected values come from the verifier's summation of the declared mass
functions, which shares no code with klsym.numeric."""

import mpmath
import pytest
import sympy

import klsym
from klsym import numeric
from klsym.verify.reference import reference


def test_poisson_entropy_with_a_mean_of_346112():
    """The first terms of E[log k!] are e^-346112: extrapolating from k = 0
    returned 7e-150270 for the sum; the entropy is 7.796."""
    family = klsym.family("poisson")
    entropy = klsym.entropy(family)
    (lam,) = entropy.free_symbols
    ours = numeric.evaluate(entropy.subs(lam, 346112), 30)
    expected = reference(family, {"lam": 346112}, family, {"lam": 346112}).entropy
    with mpmath.workdps(40):
        assert abs(mpmath.mpf(str(ours)) - expected) < mpmath.mpf(10) ** -25 * abs(expected)


def test_a_sum_decaying_too_slowly_is_refused(monkeypatch):
    """A geometric law with p = 5e-7 spreads E[log k!] over millions of
    terms: ArithmeticError, not a number."""
    monkeypatch.setattr(numeric, "MAX_TERMS", 2000)
    kl = klsym.kl(klsym.family("geometric"), klsym.family("poisson"))
    values = {s: sympy.Rational(1, 2_000_000) if s.name == "p_p" else sympy.Rational(23, 5)
              for s in kl.free_symbols}
    with pytest.raises(ArithmeticError, match="decay too slowly"):
        numeric.evaluate(kl.subs(values), 20)


def test_a_peak_too_wide_to_sum_is_refused_before_summing():
    """A Poisson mean of 1e9 spreads E[log k!] over about 5e5 terms on each
    side of the peak: refused from the size of the term MAX_TERMS steps out,
    before any is summed (the loop ran 200,000 terms, a minute, before)."""
    entropy = klsym.entropy(klsym.family("poisson"))
    (lam,) = entropy.free_symbols
    with pytest.raises(ArithmeticError, match="decay too slowly around k = 1000000001"):
        numeric.evaluate(entropy.subs(lam, sympy.Float("1e9", 80)), 50)


def test_a_sum_no_extrapolation_reaches_is_refused():
    """sum x^k / (k + 1) = -log(1 - x) / x at x = 1 - 1e-6 is 13.8155...;
    mpmath.nsum, asked for its best guess, said 11.35 (mpmath 1.3; its
    extrapolations all fall short of the precision): ArithmeticError, not a
    number.  The same took a negative binomial's entropy at r = 7e-7,
    p = 8.5e-7 wrong in its seventh digit (the catalog's failing
    H(p, q) - H(p) - KL = 6e-7)."""
    k = sympy.Symbol("k", integer=True, nonnegative=True)
    x = 1 - sympy.Rational(1, 10 ** 6)
    with pytest.raises(ArithmeticError, match="did not converge"):
        numeric.evaluate(sympy.Sum(x ** k / (k + 1), (k, 0, sympy.oo)), 20)
    # a sum that converges is still summed
    half = numeric.evaluate(sympy.Sum(sympy.Rational(1, 2) ** k / (k + 1), (k, 0, sympy.oo)), 20)
    with mpmath.workdps(30):
        assert abs(mpmath.mpf(str(half)) - 2 * mpmath.log(2)) < mpmath.mpf(10) ** -19
