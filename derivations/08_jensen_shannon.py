"""KL vs Jensen-Shannon divergence: symmetry, bounds, supports, Gaussians.

JS(p, q) = KL(p || m)/2 + KL(q || m)/2 with m = (p + q)/2.  The script
shows, with klsym's derived KLs and with mpmath quadrature where no closed
form exists:

* JS is symmetric (symbolically for Bernoulli pairs) and bounded by log 2,
  attained exactly for disjoint supports, while KL is unbounded;
* KL is +oo under support mismatch, with the cases read off the declared
  supports by klsym's support rule (and finite in the other direction), while
  JS stays finite;
* JS between two Gaussians has no closed form (the log of a sum of two
  Gaussian densities does not integrate in elementary terms), so it is
  computed with mpmath quadrature, checked by a second formula
  JS = H(m) - (H(p) + H(q))/2 with klsym's closed-form entropies, and
  compared near p = q with KL (JS ~ KL / 4).

Run ``python derivations/08_jensen_shannon.py [--fast] [--out DIR]``;
writes ``08_jensen_shannon.md`` and ``08_jensen_shannon_bounded.png``.
"""

import math

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy
from sympy import Rational, oo

import klsym
from klsym.support import support_rule
from _common import Document, fmt, quad, tex

doc = Document(__file__, "KL vs Jensen–Shannon divergence")
DPS = 20 if doc.fast else 30
LOG2 = sympy.log(2)

doc.math(r"\mathrm{JS}(p, q) = \tfrac12\,\mathrm{KL}\big(p\,\|\,m\big) + \tfrac12\,\mathrm{KL}\big(q\,\|\,m\big),"
         r"\qquad m = \tfrac12(p + q).")

# -- 1. Bernoulli: symmetric, bounded; KL unbounded ---------------------------------------------
doc.section("1. Symmetric and bounded by log 2; KL is neither")
a, b = sympy.symbols("a b", positive=True)


def js_bernoulli(u, v):
    mid = klsym.Bernoulli(p=(u + v) / 2)
    return (klsym.kl(klsym.Bernoulli(p=u), mid) + klsym.kl(klsym.Bernoulli(p=v), mid)) / 2


js_ab = js_bernoulli(a, b)
doc.para("For Bernoulli distributions (success probabilities $a$, $b$) klsym derives each KL to the midpoint",
         "$\\mathrm{Bern}((a+b)/2)$, giving")
doc.equation(r"\mathrm{JS}(a, b)", js_ab)
doc.check(klsym.prove.equal(js_ab, js_bernoulli(b, a)).holds is True, "JS(Bern(a), Bern(b)) = JS(Bern(b), Bern(a)) symbolically")
kl_ab = klsym.kl(klsym.Bernoulli(p=a), klsym.Bernoulli(p=b))
doc.check(klsym.prove.equal(kl_ab, klsym.kl(klsym.Bernoulli(p=b), klsym.Bernoulli(p=a))).holds is False,
          "KL(Bern(a) || Bern(b)) != KL(Bern(b) || Bern(a)) (klsym.prove.equal finds a counterexample)")
doc.para("It is symmetric by construction (SymPy confirms $\\mathrm{JS}(a, b) - \\mathrm{JS}(b, a) = 0$), while",
         "the KL is not. The bound: pointwise,",
         "$p\\log\\frac{2p}{p+q} = p\\log 2 + p\\log\\frac{p}{p+q} \\le p\\log 2$ because $p/(p+q) \\le 1$, so",
         "$\\mathrm{KL}(p\\,\\|\\,m) \\le \\log 2$ and likewise for $q$: $0 \\le \\mathrm{JS} \\le \\log 2$, with",
         "equality iff $p\\,q = 0$ everywhere — disjoint supports. For the Bernoulli pair that is the limit",
         "$a \\to 0$, $b \\to 1$:")
edge = sympy.limit(sympy.limit(js_ab, a, 0, "+"), b, 1, "-")
kl_edge = sympy.limit(klsym.kl(klsym.Bernoulli(p=Rational(1, 2)), klsym.Bernoulli(p=b)), b, 0, "+")
doc.math(rf"\lim_{{b\to 1^-}}\lim_{{a\to 0^+}}\mathrm{{JS}}(a, b) = {tex(edge)},\qquad"
         rf"\lim_{{b\to 0^+}}\mathrm{{KL}}(\mathrm{{Bern}}(\tfrac12)\,\|\,\mathrm{{Bern}}(b)) = {tex(kl_edge)}.")
