"""Cross-entropy = entropy + KL, and why minimising it is maximum likelihood.

Derives, for the Normal, Poisson and Gamma families:

* H(p, q) = H(p) + KL(p || q), each side derived by klsym and the identity
  proved by ``klsym.prove.cross_entropy_decomposition``;
* with p the empirical distribution of a sample, H(p, q_theta) is the
  average negative log-likelihood, so minimising cross-entropy (or KL to the
  data, which differs by the theta-free H(p)) is maximum likelihood; the
  likelihood equations are solved with ``sympy.solve`` for a symbolic sample;
* for an exponential family the minimiser matches moments, E_q[T] = mean of
  T over the sample (``klsym.prove.moment_matching``), and the solutions of
  the two routes are shown to agree (symbolically for Normal and Poisson,
  numerically for Gamma, whose shape equation has no closed form).

Independent checks: 30-digit mpmath quadrature / summation of -p log q,
mpmath root-finding on derivatives of log-likelihoods built from mpmath's own
special functions, and SciPy's maximum-likelihood fitters.

Run ``python derivations/02_cross_entropy_mle.py [--fast] [--out DIR]``;
writes ``02_cross_entropy_mle.md`` and ``02_cross_entropy_mle_fits.png``.
"""

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy
from scipy import stats
from sympy import Rational

import klsym
from _common import SEED, Document, fmt, quad, tex

doc = Document(__file__, "Cross-entropy, KL and maximum likelihood")
DPS = 20 if doc.fast else 30
TOL = mpmath.mpf(10) ** (-DPS + 5)

doc.para("Notation: $H(p) = -\\mathbb{E}_p[\\log p]$, $H(p, q) = -\\mathbb{E}_p[\\log q]$,",
         "$\\mathrm{KL}(p\\,\\|\\,q) = \\mathbb{E}_p[\\log p - \\log q]$, all in nats. Every",
         "closed form below is derived by klsym or SymPy from the declared densities.")

# -- 1. the decomposition --------------------------------------------------------
doc.section("1. Cross-entropy = entropy + KL")
doc.para("Adding and subtracting $\\log p$ inside the expectation gives",
         "$-\\mathbb{E}_p[\\log q] = -\\mathbb{E}_p[\\log p] + \\mathbb{E}_p[\\log p - \\log q]$.",
         "klsym derives the three quantities separately and proves the identity for each family:")
for name in ("normal", "poisson", "gamma"):
    doc.section(name.capitalize(), level=3)
    doc.proof(klsym.prove.cross_entropy_decomposition(name, name),
              f"H(p, q) = H(p) + KL(p || q) for {name}")
doc.para("The Poisson entropy and cross-entropy keep the series $\\mathbb{E}[\\log K!]$,",
         "which has no closed form; it cancels in the KL.")

# an independent number for one pair of each continuous family: -E_p[log q] by quadrature
P_G, Q_G = klsym.Gamma(alpha=2, beta=3), klsym.Gamma(alpha=Rational(1, 2), beta=1)
ce_gamma = klsym.cross_entropy(P_G, Q_G)


def gamma_pdf(t, a, b):
    return mpmath.exp(a * mpmath.log(b) + (a - 1) * mpmath.log(t) - b * t - mpmath.loggamma(a))


with mpmath.workdps(DPS):
    reference = quad(lambda t: -gamma_pdf(t, 2, 3) * mpmath.log(gamma_pdf(t, mpmath.mpf(1) / 2, 1)),
                     0, 1, mpmath.inf, dps=DPS)
    doc.check_close(sympy.N(ce_gamma, DPS), reference, TOL,
                    "H(Gamma(2, 3), Gamma(1/2, 1)) derived vs mpmath quadrature of -p log q")
doc.para(f"For example $H(\\mathrm{{Gamma}}(2, 3), \\mathrm{{Gamma}}(1/2, 1)) = {tex(ce_gamma)}",
         f"\\approx {fmt(ce_gamma, 10)}$ (checked against {DPS}-digit quadrature).")

