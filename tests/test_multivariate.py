"""Families with a dimension: multivariate normal, Dirichlet, categorical,
multinomial.  Their low-dimensional cases must equal the univariate families
they reduce to, their results must agree with the independent mpmath reference
(tests/reference_multivariate.py), and bad vectors and matrices are refused
with a clear message."""

from fractions import Fraction as F

import mpmath
import pytest
import sympy
from sympy import Rational as R

import klsym
from catalog import DIMENSIONAL
from tolerances import assert_agree, evaluate

Cat, Dir, MVN, Mult = klsym.Categorical, klsym.Dirichlet, klsym.MultivariateNormal, klsym.Multinomial


def _zero(expr):
    return sympy.simplify(expr) == 0


@pytest.mark.parametrize("p, q", [((R(1, 3), 2), (-1, R(3, 2))), ((0, R(1, 10)), (R(1, 100), R(1, 9)))])
def test_one_dimensional_normal_is_the_normal(p, q):
    (mp, sp), (mq, sq) = p, q
    a, b = MVN(mu=[mp], Sigma=[[sp ** 2]]), MVN(mu=[mq], Sigma=[[sq ** 2]])
    assert _zero(klsym.kl(a, b) - klsym.kl(klsym.Normal(mu=mp, sigma=sp), klsym.Normal(mu=mq, sigma=sq)))
    assert _zero(klsym.entropy(a) - klsym.entropy(klsym.Normal(mu=mp, sigma=sp)))


@pytest.mark.parametrize("a, b", [(R(3, 10), R(7, 10)), (R(1, 1000), R(1, 2))])
def test_two_category_categorical_is_the_bernoulli(a, b):
    assert _zero(klsym.kl(Cat(p=[1 - a, a]), Cat(p=[1 - b, b]))
                 - klsym.kl(klsym.Bernoulli(p=a), klsym.Bernoulli(p=b)))
    assert _zero(klsym.entropy(Cat(p=[1 - a, a])) - klsym.entropy(klsym.Bernoulli(p=a)))
    # the same space {0, 1}: KL across the two families is defined, and 0 here
    assert _zero(klsym.kl(Cat(p=[1 - a, a]), klsym.Bernoulli(p=a)))


@pytest.mark.parametrize("a, b", [((R(3, 2), 2), (R(1, 2), R(7, 3))), ((5, R(1, 3)), (4, R(2, 5)))])
def test_two_component_dirichlet_is_the_beta(a, b):
    ours = klsym.kl(Dir(alpha=list(a)), Dir(alpha=list(b)))
    beta = klsym.kl(klsym.Beta(*a), klsym.Beta(*b))
    assert_agree(evaluate(ours), evaluate(beta), digits=45)
    assert_agree(evaluate(klsym.entropy(Dir(alpha=list(a)))), evaluate(klsym.entropy(klsym.Beta(*a))),
                 digits=45)


@pytest.mark.parametrize("p, q", [([R(1, 5), R(3, 10), R(1, 2)], [R(1, 3), R(1, 3), R(1, 3)]),
                                  ([R(1, 2), R(1, 2)], [R(9, 10), R(1, 10)])])
def test_one_trial_multinomial_is_the_categorical(p, q):
    assert _zero(klsym.kl(Mult(n=1, p=p), Mult(n=1, p=q)) - klsym.kl(Cat(p=p), Cat(p=q)))


def test_multinomials_with_different_n_have_disjoint_supports():
    p, q = [R(1, 2), R(1, 2)], [R(1, 4), R(3, 4)]
    assert klsym.kl(Mult(n=2, p=p), Mult(n=3, p=q)) == sympy.oo
    assert klsym.kl(Mult(n=3, p=p), Mult(n=2, p=q)) == sympy.oo
    symbolic = klsym.kl(klsym.family("multinomial").of(2), klsym.family("multinomial").of(2))
    assert isinstance(symbolic, sympy.Piecewise)
    assert symbolic.args[0][0] == sympy.oo
    assert not symbolic.args[-1][0].has(sympy.Symbol("n_q", integer=True))
    assert not symbolic.has(sympy.Sum)  # the log k! terms cancel where n_p = n_q