doc.check(sympy.simplify(edge - LOG2) == 0, "JS(Bern(a), Bern(b)) -> log 2 as a -> 0, b -> 1 (SymPy limits)")
doc.check(kl_edge == oo, "KL(Bern(1/2) || Bern(b)) -> +oo as b -> 0 (SymPy limit)")
grid = np.linspace(0.001, 0.999, 200 if doc.fast else 999)
js_num = sympy.lambdify((a, b), js_ab, "numpy")
worst = max(np.max(js_num(u, grid)) for u in grid[::10])
doc.check(0 <= float(np.min([np.min(js_num(u, grid)) for u in grid[::10]])) and worst <= math.log(2),
          f"0 <= JS(Bern(a), Bern(b)) <= log 2 on a {len(grid[::10])} x {len(grid)} grid in (0, 1)^2 (max {fmt(worst, 6)})")

# -- 2. support mismatch ---------------------------------------------------------------------
doc.section("2. Support mismatch: KL is infinite, JS is not")
doc.para("$\\mathrm{KL}(p\\,\\|\\,q) = +\\infty$ as soon as $p$ puts mass where $q$ has none. klsym decides this",
         "from the declared supports alone (`klsym.support.support_rule`), for symbolic parameters too:")
rows = []
for name_p, name_q in (("normal", "exponential"), ("exponential", "normal"), ("uniform", "uniform"),
                       ("pareto", "pareto"), ("binomial", "binomial"), ("exponential", "pareto")):
    rule = support_rule(klsym.family(name_p), klsym.family(name_q))
    verdict = {True: "never $+\\infty$", False: "always $+\\infty$", None: f"$+\\infty$ iff ${tex(rule.escape)}$"}[rule.contained]
    rows.append((f"{name_p} ‖ {name_q}", verdict, rule.reason))
doc.table(["KL(p ‖ q)", "infinite?", "reason (klsym)"], rows)
kl_uu = klsym.kl("uniform", "uniform")
doc.para("The parameter-dependent cases come out as a `Piecewise`, e.g.")
doc.equation(r"\mathrm{KL}(\mathrm{U}(a_p, b_p)\,\|\,\mathrm{U}(a_q, b_q))", kl_uu)
N01, E1 = klsym.Normal(mu=0, sigma=1), klsym.Exponential(lam=1)
kl_ne, kl_en = klsym.kl(N01, E1), klsym.kl(E1, N01)
doc.check(kl_ne == oo and kl_en.is_finite, f"KL(N(0,1) || Exp(1)) = {kl_ne} but KL(Exp(1) || N(0,1)) = {kl_en} (finite)")
U01, U23 = klsym.Uniform(a=0, b=1), klsym.Uniform(a=2, b=3)
doc.check(klsym.kl(U01, U23) == oo and klsym.kl(U23, U01) == oo, "KL between U(0,1) and U(2,3) is +oo both ways")


def js_quadrature(density_p, density_q, cuts):
    """JS(p, q) by mpmath quadrature of the definition; 0 log 0 = 0."""
    def half(f, g):
        def integrand(x):
            fx = f(x)
            return fx * mpmath.log(2 * fx / (fx + g(x))) if fx > 0 else mpmath.mpf(0)
        return quad(integrand, *cuts, dps=DPS) / 2
    return half(density_p, density_q) + half(density_q, density_p)


with mpmath.workdps(DPS):
    def normal_pdf(x):
        return mpmath.npdf(x, 0, 1)

    def exp_pdf(x):
        return mpmath.exp(-x) if x >= 0 else mpmath.mpf(0)

    def uniform_pdf(lo):
        return lambda x: mpmath.mpf(1) if lo <= x <= lo + 1 else mpmath.mpf(0)
    js_ne = js_quadrature(normal_pdf, exp_pdf, [-mpmath.inf, 0, 1, mpmath.inf])
    js_uu = js_quadrature(uniform_pdf(0), uniform_pdf(2), [-1, 0, 1, 2, 3, 4])
    doc.check(0 < js_ne < mpmath.log(2), f"JS(N(0,1), Exp(1)) = {fmt(js_ne, 10)} is finite and < log 2 (mpmath quadrature)")
    doc.check_close(js_uu, mpmath.log(2), mpmath.mpf(10) ** (-DPS + 5),
                    "JS(U(0,1), U(2,3)) (disjoint supports) = log 2 by quadrature")
