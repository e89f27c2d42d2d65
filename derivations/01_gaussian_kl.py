"""The KL divergence between two Gaussians, derived step by step.

Derives KL(N(mu_p, sigma_p^2) || N(mu_q, sigma_q^2)) from the definition
E_p[log p(X) - log q(X)]: the log-ratio of the declared densities is a
quadratic in x, so only E_p[1], E_p[X] and E_p[X^2] are needed, and SymPy
integrates those.  The result is compared with klsym's own derivation and
with the textbook formula, split into a Mahalanobis term and a variance-ratio
term (each proved non-negative), then generalised to d dimensions (matrix
form for a symbolic d, explicit d = 2, and the Mahalanobis / trace / log-det
split).  Forward and reverse KL between a concrete pair are computed exactly
and checked by quadrature: 30-digit mpmath in one dimension, SciPy's
adaptive double-precision ``dblquad`` in two (2-D mpmath quadrature takes
minutes).

Run ``python derivations/01_gaussian_kl.py [--fast] [--out DIR]``; writes
``01_gaussian_kl.md`` and ``01_gaussian_kl_forward_reverse.png``.
"""

import math

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy
from sympy import MatrixSymbol, Rational, oo

import klsym
from _common import Document, fmt, kl_2d_quadrature, log_normal_2d, quad, tex

doc = Document(__file__, "The Gaussian KL divergence, step by step")
DPS = 20 if doc.fast else 40

# -- 1. univariate, from the definition --------------------------------------
normal = klsym.family("normal")
x = normal.variable
(mu_p, s_p), (mu_q, s_q) = normal.symbols("p"), normal.symbols("q")
p = normal.pdf.subs(normal.renaming("p"), simultaneous=True)
q = normal.pdf.subs(normal.renaming("q"), simultaneous=True)

doc.para("Every formula below is derived by the script from the declared density of",
         "`klsym.family(\"normal\")`; typed formulas appear only as the textbook statements",
         "that the derived results are checked against.")
doc.section("1. One dimension, from the definition")
doc.para("The definition, with $p$ and $q$ the declared normal densities:")
doc.math(r"\mathrm{KL}(p\,\|\,q) = \int_{-\infty}^{\infty} p(x)\,\log\frac{p(x)}{q(x)}\,dx,"
         rf"\qquad p(x) = {tex(p)}")

log_ratio = sympy.expand(sympy.expand_log(sympy.log(p / q), force=True))
a2, a1, a0 = sympy.Poly(log_ratio, x).all_coeffs()
doc.para("Expanding the logarithm of the ratio of the two densities leaves a quadratic in",
         "$x$, $\\log p(x) - \\log q(x) = a_2 x^2 + a_1 x + a_0$ with")
doc.math(rf"a_2 = {tex(a2)},\quad a_1 = {tex(a1)},\quad a_0 = {tex(a0)}.")
doc.check(sympy.expand(a2 * x**2 + a1 * x + a0 - log_ratio) == 0,
          "the log-ratio is exactly the quadratic a2 x^2 + a1 x + a0")

moments = [sympy.simplify(sympy.integrate(x**k * p, (x, -oo, oo))) for k in range(3)]
doc.para("So the KL needs only the first three moments of $p$. SymPy integrates them:")
doc.math(r",\quad ".join(rf"\mathbb{{E}}_p[X^{k}] = {tex(m)}" for k, m in enumerate(moments)))
doc.check(moments[0] == 1, "the declared density integrates to 1")

stepwise = sympy.expand(a2 * moments[2] + a1 * moments[1] + a0 * moments[0])
doc.para("Substituting them, $\\mathrm{KL} = a_2\\,\\mathbb{E}_p[X^2] + a_1\\,\\mathbb{E}_p[X] + a_0$,",
         "which expands to")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", stepwise)

derived = klsym.kl("normal", "normal")
doc.para("`klsym.kl(\"normal\", \"normal\")` derives the same divergence by its own route",
         "(through the exponential-family form of the declared density):")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", derived)
