"""Self-check of ``tests/reference_multivariate.py`` (independent mpmath route).

No klsym here: the multivariate reference is checked against itself
(normalisation, ``KL(p, p) = 0``, ``H(p, q) = H(p) + KL(p || q)``, symmetries
of the laws that its quadrature grids do not share) and against the univariate
reference ``tests/reference.py`` where a multivariate family reduces to a
univariate one, at 50 digits, agreeing to 30 significant digits.
"""

import os
import subprocess
import sys
from fractions import Fraction as F

import mpmath
import pytest
from mpmath import mpf

from reference import ref_cross_entropy, ref_entropy, ref_kl
from reference_multivariate import (
    log_density_mv,
    ref_cross_entropy_mv,
    ref_entropy_mv,
    ref_kl_mv,
    ref_mass_mv,
)
from tolerances import WORKING_DIGITS, assert_agree

DPS = WORKING_DIGITS

MVN_2 = {"mu": [0, 1], "Sigma": [[2, F(1, 2)], [F(1, 2), 1]]}
MVN_2Q = {"mu": [1, 0], "Sigma": [[1, 0], [0, 3]]}
MVN_3 = {"mu": [F(1, 3), -1, 2],
         "Sigma": [[3, 1, F(1, 2)], [1, 2, F(-1, 3)], [F(1, 2), F(-1, 3), 1]]}
MVN_3Q = {"mu": [0, F(-1, 2), F(5, 2)],
          "Sigma": [[1, F(1, 4), 0], [F(1, 4), 2, F(1, 5)], [0, F(1, 5), F(1, 2)]]}

#: (family, p) for the normalisation check
DENSITIES = [
    ("mvnormal", {"mu": [F(-7, 3)], "Sigma": [[F(1, 1000)]]}),
    ("mvnormal", MVN_2),
    ("mvnormal", MVN_3),
    # strongly correlated (condition number ~ 4e4)
    ("mvnormal", {"mu": [0, 0], "Sigma": [[1, F(99999, 100000)], [F(99999, 100000), 1]]}),
    ("dirichlet", {"alpha": [F(1, 2), F(1, 2)]}),
    ("dirichlet", {"alpha": [F(1, 2), 1, 2]}),
    ("dirichlet", {"alpha": [20, 30, 15]}),
    ("categorical", {"p": [F(1, 6), F(1, 3), F(1, 2)]}),
    ("multinomial", {"n": 7, "p": [F(1, 6), F(1, 3), F(1, 2)]}),
    ("multinomial", {"n": 10, "p": [F(1, 10), F(2, 10), F(3, 10), F(4, 10)]}),
]

#: (family, p, q) for the identities; some pairs are nearly equal (cancellation)
PAIRS = [
    ("mvnormal", MVN_2, MVN_2Q),
    ("mvnormal", MVN_3, MVN_3Q),
    ("mvnormal", MVN_2, {"mu": [F(1, 10**9), 1],
                         "Sigma": [[2, F(1, 2)], [F(1, 2), 1 + F(1, 10**12)]]}),
    ("dirichlet", {"alpha": [F(1, 2), 3]}, {"alpha": [2, F(3, 4)]}),
    ("dirichlet", {"alpha": [F(1, 2), 1, 2]}, {"alpha": [3, F(3, 2), 1]}),
    ("categorical", {"p": [F(1, 6), F(1, 3), F(1, 2)]}, {"p": [F(1, 2), F(1, 4), F(1, 4)]}),
    ("categorical", {"p": [F(1, 2), F(1, 2)]},
     {"p": [F(1, 2) - F(1, 10**15), F(1, 2) + F(1, 10**15)]}),
    ("multinomial", {"n": 10, "p": [F(1, 6), F(1, 3), F(1, 2)]},
     {"n": 10, "p": [F(1, 5), F(2, 5), F(2, 5)]}),
]


def _ids(cases):
    return ["%s-%d" % (c[0], i) for i, c in enumerate(cases)]


# ---------------------------------------------------------------------------
# the reference stays independent and leaves global state alone
# ---------------------------------------------------------------------------

def test_imports_neither_klsym_nor_sympy():
    here = os.path.dirname(os.path.abspath(__file__))
    code = ("import sys; sys.path.insert(0, %r); import reference_multivariate; "
            "bad = [m for m in ('klsym', 'sympy') if m in sys.modules]; "
            "assert not bad, bad" % here)
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# normalisation, KL(p, p) = 0, H(p, q) = H(p) + KL(p || q)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name, P", DENSITIES, ids=_ids(DENSITIES))
def test_density_integrates_to_one(name, P):
    assert_agree(ref_mass_mv(name, P, dps=DPS), mpf(1), what="mass of %s %s" % (name, P))


