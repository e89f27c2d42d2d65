"""Sample estimators of KL in RLHF / PPO: k1, k2, k3, their bias and variance.

A policy-gradient loop with a KL penalty estimates KL(p || q) from samples
x ~ p with the ratio r = q(x) / p(x):

    k1 = -log r,    k2 = (log r)^2 / 2,    k3 = (r - 1) - log r.

This script proves that k1 and k3 are unbiased (E_p[log r] = -KL and
E_p[r] = 1) and that k3 >= 0 (log r <= r - 1), derives the bias of k2 and
its third-order smallness near p = q, and derives the three variances in
closed form for Gaussian p and q (log r is a quadratic in x, so everything
reduces to Gaussian moments and one Gaussian integral), including where the
variance of k3 is infinite.  A simulation with a fixed seed confirms means
and variances within 5 standard errors, and shows why sample KL is noisy and
can be negative.

Run ``python derivations/05_rlhf_kl_estimators.py [--fast] [--out DIR]``;
writes ``05_rlhf_kl_estimators.md`` and ``05_rlhf_kl_estimators_estimators.png``.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
import sympy
from sympy import Rational, exp, log, oo

import klsym
from _common import SEED, Document, fmt, tex

doc = Document(__file__, "KL estimators for RLHF / PPO: k1, k2, k3")
SAMPLES = 100_000 if doc.fast else 2_000_000
BATCH = 16
Z_LIMIT = 5  # simulated statistics must lie within 5 standard errors

doc.para("In RLHF the policy is kept near a reference model by a KL penalty estimated from the",
         "policy's own samples. With $x \\sim p$ and $r = q(x)/p(x)$, three per-sample estimators of",
         "$\\mathrm{KL}(p\\,\\|\\,q) = \\mathbb{E}_p[\\log(p/q)]$ are in use (Schulman, *Approximating KL",
         "divergence*, 2020):")
doc.math(r"k_1 = -\log r,\qquad k_2 = \tfrac12(\log r)^2,\qquad k_3 = (r - 1) - \log r.")

# -- 1. unbiasedness, in general ------------------------------------------------------------
doc.section("1. Which are unbiased, for any p and q")
doc.para("$\\mathbb{E}_p[k_1] = \\mathbb{E}_p[\\log(p/q)] = \\mathrm{KL}(p\\,\\|\\,q)$ by definition, and",
         "$\\mathbb{E}_p[r] = \\int p\\,\\frac{q}{p} = \\int q = 1$ wherever $q$ lives inside $p$'s support,",
         "so $\\mathbb{E}_p[k_3] = \\mathbb{E}_p[r] - 1 + \\mathbb{E}_p[k_1] = \\mathrm{KL}$ too: $k_3$ is $k_1$",
         "plus the control variate $r - 1$, which has mean zero. $k_2$ has no such identity; its bias is",
         "derived below for Gaussians.")
r = sympy.Symbol("r", positive=True)
f = r - 1 - log(r)
critical = sympy.solve(sympy.diff(f, r), r)
second = sympy.diff(f, r, 2)
doc.para("$k_3 \\ge 0$: as a function of $r > 0$, $f(r) = r - 1 - \\log r$ has")
doc.math(rf"f'(r) = {tex(sympy.diff(f, r))} = 0 \iff r \in {tex(set(critical))},\qquad f''(r) = {tex(second)} > 0,"
         rf"\qquad f(1) = {tex(f.subs(r, 1))},")
doc.para("so $f$ is strictly convex with its only minimum $f(1) = 0$: $k_3 \\ge 0$ for every sample, with",
         "equality only where $q(x) = p(x)$. This is the inequality $\\log r \\le r - 1$, the same lemma",
         "klsym's proofs cite (`log_below_tangent`).")
doc.check(critical == [1] and second.is_positive and f.subs(r, 1) == 0,
          "f(r) = r - 1 - log r: f'(r) = 0 only at r = 1, f'' > 0 (SymPy assumptions), f(1) = 0, so k3 >= 0")
doc.check(sympy.limit(f, r, 0, "+") == oo and sympy.limit(f, r, oo) == oo,
          "f(r) -> +oo at both ends of (0, oo) (no smaller value escapes to the boundary)")

# -- 2. Gaussians ------------------------------------------------------------------------------
doc.section("2. A Gaussian pair: everything in closed form")
normal = klsym.family("normal")
x = normal.variable
mu, sigma = normal.params
m = sympy.Symbol("m", real=True)
s = sympy.Symbol("s", positive=True)
p_density = normal.pdf.subs({mu: 0, sigma: 1})
q_density = normal.pdf.subs({mu: m, sigma: s})
doc.para("Take $p = \\mathcal N(0, 1)$ and $q = \\mathcal N(m, s^2)$. This is no loss of generality: an",
         "affine change of variable applied to both densities leaves $r(x)$, and so the law of each",
         "estimator, unchanged.")
log_r = sympy.expand(sympy.expand_log(log(q_density / p_density), force=True))
doc.equation(r"\log r(x)", sympy.collect(log_r, x))
gaussian_moment = {n: sympy.integrate(x**n * p_density, (x, -oo, oo)) for n in range(9)}
doc.para("a quadratic in $x$, so $\\mathbb{E}_p[(\\log r)^k]$ for $k \\le 4$ needs only the moments",
         "$\\mathbb{E}_p[X^n]$, $n \\le 8$, which SymPy integrates",
         f"(${', '.join(tex(gaussian_moment[n]) for n in range(9))}$).")


def expect_polynomial(expr):
    """E_p[expr] for a polynomial in x, from the integrated moments of p."""
    poly = sympy.Poly(sympy.expand(expr), x)
    return sympy.expand(sum(c * gaussian_moment[k[0]] for k, c in poly.terms()))


E_l1, E_l2, E_l4 = (expect_polynomial(log_r**k) for k in (1, 2, 4))
kl_pq = klsym.kl(klsym.Normal(mu=0, sigma=1), klsym.Normal(mu=m, sigma=s))
kl_qp = klsym.kl(klsym.Normal(mu=m, sigma=s), klsym.Normal(mu=0, sigma=1))
doc.para("klsym derives the two divergences:")
doc.math(rf"\mathrm{{KL}}(p\,\|\,q) = {tex(kl_pq)},\qquad \mathrm{{KL}}(q\,\|\,p) = {tex(kl_qp)}.")
mass_q = sympy.integrate(q_density, (x, -oo, oo))
doc.check(klsym.prove.equal(-E_l1, kl_pq).holds is True, "Gaussian: E_p[k1] = -E_p[log r] = KL(p || q) (derived KL from klsym)")
doc.check(mass_q == 1, "Gaussian: E_p[r] = integral of q = 1 (SymPy), so E_p[k3] = KL")

# E_p[r^2] = integral of q^2 / p: a Gaussian integral that converges only when the x^2 coefficient is negative
exponent = sympy.expand(sympy.expand_log(log(q_density**2 / p_density), force=True))
A, B, C = sympy.Poly(exponent, x).all_coeffs()
a_pos, b_real = sympy.Symbol("a", positive=True), sympy.Symbol("b", real=True)
gauss_integral = sympy.integrate(exp(-a_pos * x**2 + b_real * x), (x, -oo, oo))
E_r2 = sympy.simplify(exp(C) * gauss_integral.subs({a_pos: -A, b_real: B}))
E_r2 = E_r2.replace(lambda e: isinstance(e, exp), lambda e: exp(sympy.cancel(e.args[0])))


def tidy(expr):
    """For display: logs expanded, collected by powers of log s."""
    return sympy.collect(sympy.expand(sympy.expand_log(expr, force=True)), log(s))
doc.para("Only $k_3$ needs more: $\\mathbb{E}_p[r\\log r] = \\mathbb{E}_q[\\log(q/p)] = \\mathrm{KL}(q\\,\\|\\,p)$, and",
         "$\\mathbb{E}_p[r^2] = \\int q^2/p$, the integral of $\\exp$ of a quadratic with leading coefficient",
         f"${tex(A)}$. It is finite only when that is negative, i.e. $s^2 < 2$; then SymPy's Gaussian",
         "integral gives")
doc.equation(r"\mathbb{E}_p[r^2]", E_r2)
doc.para("For $s^2 \\ge 2$ (the second policy much more spread out than the sampling one)",
         "$\\mathbb{E}_p[r^2] = \\infty$ and **$k_3$ has infinite variance**.")
condition = sympy.solve(A < 0, s)
doc.check(condition == (s < sympy.sqrt(2)) or sympy.simplify(condition) == (s < sympy.sqrt(2)),
          f"E_p[r^2] converges exactly when s < sqrt(2) (solved: {condition})")

mean = {"k1": kl_pq, "k2": E_l2 / 2, "k3": kl_pq}
variance = {"k1": sympy.expand(E_l2 - E_l1**2),
            "k2": sympy.expand(E_l4 / 4 - E_l2**2 / 4),
            "k3": E_r2 - 2 - 2 * kl_qp + 1 + 2 * E_l1 + E_l2 - kl_pq**2}
# (r - 1 - log r)^2 = r^2 - 2r - 2 r log r + 1 + 2 log r + (log r)^2, term by term
bias_k2 = sympy.simplify(mean["k2"] - kl_pq)
doc.section("Bias of k2", level=3)
doc.equation(r"\mathbb{E}_p[k_2] - \mathrm{KL}(p\,\|\,q)", tidy(bias_k2))
doc.check(klsym.prove.equal(bias_k2, 0).holds is False, "E_p[k2] != KL(p || q) in general (klsym.prove.equal finds a counterexample)")
t, a_dir, b_dir = sympy.symbols("t alpha beta", real=True)
path = {m: a_dir * t, s: exp(b_dir * t)}
bias_series = sympy.series(bias_k2.subs(path), t, 0, 4).removeO()
kl_series = sympy.series(kl_pq.subs(path), t, 0, 3).removeO()
doc.para("Along any path $m = \\alpha t$, $s = e^{\\beta t}$ towards $p = q$ the KL is second order in $t$ and",
         "the bias third order:")
doc.math(rf"\mathrm{{KL}} = {tex(sympy.factor(kl_series))} + O(t^3),\qquad"
         rf"\mathbb{{E}}[k_2] - \mathrm{{KL}} = {tex(sympy.factor(bias_series))} + O(t^4).")
doc.check(sympy.expand(bias_series).coeff(t, 2) == 0 and sympy.expand(bias_series).coeff(t, 3) != 0
          and sympy.expand(kl_series).coeff(t, 2) != 0,
          "near p = q the bias of k2 is O(t^3) while KL is of order t^2 (the relative bias vanishes like t)")
doc.para("So $k_2$ is biased, but its relative bias vanishes as $q \\to p$: for a pure mean shift",
         f"($s = 1$) it is ${tex(sympy.simplify(bias_k2.subs(s, 1) / kl_pq.subs(s, 1)))}$, i.e. 0.25 % at",
         "$m = 0.1$ and 25 % at $m = 1$, the numbers in Schulman's note.")

doc.section("Variances", level=3)
for name in ("k1", "k2", "k3"):
    doc.equation(rf"\operatorname{{Var}}_p[k_{name[1]}]", tidy(variance[name]),
                 r",\quad s^2 < 2" if name == "k3" else "")
doc.para("($\\operatorname{Var}[k_3]$ is assembled from",
         "$(r - 1 - \\log r)^2 = r^2 - 2r - 2r\\log r + 1 + 2\\log r + (\\log r)^2$ term by term.)",
         "With equal variances ($s = 1$):")
equal_var = {name: sympy.factor(sympy.simplify(variance[name].subs(s, 1))) for name in variance}
doc.math(r",\quad ".join(rf"\operatorname{{Var}}[k_{n[1]}] = {tex(v)}" for n, v in equal_var.items())
         + rf",\quad \mathrm{{KL}} = {tex(kl_pq.subs(s, 1))}.")
doc.para("For small $m$ the standard deviation of $k_1$ is $\\approx m$, about $2/m$ times the KL itself",
         "(20 times at $m = 0.1$), while $k_2$ and $k_3$ have standard deviations of order $m^2$, comparable",
         "to the KL: that is why $k_3$ (unbiased, non-negative, low variance near $p = q$) is the usual",
         "choice.")

# -- 3. simulation -------------------------------------------------------------------------
doc.section("3. Simulation")
pairs = [(Rational(1, 10), 1), (1, 1), (Rational(1, 2), Rational(11, 10))]
rng = np.random.default_rng(SEED)
doc.para(f"For each pair, {SAMPLES:,} samples $x \\sim p$ (numpy `default_rng({SEED})`). Each sample mean must",
         f"lie within {Z_LIMIT} standard errors $\\sqrt{{\\operatorname{{Var}}/N}}$ of the derived mean, and each",
         f"sample variance within {Z_LIMIT} standard errors of the derived variance, with the standard error",
         "of a sample variance estimated as $\\sqrt{(\\hat\\mu_4 - \\hat\\sigma^4)/N}$ from the sample's central",
         "moments. (That needs finite fourth moments: $\\mathbb{E}_p[r^4] < \\infty$ iff $s^2 < 4/3$, true",
         "for all three pairs.)")
rows = []
for m_value, s_value in pairs:
    at = {m: m_value, s: s_value}
    m_f, s_f = float(m_value), float(s_value)
    xs = rng.standard_normal(SAMPLES)
    lr = -0.5 * ((xs - m_f) / s_f) ** 2 - math.log(s_f) + 0.5 * xs**2  # log q(x) - log p(x), written out
    samples = {"k1": -lr, "k2": 0.5 * lr**2, "k3": np.expm1(lr) - lr}
    for name, values_ in samples.items():
        exact_mean, exact_var = float(mean[name].subs(at)), float(variance[name].subs(at))
        z_mean = (values_.mean() - exact_mean) / math.sqrt(exact_var / SAMPLES)
        centred = values_ - values_.mean()
        sample_var = centred.var()
        se_var = math.sqrt((np.mean(centred**4) - sample_var**2) / SAMPLES)
        z_var = (sample_var - exact_var) / se_var
        doc.check(abs(z_mean) < Z_LIMIT and abs(z_var) < Z_LIMIT,
                  f"m = {m_value}, s = {s_value}, {name}: sample mean {fmt(values_.mean(), 6)} vs {fmt(exact_mean, 6)} "
                  f"({z_mean:+.2f} SE), sample variance {fmt(sample_var, 6)} vs {fmt(exact_var, 6)} ({z_var:+.2f} SE)")
        rows.append((f"$m = {m_value}, s = {s_value}$", f"$k_{name[1]}$", fmt(exact_mean, 6), fmt(values_.mean(), 6),
                     fmt(math.sqrt(exact_var), 6), fmt(math.sqrt(sample_var), 6), f"{fmt(float(mean[name].subs(at) / kl_pq.subs(at)) - 1, 3)}"))
doc.table(["pair", "estimator", "mean (derived)", "mean (simulated)", "s.d. (derived)", "s.d. (simulated)", "relative bias"], rows)

doc.section("4. Sample KL is noisy and can be negative")
m_small = Rational(1, 10)
doc.check(sympy.diff(log_r.subs(s, 1), x, 2) == 0, "with s = 1, log r is linear in x, so k1 is Gaussian under p")


def normal_cdf(value):
    return (1 + sympy.erf(value / sympy.sqrt(2))) / 2


# k1 ~ N(E[k1], Var[k1]) with the derived mean and variance; a batch mean has variance Var / BATCH
k1_mean, k1_var = mean["k1"].subs({m: m_small, s: 1}), variance["k1"].subs({m: m_small, s: 1})
prob_negative = sympy.simplify(normal_cdf(-k1_mean / sympy.sqrt(k1_var)))
prob_batch_negative = sympy.simplify(normal_cdf(-k1_mean / sympy.sqrt(k1_var / BATCH)))
doc.para("With $s = 1$, $\\log r = m x - m^2/2$ is linear in $x$, so $k_1 = -\\log r$ is itself Gaussian,",
         "$k_1 \\sim \\mathcal N(m^2/2, m^2)$. A single sample is negative when $x > m/2$: with $m = 0.1$ that is",
         f"$P(k_1 < 0) = 1 - \\Phi(m/2) \\approx {fmt(prob_negative, 4)}$ — nearly half the samples. A batch of",
         f"{BATCH} samples averages to $\\mathcal N(m^2/2, m^2/{BATCH})$, negative with probability",
         f"$\\Phi(-{BATCH ** 0.5:g}\\,m/2) \\approx {fmt(prob_batch_negative, 4)}$: the batch estimate of a",
         "divergence is below zero four times in ten. $k_3$ never is.")
xs = rng.standard_normal(SAMPLES)
lr = 0.1 * xs - 0.005
per_sample = {"k1": -lr, "k2": 0.5 * lr**2, "k3": np.expm1(lr) - lr}
batches = {name: vals.reshape(-1, BATCH).mean(axis=1) for name, vals in per_sample.items()}
frac_sample, frac_batch = float(np.mean(per_sample["k1"] < 0)), float(np.mean(batches["k1"] < 0))
n_batches = SAMPLES // BATCH
for label, observed, expected, count in (("single samples", frac_sample, float(prob_negative), SAMPLES),
                                          (f"batches of {BATCH}", frac_batch, float(prob_batch_negative), n_batches)):
    se = math.sqrt(expected * (1 - expected) / count)
    doc.check(abs(observed - expected) < Z_LIMIT * se,
              f"m = 0.1: fraction of negative k1 over {label}: simulated {fmt(observed, 5)} vs derived {fmt(expected, 5)} "
              f"({(observed - expected) / se:+.2f} SE)")
doc.check(bool(np.all(per_sample["k3"] >= 0)), "every simulated k3 is >= 0")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
true_kl = float(kl_pq.subs({m: m_small, s: 1}))
bins = np.linspace(-0.1, 0.11, 140)
for name, color, style in (("k1", "C0", "-"), ("k2", "C1", "--"), ("k3", "C2", "-")):
    left.hist(batches[name], bins=bins, density=True, histtype="stepfilled" if name == "k1" else "step", lw=1.5,
              ls=style, alpha=0.4 if name == "k1" else 1.0, color=color, label=f"$k_{name[1]}$, batch mean of {BATCH}")
left.axvline(true_kl, color="black", ls="--", label=f"true KL = {fmt(true_kl, 3)}")
left.axvline(0, color="gray", lw=0.8)
left.set(xlabel="estimate of KL$(p\\,\\|\\,q)$", ylabel="density", yscale="log", ylim=(0.05, 2000),
         title=f"$p = \\mathcal{{N}}(0,1)$, $q = \\mathcal{{N}}(0.1, 1)$: {n_batches:,} batches")
left.legend(fontsize=8)
ms = np.geomspace(0.01, 3, 200)
for name, color in (("k1", "C0"), ("k2", "C1"), ("k3", "C2")):
    ratio = sympy.lambdify(m, sympy.sqrt(variance[name].subs(s, 1)) / kl_pq.subs(s, 1), "numpy")(ms)
    right.loglog(ms, ratio, color=color, label=f"s.d.$(k_{name[1]})$ / KL")
right.loglog(ms, sympy.lambdify(m, bias_k2.subs(s, 1) / kl_pq.subs(s, 1), "numpy")(ms), color="C1", ls="--",
             label="relative bias of $k_2$")
right.set(xlabel="mean shift $m$ (with $s = 1$)", ylabel="ratio to KL", title="Closed forms: noise and bias relative to the KL")
right.legend(fontsize=8)
doc.figure(fig, "estimators", "Left: batch estimates of a small KL (0.005); k1 is wide and often negative, k2 and k3 "
                              "are tight and non-negative. Right: the derived standard deviations and the bias of k2, "
                              "relative to the KL, for a mean shift m.")
doc.finish()