doc.para(f"JS is finite for every pair: $\\mathrm{{JS}}(\\mathcal N(0,1), \\mathrm{{Exp}}(1)) = {fmt(js_ne, 10)}$ although",
         "one of the two KLs is infinite, and for the disjoint uniforms $\\mathcal U(0,1)$, $\\mathcal U(2,3)$ it",
         f"is exactly $\\log 2 \\approx {fmt(math.log(2), 10)}$ (mpmath quadrature, {DPS} digits) while both KLs",
         "are $+\\infty$. The midpoint $m$ has mass wherever $p$ or $q$ has, so neither KL to $m$ can blow up.",
         "That is why JS (and GAN-style objectives built on it) stays finite, and also why its gradient",
         "vanishes when the supports are disjoint: it is stuck at $\\log 2$.")

# -- 3. Gaussians -----------------------------------------------------------------------------
doc.section("3. JS between two Gaussians has no closed form")
doc.para("$\\mathrm{KL}(p\\,\\|\\,m) = \\mathbb{E}_p[\\log p] - \\mathbb{E}_p[\\log\\tfrac12(p + q)]$: the second term is the",
         "expectation of the log of a *sum* of two Gaussian densities, which has no elementary antiderivative",
         "(the same obstacle as the mixture in derivation 03), and the midpoint $m$ is not in any family",
         "klsym can derive with, so JS is computed with mpmath quadrature. A second route checks each value:",
         "$\\mathrm{JS}(p, q) = H(m) - \\tfrac12(H(p) + H(q))$, with $H(p)$, $H(q)$ klsym's closed-form",
         "Gaussian entropies and only $H(m)$ by quadrature.")
entropy_normal = klsym.entropy("normal")
mu_s, sigma_s = klsym.family("normal").params


def gaussian_js(m1, s1, m2, s2):
    """JS by the definition and by the entropy route, both with mpmath."""
    pdf_p = lambda x: mpmath.npdf(x, m1, s1)  # noqa: E731
    pdf_q = lambda x: mpmath.npdf(x, m2, s2)  # noqa: E731
    # split where either density changes fast, so tanh-sinh converges on each piece
    cuts = sorted({-mpmath.inf, mpmath.inf, *(c + k * sd for c, sd in ((m1, s1), (m2, s2)) for k in (-4, -1, 0, 1, 4))})
    direct = js_quadrature(pdf_p, pdf_q, cuts)
    h_mid = quad(lambda x: -(pdf_p(x) + pdf_q(x)) / 2 * mpmath.log((pdf_p(x) + pdf_q(x)) / 2), *cuts, dps=DPS)
    h_p, h_q = (sympy.N(entropy_normal.subs({mu_s: mm, sigma_s: ss}), DPS) for mm, ss in ((m1, s1), (m2, s2)))
    return direct, h_mid - (mpmath.mpf(h_p) + mpmath.mpf(h_q)) / 2


rows = []
with mpmath.workdps(DPS):
    tol = mpmath.mpf(10) ** (-DPS + 6)
    for m2, s2 in ((1, 1), (2, 1), (0, 2), (3, Rational(1, 2))):
        direct, via_entropy = gaussian_js(0, 1, mpmath.mpf(m2), mpmath.mpf(sympy.N(s2, DPS)))
        kl_f = klsym.kl(N01, klsym.Normal(mu=m2, sigma=s2))
        kl_r = klsym.kl(klsym.Normal(mu=m2, sigma=s2), N01)
        doc.check_close(direct, via_entropy, tol, f"JS(N(0,1), N({m2}, {s2}^2)): definition vs H(m) - (H(p)+H(q))/2")
        doc.check(0 < direct < mpmath.log(2), f"0 < JS(N(0,1), N({m2}, {s2}^2)) < log 2")
        rows.append((f"$\\mathcal N({m2}, ({tex(s2)})^2)$", fmt(kl_f, 8), fmt(kl_r, 8), fmt(direct, 10)))
    doc.table(["$q$ (with $p = \\mathcal N(0,1)$)", "KL$(p\\,\\|\\,q)$ (klsym)", "KL$(q\\,\\|\\,p)$ (klsym)", "JS$(p, q)$ (mpmath)"], rows)

    small = mpmath.mpf("0.001")
    js_small, _ = gaussian_js(0, 1, small, 1)
    ratio = js_small / (small**2 / 2)
    doc.check(abs(ratio - mpmath.mpf(1) / 4) < 1e-5,
              f"near p = q, JS / KL -> 1/4: at a mean shift of 0.001 the ratio is {fmt(ratio, 10)}")

    trio = [(0, 1), (1, 1), (mpmath.mpf("2.5"), mpmath.mpf("1.5"))]
    d = {(i, j): mpmath.sqrt(gaussian_js(*trio[i], *trio[j])[0]) for i, j in ((0, 1), (1, 2), (0, 2))}
    doc.check(d[0, 2] <= d[0, 1] + d[1, 2] and d[0, 1] <= d[0, 2] + d[1, 2] and d[1, 2] <= d[0, 1] + d[0, 2],
              "sqrt(JS) satisfies the triangle inequality on N(0,1), N(1,1), N(2.5, 1.5^2)")