@pytest.mark.parametrize("name, P", DENSITIES, ids=_ids(DENSITIES))
def test_kl_of_p_with_itself_is_zero(name, P):
    assert ref_kl_mv(name, P, P, dps=DPS) == 0


@pytest.mark.parametrize("name, P, Q", PAIRS, ids=_ids(PAIRS))
def test_cross_entropy_is_entropy_plus_kl(name, P, Q):
    h = ref_entropy_mv(name, P, dps=DPS)
    kl = ref_kl_mv(name, P, Q, dps=DPS)
    ce = ref_cross_entropy_mv(name, P, Q, dps=DPS)
    assert kl > 0
    with mpmath.workdps(DPS):
        assert_agree(h + kl, ce, what="H + KL vs H(p, q) for %s" % name)


@pytest.mark.parametrize("name, P, Q", [c for c in PAIRS if c[0] != "dirichlet"],
                         ids=_ids([c for c in PAIRS if c[0] != "dirichlet"]))
def test_kl_is_stable_in_the_precision(name, P, Q):
    # nearly equal laws lose ~20 digits to cancellation; the driver must add them
    assert_agree(ref_kl_mv(name, P, Q, dps=DPS), ref_kl_mv(name, P, Q, dps=DPS + 20),
                 what="KL at dps %d vs %d" % (DPS, DPS + 20))


# ---------------------------------------------------------------------------
# reductions to the univariate reference
# ---------------------------------------------------------------------------

NORMAL_1D = [
    ((0, F(3, 2)), (1, 2)),
    ((F(-1, 3), F(1, 7)), (F(5, 2), 3)),
    ((0, 1), (F(1, 10**8), 1 + F(1, 10**10))),
]


@pytest.mark.parametrize("p, q", NORMAL_1D)
def test_mvnormal_d1_matches_normal(p, q):
    # sigma is a standard deviation, Sigma a variance
    P = {"mu": [p[0]], "Sigma": [[p[1] ** 2]]}
    Q = {"mu": [q[0]], "Sigma": [[q[1] ** 2]]}
    Pn, Qn = {"mu": p[0], "sigma": p[1]}, {"mu": q[0], "sigma": q[1]}
    assert_agree(ref_kl_mv("mvnormal", P, Q, dps=DPS),
                 ref_kl("normal", Pn, "normal", Qn, dps=DPS), what="KL")
    assert_agree(ref_entropy_mv("mvnormal", P, dps=DPS),
                 ref_entropy("normal", Pn, dps=DPS), what="H")
    assert_agree(ref_cross_entropy_mv("mvnormal", P, Q, dps=DPS),
                 ref_cross_entropy("normal", Pn, "normal", Qn, dps=DPS), what="H(p, q)")


BETA = [
    ((F(1, 2), 3), (2, F(3, 4))),
    ((2, 5), (F(5, 2), F(9, 2))),
    ((F(1, 2), F(1, 2)), (1, 1)),
]


@pytest.mark.parametrize("p, q", BETA)
def test_dirichlet_k2_matches_beta(p, q):
    # x_1 of a Dirichlet(a, b) is Beta(a, b)
    P, Q = {"alpha": list(p)}, {"alpha": list(q)}
    Pb, Qb = {"alpha": p[0], "beta": p[1]}, {"alpha": q[0], "beta": q[1]}
    assert_agree(ref_kl_mv("dirichlet", P, Q, dps=DPS),
                 ref_kl("beta", Pb, "beta", Qb, dps=DPS), what="KL")
    assert_agree(ref_entropy_mv("dirichlet", P, dps=DPS),
                 ref_entropy("beta", Pb, dps=DPS), what="H")
    assert_agree(ref_cross_entropy_mv("dirichlet", P, Q, dps=DPS),
                 ref_cross_entropy("beta", Pb, "beta", Qb, dps=DPS), what="H(p, q)")