# -- 2. empirical distribution ------------------------------------------------------
doc.section("2. Cross-entropy to the data is the negative log-likelihood")
doc.para("Let $\\hat p = \\frac1n\\sum_{i=1}^n \\delta_{x_i}$ be the empirical distribution of a",
         "sample. Then",
         "$H(\\hat p, q_\\theta) = -\\frac1n\\sum_i \\log q_\\theta(x_i)$, the average negative",
         "log-likelihood, and $\\mathrm{KL}(\\hat p\\,\\|\\,q_\\theta) = H(\\hat p, q_\\theta) - H(\\hat p)$",
         "where $H(\\hat p)$ does not depend on $\\theta$: minimising the cross-entropy, minimising",
         "the KL from the data, and maximising the likelihood are the same problem. (For a",
         "discrete model such as the Poisson this KL is finite. For a continuous model",
         "$\\hat p$ has no density and $\\mathrm{KL}(\\hat p\\,\\|\\,q_\\theta) = +\\infty$ for every",
         "$\\theta$; the cross-entropy is what is minimised, and it is the KL up to a",
         "$\\theta$-free constant for any smoothed version of $\\hat p$.)")


def sample_cross_entropy(family, data):
    """H(p_hat, q_theta) = -(1/n) sum_i log q_theta(x_i), from the declared density."""
    x = family.variable
    return -sum(sympy.expand_log(sympy.log(family.pdf.subs(x, xi)), force=True) for xi in data) / len(data)


def moment_equations(family, data):
    """E_q[T] = (1/n) sum_i T(x_i), with E_q[T] derived from the log-normalizer."""
    form = family.canonical
    x = family.variable
    return [sympy.Eq(m, sum(t.subs(x, xi) for xi in data) / len(data))
            for t, m in zip(form.sufficient_statistics, form.mean_statistics)]


# Normal, symbolic sample of size 4
normal = klsym.family("normal")
mu, sigma = normal.params
xs = sympy.symbols("x1:5", real=True)
ce_normal = sample_cross_entropy(normal, xs)
mle = sympy.solve([sympy.diff(ce_normal, mu), sympy.diff(ce_normal, sigma)], [mu, sigma], dict=True)
matched = sympy.solve(moment_equations(normal, xs), [mu, sigma], dict=True)
doc.section("Normal, a symbolic sample $x_1, \\dots, x_4$", level=3)
doc.equation(r"H(\hat p, q_{\mu,\sigma})", ce_normal)
doc.para("`sympy.solve` on $\\partial H/\\partial\\mu = \\partial H/\\partial\\sigma = 0$ gives the",
         "unique admissible stationary point (the sample mean and the root mean squared deviation):")
doc.math(r",\quad ".join(rf"{tex(k)} = {tex(v)}" for k, v in mle[0].items()) if mle else r"\text{no solution}")
doc.para("Matching the moments of the sufficient statistics $T(x) = (x, x^2)$,",
         "$\\mathbb{E}_q[X] = \\bar x$ and $\\mathbb{E}_q[X^2] = \\overline{x^2}$, gives the same point:")
doc.check(len(mle) == 1 and len(matched) == 1, "one admissible solution for each route (Normal)")
doc.check(all(klsym.prove.equal(mle[0][s], matched[0][s]).holds is True for s in (mu, sigma)),
          "Normal: the maximum-likelihood solution equals the moment-matching solution (symbolic sample)")
doc.math(r",\quad ".join(rf"{tex(k)} = {tex(v)}" for k, v in matched[0].items()))

# check against SciPy's fitter on a concrete sample
rng = np.random.default_rng(SEED)
normal_data = [Rational(int(v * 100), 100) for v in rng.normal(1.0, 2.0, size=4)]
at_data = {s: v.subs(dict(zip(xs, normal_data))) for s, v in mle[0].items()}
fitted = stats.norm.fit(np.array(normal_data, dtype=float))
doc.check(abs(float(at_data[mu]) - fitted[0]) < 1e-6 and abs(float(at_data[sigma]) - fitted[1]) < 1e-6,
          f"Normal: at the sample {[str(v) for v in normal_data]} the derived MLE "
          f"({fmt(at_data[mu])}, {fmt(at_data[sigma])}) matches scipy.stats.norm.fit "
          f"({fmt(fitted[0])}, {fmt(fitted[1])}) to 1e-6")

# Poisson: symbolic sample, then a concrete one with the exact KL
poisson = klsym.family("poisson")
(lam,) = poisson.params
ks = sympy.symbols("k1:6", nonnegative=True, integer=True)
ce_poisson = sample_cross_entropy(poisson, ks)
mle_p = sympy.solve(sympy.diff(ce_poisson, lam), lam, dict=True)
matched_p = sympy.solve(moment_equations(poisson, ks), lam, dict=True)
doc.section("Poisson, a symbolic sample $k_1, \\dots, k_5$", level=3)
doc.equation(r"H(\hat p, q_\lambda)", ce_poisson)
doc.para("The likelihood equation and the moment equation $\\mathbb{E}_q[K] = \\lambda = \\bar k$",
         "have the same solution:")
