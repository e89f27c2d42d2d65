"""Multivariate normal distribution N(mu, Sigma) on R^d."""
from sympy import Determinant, Matrix, MatrixSymbol, Reals, Symbol, exp, pi, sqrt, symbols

from ..dimensional import define_dimensional_family
from ..family import define_family
from ..general import GeneralForm

# First and second moments; SymPy's d-fold Gaussian integrals with a symbolic
# Sigma do not finish in useful time.  Checked against mpmath in tests.
_MOMENTS = "Anderson, An Introduction to Multivariate Statistical Analysis (3rd ed. 2003), §2.4"


def mvnormal(d):
    x = Matrix(symbols(f"x1:{d + 1}"))
    mu = Matrix(symbols(f"mu1:{d + 1}"))
    entry = {(i, j): Symbol(f"Sigma{min(i, j) + 1}{max(i, j) + 1}") for i in range(d) for j in range(d)}
    sigma = Matrix(d, d, lambda i, j: entry[i, j])
    r = x - mu
    density = exp(-(r.T * sigma.adjugate() * r)[0] / (2 * sigma.det())) / sqrt((2 * pi) ** d * sigma.det())
    # Sylvester: Sigma is positive definite iff its leading principal minors are positive
    minors = [sigma[:m, :m].det() > 0 for m in range(1, d + 1)]
    lemmas = {}
    for i in range(d):
        lemmas[x[i]] = (mu[i], _MOMENTS)
        for j in range(i, d):
            lemmas[x[i] * x[j]] = (sigma[i, j] + mu[i] * mu[j], _MOMENTS)
    return define_family(
        "mvnormal", density, tuple(x), [("mu", mu), ("Sigma", sigma)], Reals ** d,
        constraints=[*(sigma[i, i] > 0 for i in range(d)), *minors[1:]],
        title="MultivariateNormal", description=f"d = {d}: mean mu, covariance Sigma",
        check=False, register=False, lemmas=lemmas)


def general():
    """The same density for a symbolic dimension d, in matrix notation."""
    d = Symbol("d", integer=True, positive=True)
    x, mu, sigma = MatrixSymbol("x", d, 1), MatrixSymbol("mu", d, 1), MatrixSymbol("Sigma", d, d)
    i, j = symbols("i j", integer=True)
    r = x - mu
    return GeneralForm(
        exp(-(r.T * sigma.I * r)[0, 0] / 2) / sqrt((2 * pi) ** d * Determinant(sigma)),
        x, (mu, sigma), d, symmetric=(sigma,),
        lemmas={x[i, 0]: (mu[i, 0], _MOMENTS),
                x[i, 0] * x[j, 0]: (sigma[i, j] + mu[i, 0] * mu[j, 0], _MOMENTS)})


MultivariateNormal = define_dimensional_family(
    "mvnormal", mvnormal, title="MultivariateNormal", size_from="mu", general=general(),
    description="mean mu (length d), covariance Sigma (d x d, positive definite) on R^d")