@pytest.mark.parametrize("p, q", [(F(1, 3), F(3, 4)), (F(1, 2), F(1, 2) + F(1, 10**12))])
def test_categorical_k2_matches_bernoulli(p, q):
    # bernoulli mass p^k (1-p)^(1-k): categorical p = [1 - p, p]
    P, Q = {"p": [1 - p, p]}, {"p": [1 - q, q]}
    assert_agree(ref_kl_mv("categorical", P, Q, dps=DPS),
                 ref_kl("bernoulli", {"p": p}, "bernoulli", {"p": q}, dps=DPS), what="KL")
    assert_agree(ref_entropy_mv("categorical", P, dps=DPS),
                 ref_entropy("bernoulli", {"p": p}, dps=DPS), what="H")


def test_multinomial_n1_is_categorical():
    p, q = [F(1, 6), F(1, 3), F(1, 2)], [F(1, 2), F(1, 4), F(1, 4)]
    for fn, args_m, args_c in [
            (ref_kl_mv, ({"n": 1, "p": p}, {"n": 1, "p": q}), ({"p": p}, {"p": q})),
            (ref_cross_entropy_mv, ({"n": 1, "p": p}, {"n": 1, "p": q}), ({"p": p}, {"p": q})),
            (ref_entropy_mv, ({"n": 1, "p": p},), ({"p": p},))]:
        assert_agree(fn("multinomial", *args_m, dps=DPS), fn("categorical", *args_c, dps=DPS),
                     what=fn.__name__)


# ---------------------------------------------------------------------------
# symmetries the quadrature grids do not share
# ---------------------------------------------------------------------------

def _affine(P, A, b):
    """Law of ``A x + b`` for ``x ~ P`` (exact Fractions)."""
    d = len(P["mu"])
    mu = [sum(A[i][k] * P["mu"][k] for k in range(d)) + b[i] for i in range(d)]
    S = [[sum(A[i][k] * P["Sigma"][k][l] * A[j][l] for k in range(d) for l in range(d))
          for j in range(d)] for i in range(d)]
    return {"mu": mu, "Sigma": S}


def test_mvnormal_kl_is_affine_invariant():
    # a different Cholesky factor and node set for the same divergence
    A = [[2, F(1, 3), 0], [F(-1, 2), 1, 1], [0, F(1, 4), 3]]
    b = [1, F(-2, 7), 5]
    assert_agree(ref_kl_mv("mvnormal", _affine(MVN_3, A, b), _affine(MVN_3Q, A, b), dps=DPS),
                 ref_kl_mv("mvnormal", MVN_3, MVN_3Q, dps=DPS), what="KL after x -> Ax + b")


def _det(A):
    """Exact determinant by Gaussian elimination (Fractions)."""
    A = [[F(v) for v in r] for r in A]
    det = F(1)
    for k in range(len(A)):
        piv = next(i for i in range(k, len(A)) if A[i][k] != 0)
        if piv != k:
            A[k], A[piv] = A[piv], A[k]
            det = -det
        det *= A[k][k]
        for i in range(k + 1, len(A)):
            f = A[i][k] / A[k][k]
            A[i] = [a - f * b for a, b in zip(A[i], A[k])]
    return det


def test_mvnormal_entropy_of_independent_coordinates():
    # diagonal Sigma: H is the sum of the univariate entropies
    sig = [F(1, 3), 2, F(7, 5)]
    P = {"mu": [1, 2, 3], "Sigma": [[sig[i] ** 2 if i == j else 0 for j in range(3)]
                                    for i in range(3)]}
    with mpmath.workdps(DPS):
        parts = mpmath.fsum(ref_entropy("normal", {"mu": 0, "sigma": s}, dps=DPS) for s in sig)
    assert_agree(ref_entropy_mv("mvnormal", P, dps=DPS), parts, what="H of independent normals")


def test_mvnormal_entropy_under_linear_map():
    # H(A X + b) = H(X) + log |det A|
    A = [[2, F(1, 3), 0], [F(-1, 2), 1, 1], [0, F(1, 4), 3]]
    det = _det(A)
    with mpmath.workdps(DPS + 10):
        shift = mpmath.log(abs(mpf(det.numerator) / det.denominator))
        expected = ref_entropy_mv("mvnormal", MVN_3, dps=DPS + 10) + shift
    assert_agree(ref_entropy_mv("mvnormal", _affine(MVN_3, A, [0, 1, 2]), dps=DPS), expected,
                 what="H(AX + b)")


def test_dirichlet_k3_kl_is_permutation_invariant():
    # stick-breaking treats the coordinates differently: a genuine cross-check
    a, b = [F(1, 2), 1, 2], [3, F(3, 2), 1]
    perm = [2, 0, 1]
    assert_agree(ref_kl_mv("dirichlet", {"alpha": [a[i] for i in perm]},
                           {"alpha": [b[i] for i in perm]}, dps=DPS),
                 ref_kl_mv("dirichlet", {"alpha": a}, {"alpha": b}, dps=DPS),
                 what="KL of permuted Dirichlets")