doc.math(rf"\lambda_{{\mathrm{{MLE}}}} = {tex(mle_p[0][lam])} = \lambda_{{\text{{moments}}}}")
doc.check(len(mle_p) == 1 and len(matched_p) == 1
          and klsym.prove.equal(mle_p[0][lam], matched_p[0][lam]).holds is True,
          "Poisson: the maximum-likelihood solution equals the moment-matching solution (symbolic sample)")

counts = [2, 0, 3, 1, 4, 2, 1, 3, 2, 5]
values = sorted(set(counts))
weights = {v: Rational(counts.count(v), len(counts)) for v in values}
k = poisson.variable
q_mass = poisson.pdf
kl_data = sum(w * sympy.log(w / q_mass.subs(k, v)) for v, w in weights.items())
h_data = -sum(w * sympy.log(w) for w in weights.values())
ce_data = sample_cross_entropy(poisson, counts)
doc.para(f"With the counts {counts} the empirical distribution puts mass",
         ", ".join(f"{w} on {v}" for v, w in weights.items()) + ", and the KL from the data is the",
         "finite sum")
doc.equation(r"\mathrm{KL}(\hat p\,\|\,q_\lambda) = \sum_k \hat p(k)\log\frac{\hat p(k)}{q_\lambda(k)}",
             sympy.expand(sympy.expand_log(kl_data, force=True)))
doc.check(klsym.prove.equal(kl_data, ce_data - h_data).holds is True,
          "Poisson data: KL(p_hat || q) = H(p_hat, q) - H(p_hat) symbolically in lambda")
best = sympy.solve(sympy.diff(kl_data, lam), lam)
mean_count = Rational(sum(counts), len(counts))
doc.check(best == [mean_count], f"Poisson data: argmin_lambda KL(p_hat || q) = {best} = sample mean {mean_count}")


def poisson_logpmf(kk, rate):
    return kk * mpmath.log(rate) - rate - mpmath.loggamma(kk + 1)


with mpmath.workdps(DPS):
    # independent route: minimise the KL numerically, from mpmath's own log-pmf
    def kl_numeric(rate):
        return mpmath.fsum(mpmath.mpf(counts.count(v)) / len(counts)
                           * (mpmath.log(mpmath.mpf(counts.count(v)) / len(counts)) - poisson_logpmf(v, rate))
                           for v in values)
    root = mpmath.findroot(lambda r: mpmath.diff(kl_numeric, r), 1.5)
    doc.check_close(root, mean_count, TOL, "Poisson data: root of d/dlambda KL by mpmath vs the sample mean")
doc.para(f"The minimum is at $\\lambda = \\bar k = {mean_count}$, where",
         f"$\\mathrm{{KL}}(\\hat p\\,\\|\\,q_{{\\bar k}}) \\approx {fmt(kl_data.subs(lam, mean_count), 8)}$",
         "nats: how far the data are from being Poisson at all.")

# Gamma: moment matching reduces to one equation in alpha
gamma_family = klsym.family("gamma")
alpha, beta = gamma_family.params
gamma_data = [float(f"{v:.4f}") for v in rng.gamma(shape=2.5, scale=1 / 1.5, size=40 if doc.fast else 200)]
exact_data = [Rational(str(v)) for v in gamma_data]
equations = moment_equations(gamma_family, exact_data)
doc.section("Gamma", level=3)
doc.para(f"For a sample of {len(gamma_data)} values (drawn once with a fixed seed from",
         "$\\mathrm{Gamma}(\\alpha = 2.5, \\beta = 1.5)$, rounded to 4 decimals), the moment equations",
         "for $T(x) = (x, \\log x)$, derived from the log-normalizer, are")
doc.math(rf"{tex(equations[0].lhs)} = \overline{{x}},\qquad {tex(equations[1].lhs)} = \overline{{\log x}}.")
beta_of_alpha = sympy.solve(equations[0], beta)[0]
shape_equation = equations[1].lhs.subs(beta, beta_of_alpha) - equations[1].rhs
doc.para("The first gives $\\beta = \\alpha/\\bar x$; the second then has no closed-form solution in",
         "$\\alpha$ ($\\psi(\\alpha) - \\log\\alpha = \\overline{\\log x} - \\log\\bar x$), so it is solved",
         f"with `mpmath.findroot` at {DPS} digits:")