doc.check(klsym.prove.equal(stepwise, derived).holds is True,
          "the step-by-step integral equals klsym.kl('normal', 'normal') (SymPy simplifies the difference to 0)")

textbook = sympy.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - Rational(1, 2)
doc.para("Both are the textbook formula")
doc.math(r"\mathrm{KL} = \log\frac{\sigma_q}{\sigma_p} + \frac{\sigma_p^2 + (\mu_p - \mu_q)^2}"
         r"{2\sigma_q^2} - \frac12.")
doc.check(klsym.prove.equal(derived, textbook).holds is True,
          "the derived KL equals the textbook formula (SymPy simplifies the difference to 0)")

doc.section("2. The Mahalanobis and variance-ratio terms")
doc.para("The divergence splits into a *Mahalanobis* term, the squared distance between the",
         "means measured in units of $q$'s standard deviation, and a term that depends only on",
         "the variance ratio $t = \\sigma_p^2/\\sigma_q^2$:")
doc.math(r"\mathrm{KL} = \underbrace{\frac{(\mu_p-\mu_q)^2}{2\sigma_q^2}}_{\text{Mahalanobis}}"
         r" + \underbrace{\tfrac12\left(t - 1 - \log t\right)}_{\text{trace / log-det}}.")
doc.para("`klsym.prove.gaussian_split()` proves the split from the derived KL and proves each",
         "term non-negative (a square over a positive number; $\\log t \\le t - 1$), which is a",
         "second proof that the Gaussian KL is non-negative and vanishes only when both the",
         "means and the variances agree:")
doc.proof(klsym.prove.gaussian_split(), "Gaussian KL = Mahalanobis + variance-ratio term, each >= 0")

doc.section("3. Forward and reverse KL between two Gaussians")
pair = {"p": (0, 1), "q": (1, 2)}
P, Q = klsym.Normal(mu=0, sigma=1), klsym.Normal(mu=1, sigma=2)
forward, reverse = klsym.kl(P, Q), klsym.kl(Q, P)
doc.para("KL is not symmetric. For $p = \\mathcal N(0, 1)$ and $q = \\mathcal N(1, 2^2)$",
         "(standard deviations 1 and 2) klsym gives the exact values")
doc.math(rf"\mathrm{{KL}}(p\,\|\,q) = {tex(forward)} \approx {fmt(forward, 10)},\qquad"
         rf"\mathrm{{KL}}(q\,\|\,p) = {tex(reverse)} \approx {fmt(reverse, 10)}.")


def mp_kl_1d(a, b):
    """KL(N(a) || N(b)) by mpmath quadrature of mpmath's own normal density."""
    def integrand(t):
        pa, pb = mpmath.npdf(t, *a), mpmath.npdf(t, *b)
        return pa * mpmath.log(pa / pb)
    return quad(integrand, -mpmath.inf, a[0], mpmath.inf, dps=DPS)


for name, exact, a, b in (("KL(p || q)", forward, pair["p"], pair["q"]),
                          ("KL(q || p)", reverse, pair["q"], pair["p"])):
    with mpmath.workdps(DPS):
        doc.check_close(sympy.N(exact, DPS), mp_kl_1d(a, b), mpmath.mpf(10) ** (-DPS + 5),
                        f"{name} closed form vs {DPS}-digit mpmath quadrature of the densities")

doc.para("The reverse direction is larger here: $q$ is wider than $p$, so under $q$ there is",
         "mass in $p$'s tails where $\\log q/p$ is large, while under $p$ the ratio $p/q$ stays",
         "moderate. The figure shows where each divergence accumulates: the shaded integrands",
         "$p\\log(p/q)$ and $q\\log(q/p)$ (their areas are the two KLs), and on the right the",
         "variance-ratio term for $\\mu_p = \\mu_q$ in both directions: shrinking the",
         "variance of the second argument costs far more than widening it.")