def test_categoricals_with_more_outcomes_escape_fewer():
    assert klsym.kl(Cat(p=[R(1, 3)] * 3), Cat(p=[R(1, 2)] * 2)) == sympy.oo
    p, q = [R(1, 2)] * 2, [R(1, 4), R(1, 4), R(1, 2)]
    with mpmath.workdps(50):  # the defining sum, directly
        direct = mpmath.fsum(mpmath.mpf(a.p) / a.q * mpmath.log((mpmath.mpf(a.p) / a.q)
                                                                / (mpmath.mpf(b.p) / b.q))
                             for a, b in zip(p, q))
    assert_agree(evaluate(klsym.kl(Cat(p=p), Cat(p=q))), direct, digits=45)


@pytest.mark.parametrize("name, size", [(n, k) for n, sizes in DIMENSIONAL.items() for k in sizes])
def test_symbolic_results_are_closed_and_zero_at_p_equals_q(name, size):
    f = klsym.family(name).of(size)
    kl = klsym.kl(f, f)
    closed = kl.args[-1][0] if isinstance(kl, sympy.Piecewise) else kl
    assert not closed.has(sympy.Integral, sympy.Sum)
    point = f.admissible_points(1)[0]
    same = {sympy.Symbol(f"{s.name}_{side}", **s.assumptions0): v for s, v in point.items()
            for side in "pq"}
    assert _zero(closed.subs(same))


def test_general_three_by_three_normal_has_the_log_det_term():
    f = klsym.family("mvnormal").of(3)
    kl = klsym.kl(f, f)
    named = {s.name: s for s in kl.free_symbols}
    dets = {side: sympy.Matrix(3, 3, lambda i, j: named[
        f"Sigma{min(i, j) + 1}{max(i, j) + 1}_{side}"]).det() for side in "pq"}
    assert any(isinstance(t, sympy.log) and sympy.expand(t.args[0] * dets["p"] - dets["q"]) == 0
               for t in sympy.preorder_traversal(kl))


# -- bad input -------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: MVN(mu=[0, 0], Sigma=[[1, 0.5], [0.4, 1]]), "Sigma must be symmetric"),
    (lambda: MVN(mu=[0, 0], Sigma=[[1, 2], [2, 1]]), "Sigma11*Sigma22 - Sigma12**2 > 0"),
    (lambda: MVN(mu=[0, 0], Sigma=[[1, 0, 0], [0, 1, 0], [0, 0, 1]]), "Sigma must be a 2 x 2 matrix"),
    (lambda: MVN(Sigma=[[1]]), "give mu"),
    (lambda: Cat(p=[0.2, 0.3, 0.6]), "Eq(p1 + p2 + p3, 1)"),
    (lambda: Cat(p=[0.5, -0.1, 0.6]), "p2 > 0"),
    (lambda: Dir(alpha=[1, 0]), "alpha2 > 0"),
    (lambda: Mult(n=0, p=[0.5, 0.5]), "n >= 1"),
    (lambda: Mult(n=1.5, p=[0.5, 0.5]), "must be an integer"),
    (lambda: Cat(p=3), "must be a sequence"),
])
def test_bad_vectors_and_matrices_are_named(make, message):
    with pytest.raises(klsym.ParameterError, match=None) as info:
        make()
    assert message in str(info.value)


def test_dimensions_must_match():
    with pytest.raises(klsym.DerivationError, match="dimension"):
        klsym.kl(MVN(mu=[0, 0], Sigma=[[1, 0], [0, 1]]), MVN(mu=[0, 0, 0], Sigma=sympy.eye(3)))


def test_a_family_per_dimension_needs_a_dimension_for_symbolic_results():
    with pytest.raises(klsym.DerivationError, match=r"\.of\(d\)"):
        klsym.kl("multinomial", "multinomial")


def _explicit(general, family, d):
    """A general-dimension result with its MatrixSymbols replaced by the
    explicit symbol matrices of ``family`` (dimension ``d``)."""
    named = {}
    for side in ("p", "q", None):
        suffix = f"_{side}" if side else ""
        for name, matrix in family.declared:
            explicit = matrix.applyfunc(lambda s: sympy.Symbol(s.name + suffix, **s.assumptions0))
            named[name + suffix] = sympy.ImmutableMatrix(explicit)
    out = general.subs({m: named[m.name] for m in general.atoms(sympy.MatrixSymbol)})
    out = out.subs(klsym.family(family.name).general.dimension, d)
    return out.doit()


@pytest.mark.parametrize("name, d", [("mvnormal", 2), ("mvnormal", 3), ("dirichlet", 2),
                                     ("dirichlet", 3), ("categorical", 2), ("categorical", 4)])