doc.para("Near $p = q$ both are $f$-divergences with the same local shape: $\\mathrm{KL} \\approx \\tfrac12\\chi^2$",
         "and $\\mathrm{JS} \\approx \\tfrac18\\chi^2$, so $\\mathrm{JS} \\approx \\mathrm{KL}/4$ (for",
         f"$\\mathcal N(0,1)$ vs $\\mathcal N(0.001, 1)$ the ratio is {fmt(ratio, 8)}). $\\sqrt{{\\mathrm{{JS}}}}$ is a",
         "metric (Endres & Schindelin, 2003); the triangle inequality holds on the three Gaussians tried.")

shifts = np.linspace(0, 8, 17 if doc.fast else 41)
with mpmath.workdps(15):
    js_curve = [float(js_quadrature(lambda x: mpmath.npdf(x, 0, 1), lambda x, s_=s_: mpmath.npdf(x, s_, 1),
                                    [-mpmath.inf, 0, float(s_), mpmath.inf] if s_ > 0 else [-mpmath.inf, 0, mpmath.inf]))
                for s_ in shifts]
kl_normal = klsym.kl_function("normal", "normal")
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
fine = np.linspace(0, 8, 400)
left.plot(fine, kl_normal(0.0, 1.0, fine, 1.0), color="C0", label="KL$(\\mathcal{N}(0,1)\\,\\|\\,\\mathcal{N}(\\mu,1)) = \\mu^2/2$")
left.plot(shifts, js_curve, "o-", color="C3", ms=3, label="JS (mpmath quadrature)")
left.axhline(math.log(2), color="gray", ls="--", label="$\\log 2$")
left.set(xlabel="mean shift $\\mu$", ylabel="nats", ylim=(0, 4), title="Gaussians: KL grows without bound, JS saturates")
left.legend(fontsize=8)
probs = np.linspace(0.0005, 0.9995, 999)
kl_bern = klsym.kl_function("bernoulli", "bernoulli")
right.plot(probs, kl_bern(0.5, probs), color="C0", label="KL$(\\mathrm{Bern}(\\frac{1}{2})\\,\\|\\,\\mathrm{Bern}(b))$")
right.plot(probs, kl_bern(probs, 0.5), color="C0", ls="--", label="KL$(\\mathrm{Bern}(b)\\,\\|\\,\\mathrm{Bern}(\\frac{1}{2}))$")
right.plot(probs, js_num(0.5, probs), color="C3", label="JS$(\\mathrm{Bern}(\\frac{1}{2}), \\mathrm{Bern}(b))$")
right.plot(probs, js_num(probs * 0 + 0.999, probs), color="C3", ls=":", label="JS$(\\mathrm{Bern}(0.999), \\mathrm{Bern}(b))$")
right.axhline(math.log(2), color="gray", ls="--", label="$\\log 2$")
right.set(xlabel="$b$", ylabel="nats", ylim=(0, 2.5), title="Bernoulli: KL can blow up at the edges, JS cannot")
right.legend(fontsize=8, loc="upper center")
doc.figure(fig, "bounded", "Left: KL between unit-variance Gaussians grows like mu^2/2 while JS (computed by quadrature) "
                           "saturates at log 2. Right: the same for Bernoulli distributions as b approaches 0 or 1.")
doc.finish()