grid = np.linspace(-6, 8, 1401)


def npdf(t, mean, sd):
    return np.exp(-0.5 * ((t - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
dp, dq = npdf(grid, *pair["p"]), npdf(grid, *pair["q"])
left.plot(grid, dp, color="C0", label=r"$p = \mathcal{N}(0, 1)$")
left.plot(grid, dq, color="C1", label=r"$q = \mathcal{N}(1, 2^2)$")
left.fill_between(grid, dp * np.log(dp / dq), color="C0", alpha=0.3,
                  label=rf"$p\log(p/q)$, area = KL$(p\|q)$ = {fmt(forward, 4)}")
left.fill_between(grid, dq * np.log(dq / dp), color="C1", alpha=0.3,
                  label=rf"$q\log(q/p)$, area = KL$(q\|p)$ = {fmt(reverse, 4)}")
left.axhline(0, color="black", lw=0.6)
left.set(xlabel="$x$", ylabel="density / integrand", title="Where each KL accumulates")
left.legend(fontsize=8, loc="upper left")
ratios = np.geomspace(0.1, 10, 400)  # sigma_q / sigma_p
kl_normal = klsym.kl_function("normal", "normal")
right.plot(ratios, kl_normal(0.0, 1.0, 0.0, ratios), color="C0",
           label=r"KL$(\mathcal{N}(0,1)\,\|\,\mathcal{N}(0,s^2))$")
right.plot(ratios, kl_normal(0.0, ratios, 0.0, 1.0), color="C1",
           label=r"KL$(\mathcal{N}(0,s^2)\,\|\,\mathcal{N}(0,1))$")
right.set(xscale="log", yscale="log", ylim=(1e-3, 60), xlabel="standard deviation ratio $s$",
          ylabel="KL (nats)", title="Variance-ratio term: forward vs reverse")
right.legend(fontsize=8)
doc.figure(fig, "forward_reverse", "Forward vs reverse KL between two univariate Gaussians.")

# -- 4. multivariate ------------------------------------------------------------
doc.section("4. d dimensions")
general = klsym.kl("mvnormal", "mvnormal")
doc.para("For a symbolic dimension $d$, `klsym.kl(\"mvnormal\", \"mvnormal\")` derives the",
         "KL in matrix notation from the density",
         "$p(x) = (2\\pi)^{-d/2}|\\Sigma|^{-1/2}\\exp(-\\tfrac12 (x-\\mu)^T\\Sigma^{-1}(x-\\mu))$",
         "(the subscript $0,0$ is the single entry of a $1\\times 1$ matrix):")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", general)
doc.para("that is, the textbook")
doc.math(r"\mathrm{KL} = \tfrac12\Big[\underbrace{(\mu_p-\mu_q)^T\Sigma_q^{-1}(\mu_p-\mu_q)}"
         r"_{\text{Mahalanobis}} + \underbrace{\operatorname{tr}(\Sigma_q^{-1}\Sigma_p) - d"
         r" - \log\det(\Sigma_q^{-1}\Sigma_p)}_{\text{trace / log-det}}\Big].")
doc.para("The trace / log-det term is $\\sum_i (\\lambda_i - 1 - \\log\\lambda_i) \\ge 0$ over",
         "the eigenvalues $\\lambda_i > 0$ of $\\Sigma_q^{-1}\\Sigma_p$ (similar to the positive",
         "definite $\\Sigma_q^{-1/2}\\Sigma_p\\Sigma_q^{-1/2}$), again by $\\log t\\le t-1$; it is",
         "the KL between the two Gaussians moved to a common mean.")

mvn2 = klsym.family("mvnormal").of(2)
explicit = klsym.kl(mvn2, mvn2)
doc.para("In $d = 2$, with $\\Sigma = \\begin{pmatrix}\\Sigma_{11} & \\Sigma_{12}\\\\ \\Sigma_{12}",
         "& \\Sigma_{22}\\end{pmatrix}$, klsym derives the explicit form from the density of",
         "`klsym.family(\"mvnormal\").of(2)` (a different derivation: scalar symbols, no matrix",
         "algebra):")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", explicit)

declared = dict(mvn2.declared)
vectors = {s: {"mu": declared["mu"].subs(mvn2.renaming(s), simultaneous=True),
               "Sigma": declared["Sigma"].subs(mvn2.renaming(s), simultaneous=True)} for s in "pq"}
matrices = {m.name: m for m in general.atoms(MatrixSymbol)}
dim = next(s for s in general.free_symbols if s.name == "d")
at_two = general.subs({matrices[f"{name}_{s}"]: vectors[s][name] for s in "pq" for name in ("mu", "Sigma")})
at_two = at_two.subs(dim, 2).doit()
doc.check(klsym.prove.equal(at_two, explicit).holds is True,
          "the general-d matrix form at d = 2 equals the explicit d = 2 derivation")

delta = vectors["p"]["mu"] - vectors["q"]["mu"]
inv_q = vectors["q"]["Sigma"].inv()
mahalanobis = (delta.T * inv_q * delta)[0] / 2
ratio = inv_q * vectors["p"]["Sigma"]
trace_logdet = (ratio.trace() - 2 - sympy.log(ratio.det())) / 2
doc.check(klsym.prove.equal(explicit, mahalanobis + trace_logdet).holds is True,
          "d = 2: the derived KL = Mahalanobis term + trace/log-det term")
doc.check(klsym.prove.equal(explicit.subs({s: t for s, t in zip(mvn2.symbols("q")[:2], mvn2.symbols("p")[:2])}),
                            trace_logdet).holds is True,
          "d = 2: with equal means only the trace/log-det term remains")

doc.section("5. Forward and reverse KL in two dimensions")
half = Rational(1, 2)
P2 = klsym.MultivariateNormal(mu=[0, 0], Sigma=[[1, half], [half, 1]])
Q2 = klsym.MultivariateNormal(mu=[1, -half], Sigma=[[2, 0], [0, half]])
forward2, reverse2 = klsym.kl(P2, Q2), klsym.kl(Q2, P2)
doc.para("For $p = \\mathcal N\\big((0,0), \\begin{pmatrix}1&1/2\\\\1/2&1\\end{pmatrix}\\big)$ and",
         "$q = \\mathcal N\\big((1,-1/2), \\begin{pmatrix}2&0\\\\0&1/2\\end{pmatrix}\\big)$:")
doc.math(rf"\mathrm{{KL}}(p\,\|\,q) = {tex(forward2)} \approx {fmt(forward2, 10)},\qquad"
         rf"\mathrm{{KL}}(q\,\|\,p) = {tex(reverse2)} \approx {fmt(reverse2, 10)}.")


as_floats = {"p": ((0.0, 0.0), ((1.0, 0.5), (0.5, 1.0))), "q": ((1.0, -0.5), ((2.0, 0.0), (0.0, 0.5)))}
for name, exact, a, b in (("KL(p || q)", forward2, "p", "q"), ("KL(q || p)", reverse2, "q", "p")):
    reference = kl_2d_quadrature(lambda u, v: log_normal_2d(u, v, *as_floats[a]),
                                 lambda u, v: log_normal_2d(u, v, *as_floats[b]), (-14, 14, -14, 14))
    doc.check_close(float(exact), reference, 1e-9,
                    f"d = 2 {name} closed form vs scipy dblquad of the densities (double precision)")
doc.para("Both are checked against SciPy's adaptive `dblquad` of the densities, written out",
         "independently of klsym, at double precision (agreement to $10^{-9}$ relative; a",
         "30-digit mpmath 2-D quadrature of the same integrand takes minutes on this machine,",
         "so the high-precision check is the one-dimensional one above).")

doc.finish()