@pytest.mark.parametrize("quantity", ["kl", "entropy", "cross_entropy"])
def test_general_dimension_matches_explicit_dimensions(quantity, name, d):
    general = getattr(klsym, quantity)(*[name] * (1 if quantity == "entropy" else 2))
    if name == "mvnormal":
        assert not general.has(sympy.Sum)  # matrix notation, not index sums
    f = klsym.family(name).of(d)
    explicit = getattr(klsym, quantity)(*[f] * (1 if quantity == "entropy" else 2))
    difference = _explicit(general, f, d) - explicit
    assert sympy.simplify(sympy.expand_log(difference, force=True)) == 0


def test_general_dimension_kl_is_the_textbook_matrix_form():
    kl = klsym.kl("mvnormal", "mvnormal")
    assert kl.has(sympy.Trace) and kl.has(sympy.Determinant)
    printed = klsym.latex(kl)
    assert r"\operatorname{tr}\left(\Sigma_{q}^{-1} \Sigma_{p} \right)" in printed
    assert r"\left(\mu_{p} - \mu_{q}\right)" in printed


def test_floats_are_read_as_the_decimals_they_print():
    assert Cat(p=[0.2, 0.3, 0.5]).params == {"p": [R(1, 5), R(3, 10), R(1, 2)]}
    assert MVN(mu=[0.5, 1], Sigma=[[2, 0.1], [0.1, 1]]).params["Sigma"] == [[2, R(1, 10)], [R(1, 10), 1]]


# -- against the independent mpmath reference ------------------------------
def _fractions(value):
    if isinstance(value, list):
        return [_fractions(v) for v in value]
    value = sympy.Rational(value)
    return F(int(value.p), int(value.q))


CASES = [
    ("mvnormal", dict(mu=[0, R(1, 2)], Sigma=[[2, R(1, 2)], [R(1, 2), 1]]),
     dict(mu=[1, -1], Sigma=[[1, R(-1, 3)], [R(-1, 3), 3]])),
    ("mvnormal", dict(mu=[0, 1, 2], Sigma=[[2, R(1, 2), 0], [R(1, 2), 1, R(1, 4)], [0, R(1, 4), 3]]),
     dict(mu=[R(1, 3), 1, 2], Sigma=[[1, 0, R(1, 5)], [0, 2, 0], [R(1, 5), 0, R(1, 2)]])),
    ("mvnormal", dict(mu=[0, 1], Sigma=[[2, R(1, 2)], [R(1, 2), 1]]),  # near-equal
     dict(mu=[R(1, 10 ** 6), 1], Sigma=[[2 + R(1, 10 ** 6), R(1, 2)], [R(1, 2), 1]])),
    ("dirichlet", dict(alpha=[R(3, 2), 2]), dict(alpha=[R(1, 2), R(7, 3)])),
    ("dirichlet", dict(alpha=[2, 3, 4]), dict(alpha=[R(1, 2), 5, 1])),
    ("categorical", dict(p=[R(1, 5), R(3, 10), R(1, 2)]), dict(p=[R(1, 3), R(1, 2), R(1, 6)])),
    ("multinomial", dict(n=4, p=[R(1, 5), R(3, 10), R(1, 2)]), dict(n=4, p=[R(1, 3), R(1, 2), R(1, 6)])),
    ("multinomial", dict(n=2, p=[R(1, 5), R(4, 5)]), dict(n=3, p=[R(1, 3), R(2, 3)])),  # +oo
]


@pytest.mark.parametrize("name, p, q", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_against_the_mpmath_reference(name, p, q):
    from reference_multivariate import ref_cross_entropy_mv, ref_entropy_mv, ref_kl_mv
    dp, dq = klsym.family(name)(**p), klsym.family(name)(**q)
    fp, fq = ({k: _fractions(v) for k, v in d.params.items()} for d in (dp, dq))
    assert_agree(evaluate(klsym.kl(dp, dq)), ref_kl_mv(name, fp, fq), what=f"KL {dp} || {dq}")
    assert_agree(evaluate(klsym.cross_entropy(dp, dq)), ref_cross_entropy_mv(name, fp, fq),
                 what=f"H({dp}, {dq})")
    assert_agree(evaluate(klsym.entropy(dp)), ref_entropy_mv(name, fp), what=f"H({dp})")