with mpmath.workdps(DPS):
    f_alpha = sympy.lambdify(alpha, shape_equation, "mpmath")
    alpha_hat = mpmath.findroot(f_alpha, 2)
    beta_hat = sympy.N(beta_of_alpha.subs(alpha, sympy.Float(alpha_hat, DPS)), DPS)

    # independent route: the gradient of the average log-likelihood, from mpmath's own gamma density
    def average_loglik(a, b):
        return mpmath.fsum(mpmath.log(gamma_pdf(mpmath.mpf(v), a, b)) for v in exact_data) / len(exact_data)
    grad = [mpmath.diff(average_loglik, (alpha_hat, beta_hat), (1, 0)),
            mpmath.diff(average_loglik, (alpha_hat, beta_hat), (0, 1))]
    doc.check(max(abs(g) for g in grad) < TOL,
              f"Gamma: the gradient of the average log-likelihood (mpmath) vanishes at the moment-matching "
              f"solution (max |grad| = {fmt(max(abs(g) for g in grad), 2)})")
shape, _, scale = stats.gamma.fit(np.array(gamma_data), floc=0)
doc.check(abs(shape - float(alpha_hat)) < 1e-4 * shape and abs(1 / scale - float(beta_hat)) < 1e-4 / scale,
          f"Gamma: moment matching ({fmt(alpha_hat, 8)}, {fmt(beta_hat, 8)}) agrees with scipy.stats.gamma.fit "
          f"({fmt(shape, 8)}, {fmt(1 / scale, 8)}) to the fitter's 1e-4 tolerance")
doc.math(rf"\hat\alpha \approx {fmt(alpha_hat, 10)},\qquad \hat\beta \approx {fmt(beta_hat, 10)},")
doc.para("and the gradient of the average log-likelihood, computed independently with mpmath's",
         "log-gamma function, vanishes there: the moment-matching solution is the maximum-likelihood",
         "estimate (SciPy's generic fitter agrees to its tolerance).")

# -- 3. general moment matching ---------------------------------------------------
doc.section("3. Why: moment matching in an exponential family")
doc.para("For $q_\\theta(x) = h(x)\\exp(\\eta(\\theta)\\cdot T(x) - A(\\theta))$,",
         "$H(p, q_\\theta) = A(\\theta) - \\eta(\\theta)\\cdot\\mathbb{E}_p[T] - \\mathbb{E}_p[\\log h]$, so its",
         "gradient is $J^T(\\mathbb{E}_{q_\\theta}[T] - \\mathbb{E}_p[T])$ with $J = \\partial\\eta/\\partial\\theta$:",
         "the minimiser over the family matches the expected sufficient statistics of $p$, for *any*",
         "$p$ (the data above, or the mixture of derivation 03). `klsym.prove.moment_matching`",
         "certifies it from each family's declared density ($m$ stands for $\\mathbb{E}_p[T]$):")
for name in ("normal", "poisson", "gamma"):
    doc.section(name.capitalize(), level=3)
    doc.proof(klsym.prove.moment_matching(name), f"moment matching = minimum cross-entropy for {name}")

# -- figure -------------------------------------------------------------------------
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
rates = np.linspace(0.5, 5, 300)
kl_curve = sympy.lambdify(lam, kl_data, "numpy")(rates)
ce_curve = sympy.lambdify(lam, ce_data, "numpy")(rates)
left.plot(rates, ce_curve, color="C1", label=r"$H(\hat p, q_\lambda)$ = average NLL")
left.plot(rates, kl_curve, color="C0", label=r"KL$(\hat p\,\|\,q_\lambda)$")
left.plot(rates, ce_curve - float(h_data), color="C2", ls=":", lw=2.5,
          label=r"$H(\hat p, q_\lambda) - H(\hat p)$")
left.axvline(float(mean_count), color="gray", ls="--", label=rf"$\bar k$ = {mean_count}")
left.set(xlabel=r"$\lambda$", ylabel="nats", title="Poisson: the same minimiser")
left.legend(fontsize=8)
grid = np.linspace(0.01, max(gamma_data) * 1.05, 400)
right.hist(gamma_data, bins=20, density=True, color="C0", alpha=0.4, label=f"data (n = {len(gamma_data)})")
right.plot(grid, stats.gamma.pdf(grid, float(alpha_hat), scale=1 / float(beta_hat)), color="C3",
           label=rf"moment matching = MLE: $\alpha$={fmt(alpha_hat, 3)}, $\beta$={fmt(beta_hat, 3)}")
right.set(xlabel="$x$", ylabel="density", title="Gamma fitted by moment matching")
right.legend(fontsize=8)
doc.section("4. Picture")
doc.figure(fig, "fits", "Left: for the Poisson counts, the KL from the data and the cross-entropy differ by the "
                        "constant H(p_hat) and share the minimiser, the sample mean. Right: the Gamma fit.")
doc.finish()