def test_uniform_dirichlet_entropy():
    # Dirichlet(1, 1, 1) has the constant density 2 on a simplex of area 1/2
    with mpmath.workdps(DPS + 10):
        exact = -mpmath.log(2)
    assert_agree(ref_entropy_mv("dirichlet", {"alpha": [1, 1, 1]}, dps=DPS), exact,
                 what="H(Dirichlet(1, 1, 1))")


def test_log_density_points():
    with mpmath.workdps(DPS):
        assert_agree(log_density_mv("dirichlet", [F(1, 4), F(1, 4)], {"alpha": [2, 3, 4]}),
                     log_density_mv("dirichlet", [F(1, 4), F(1, 4), F(1, 2)],
                                    {"alpha": [2, 3, 4]}))
        assert_agree(log_density_mv("multinomial", [1, 2], {"n": 3, "p": [F(1, 2)] * 2}),
                     mpmath.log(mpf(3) / 8))
        assert log_density_mv("multinomial", [1, 1], {"n": 3, "p": [F(1, 2)] * 2}) == -mpmath.inf
        assert log_density_mv("dirichlet", [F(3, 4), F(1, 2)], {"alpha": [2, 3, 4]}) == -mpmath.inf


# ---------------------------------------------------------------------------
# support and dimension rules, parameter validation
# ---------------------------------------------------------------------------

def test_multinomial_with_different_n_is_infinite():
    P = {"n": 3, "p": [F(1, 2), F(1, 2)]}
    Q = {"n": 4, "p": [F(1, 2), F(1, 2)]}
    assert ref_kl_mv("multinomial", P, Q, dps=DPS) == mpmath.inf
    assert ref_cross_entropy_mv("multinomial", P, Q, dps=DPS) == mpmath.inf


@pytest.mark.parametrize("name, P, Q", [
    ("mvnormal", {"mu": [0], "Sigma": [[1]]}, {"mu": [0, 0], "Sigma": [[1, 0], [0, 1]]}),
    ("dirichlet", {"alpha": [1, 2]}, {"alpha": [1, 2, 3]}),
    ("categorical", {"p": [F(1, 2)] * 2}, {"p": [F(1, 3)] * 3}),
    ("multinomial", {"n": 2, "p": [F(1, 2)] * 2}, {"n": 2, "p": [F(1, 3)] * 3}),
])
def test_dimension_mismatch_raises(name, P, Q):
    with pytest.raises(ValueError, match="dimensions differ"):
        ref_kl_mv(name, P, Q, dps=DPS)
    with pytest.raises(ValueError, match="dimensions differ"):
        ref_cross_entropy_mv(name, P, Q, dps=DPS)


@pytest.mark.parametrize("name, P, message", [
    ("mvnormal", {"mu": [0, 0], "Sigma": [[1, 2], [2, 1]]}, "not positive definite"),
    ("mvnormal", {"mu": [0, 0], "Sigma": [[1, 0], [0, 0]]}, "not positive definite"),
    ("mvnormal", {"mu": [0, 0], "Sigma": [[1, 0], [F(1, 2), 1]]}, "not symmetric"),
    ("mvnormal", {"mu": [0], "Sigma": [[1, 0], [0, 1]]}, "length"),
    ("dirichlet", {"alpha": [1, 0, 2]}, r"alpha\[1\] must be > 0"),
    ("dirichlet", {"alpha": [1]}, "K >= 2"),
    ("categorical", {"p": [F(1, 2), F(1, 2) + F(1, 10**40)]}, "sum to exactly 1"),
    ("categorical", {"p": [F(3, 2), F(-1, 2)]}, r"p\[1\] must be > 0"),
    ("multinomial", {"n": 0, "p": [F(1, 2)] * 2}, "integer >= 1"),
    ("multinomial", {"n": F(5, 2), "p": [F(1, 2)] * 2}, "integer >= 1"),
    ("multinomial", {"n": 2, "p": [F(1, 2), F(1, 3)]}, "sum to exactly 1"),
    ("wishart", {"nu": 3}, "unknown"),
])
def test_bad_parameters_raise(name, P, message):
    with pytest.raises(ValueError, match=message):
        ref_entropy_mv(name, P, dps=DPS)
