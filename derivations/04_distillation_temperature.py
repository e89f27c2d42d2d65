"""Knowledge distillation with a temperature: the KL loss, its gradient, and T^2.

Hinton, Vinyals and Dean (2015) train a student on the teacher's softened
distribution p = softmax(v / T) with the loss KL(p || q), q = softmax(z / T),
and multiply it by T^2.  This script derives, for K = 3 classes with symbolic
logits:

* the loss, by substituting the softmaxes into klsym's categorical KL;
* its gradient with respect to the student logits, d KL / d z_i =
  (q_i - p_i) / T, by SymPy differentiation;
* the high-temperature expansion in 1/T: KL = (1/(2 K T^2)) sum_i (d_i -
  mean d)^2 + O(T^-3) with d = z - v, and the gradient ~ (d_i - mean d) /
  (K T^2): both shrink like 1/T^2, which the T^2 factor undoes, and in the
  limit distillation is matching centred logits.

Checked against an independent mpmath implementation of softmax and the KL
sum (30 digits; finite differences by ``mpmath.diff``), including K = 5 for
the general-K statements.

Run ``python derivations/04_distillation_temperature.py [--fast] [--out DIR]``;
writes ``04_distillation_temperature.md`` and ``04_distillation_temperature_scaling.png``.
"""

import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy

import klsym
from _common import Document, fmt, tex

doc = Document(__file__, "Knowledge distillation: temperature, gradient and the T² factor")
DPS = 20 if doc.fast else 30
K = 3

# -- 1. the loss ---------------------------------------------------------------------
categorical = klsym.family("categorical").of(K)
kl_symbolic = klsym.kl(categorical, categorical)
(*p_sym,), (*q_sym,) = categorical.symbols("p"), categorical.symbols("q")
T, eps = sympy.Symbol("T", positive=True), sympy.Symbol("epsilon", positive=True)
v = sympy.symbols(f"v1:{K + 1}", real=True)
z = sympy.symbols(f"z1:{K + 1}", real=True)


def softmax(logits, temperature):
    e = [sympy.exp(l / temperature) for l in logits]
    return [ei / sum(e) for ei in e]


P, Q = softmax(v, T), softmax(z, T)
loss = kl_symbolic.subs({**dict(zip(p_sym, P)), **dict(zip(q_sym, Q))})

doc.para("The teacher's logits $v$ and the student's logits $z$ are softened by a temperature $T$,",
         "$p_i = \\mathrm{softmax}(v/T)_i = e^{v_i/T}/\\sum_j e^{v_j/T}$ and $q_i = \\mathrm{softmax}(z/T)_i$,",
         "and the student minimises $\\mathrm{KL}(p\\,\\|\\,q)$. Since $H(p, q) = H(p) + \\mathrm{KL}(p\\,\\|\\,q)$",
         "(derivation 02) and $H(p)$ does not depend on the student, the soft-target cross-entropy used",
         "in practice has the same gradient.")
doc.section(f"1. The loss, K = {K}")
doc.para("klsym derives the categorical KL from the declared mass function",
         "(`klsym.kl` on `klsym.family(\"categorical\").of(3)`):")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", kl_symbolic)
doc.para("and substituting the two softmaxes gives the distillation loss as a function of the logits;",
         "written out, the first term is")
doc.math(tex(sympy.Add.make_args(loss)[0]) + r" + \dots")

# -- 2. the gradient ------------------------------------------------------------------
doc.section("2. The gradient with respect to the student logits")
gradient = [sympy.diff(loss, zi) for zi in z]
claimed = [(Q[i] - P[i]) / T for i in range(K)]
proved = [klsym.prove.equal(gradient[i], claimed[i]) for i in range(K)]
doc.para("SymPy differentiates the loss in each $z_i$; the derivative minus $(q_i - p_i)/T$ simplifies",
         "to zero:")
doc.math(r"\frac{\partial\,\mathrm{KL}(p\,\|\,q)}{\partial z_i} = \frac{q_i - p_i}{T}.")
doc.check(all(pr.holds is True for pr in proved),
          f"d KL / d z_i = (q_i - p_i) / T for i = 1..{K} (SymPy simplifies each difference to 0)")
doc.para("(The $\\log p_i$ terms do not depend on $z$; $-\\sum_j p_j \\log q_j$ differentiates to",
         "$-\\frac1T(p_i - q_i\\sum_j p_j)$ and $\\sum_j p_j = 1$.)")

# -- 3. high temperature ------------------------------------------------------------------
doc.section("3. The high-temperature limit and the T² factor")
doc.para("Write $\\varepsilon = 1/T$. At $\\varepsilon = 0$ both distributions are uniform and the loss and",
         "its first derivative in $\\varepsilon$ vanish; the Taylor coefficients come from SymPy by",
         "differentiating in $\\varepsilon$ and setting $\\varepsilon = 0$:")
loss_eps = loss.subs(T, 1 / eps)
taylor = [sympy.simplify(sympy.diff(loss_eps, eps, n).subs(eps, 0) / sympy.factorial(n)) for n in range(3)]
doc.math(r",\quad ".join(rf"[\varepsilon^{n}]\,\mathrm{{KL}} = {tex(sympy.factor(c))}" for n, c in enumerate(taylor)))
d = [zi - vi for zi, vi in zip(z, v)]
centred = [di - sum(d) / K for di in d]
limit_claim = sum(c**2 for c in centred) / (2 * K)
doc.check(taylor[0] == 0 and taylor[1] == 0, "KL and dKL/d(1/T) vanish at 1/T = 0")
doc.check(klsym.prove.equal(taylor[2], limit_claim).holds is True,
          "the 1/T^2 coefficient equals (1/(2K)) sum_i (d_i - mean d)^2 with d = z - v")
doc.para("so, with $d = z - v$ and $\\bar d$ its mean,")
doc.math(r"\mathrm{KL}(p_T\,\|\,q_T) = \frac{1}{2K\,T^2}\sum_{i=1}^K (d_i - \bar d)^2 + O(T^{-3}),"
         r"\qquad T^2\,\mathrm{KL} \xrightarrow[T\to\infty]{} \frac{1}{2K}\sum_i (d_i - \bar d)^2.")
grad_eps = [((Q[i] - P[i]) / T).subs(T, 1 / eps) for i in range(K)]
grad_taylor = [[sympy.simplify(sympy.diff(g, eps, n).subs(eps, 0) / sympy.factorial(n)) for n in range(3)]
               for g in grad_eps]
doc.check(all(gt[0] == 0 and gt[1] == 0 for gt in grad_taylor)
          and all(klsym.prove.equal(gt[2], c / K).holds is True for gt, c in zip(grad_taylor, centred)),
          "the gradient is (d_i - mean d) / (K T^2) + O(T^-3)")
doc.para("The gradient expands the same way:")
doc.math(r"\frac{\partial\,\mathrm{KL}}{\partial z_i} = \frac{(z_i - v_i) - \overline{(z - v)}}{K\,T^2} + O(T^{-3}).")
doc.para("Both the loss and its gradient shrink like $1/T^2$. In the usual objective",
         "$\\alpha\\,T^2\\,\\mathrm{KL}(p_T\\,\\|\\,q_T) + (1-\\alpha)\\,H(y, q_1)$ the factor $T^2$ keeps the",
         "soft-target gradient on the same scale as the hard-label one whatever the temperature, so",
         "changing $T$ does not silently reweight the two terms. And in the limit the soft-target term",
         "is $\\frac{1}{2K}\\|(z - v) - \\overline{(z-v)}\\|^2$: distillation at high temperature is",
         "matching the teacher's logits up to a common shift (a shift of all logits does not change a",
         "softmax), as Hinton et al. observe.")

# -- 4. independent numerical checks -----------------------------------------------------------
doc.section("4. Numerical checks")
teacher, student = [4.0, 1.0, -2.0], [2.0, 2.5, -1.0]


def mp_softmax(logits, temperature):
    e = [mpmath.exp(mpmath.mpf(l) / temperature) for l in logits]
    total = mpmath.fsum(e)
    return [ei / total for ei in e]


def mp_kl(teacher_logits, student_logits, temperature):
    """KL(softmax(v/T) || softmax(z/T)) as the defining sum, in mpmath."""
    p, q = mp_softmax(teacher_logits, temperature), mp_softmax(student_logits, temperature)
    return mpmath.fsum(pi * mpmath.log(pi / qi) for pi, qi in zip(p, q))


point = {**dict(zip(v, map(sympy.nsimplify, teacher))), **dict(zip(z, map(sympy.nsimplify, student)))}
with mpmath.workdps(DPS):
    tol = mpmath.mpf(10) ** (-DPS + 6)
    for temperature in (1, 4, 20):
        doc.check_close(sympy.N(loss.subs(point).subs(T, temperature), DPS), mp_kl(teacher, student, temperature), tol,
                        f"loss at T = {temperature}: derived expression vs mpmath sum")
        for i in range(K):
            numeric = mpmath.diff(lambda zi: mp_kl(teacher, student[:i] + [zi] + student[i + 1:], temperature),
                                  student[i])
            doc.check_close(sympy.N(claimed[i].subs(point).subs(T, temperature), DPS), numeric, tol,
                            f"d KL / d z_{i + 1} at T = {temperature}: (q_i - p_i)/T vs mpmath finite difference")

    # general K: K = 5, the gradient formula and the T^2 limit, in mpmath alone
    v5, z5 = [3.0, -1.0, 0.5, 2.0, -2.5], [1.0, 0.0, 1.5, -0.5, 0.25]
    p5, q5 = mp_softmax(v5, 3), mp_softmax(z5, 3)
    worst = max(abs(mpmath.diff(lambda zi: mp_kl(v5, z5[:i] + [zi] + z5[i + 1:], 3), z5[i]) - (q5[i] - p5[i]) / 3)
                for i in range(5))
    doc.check(worst < tol, f"K = 5, T = 3: gradient (q_i - p_i)/T vs mpmath finite differences (max gap {fmt(worst, 2)})")
    d5 = [a - b for a, b in zip(z5, v5)]
    limit5 = mpmath.fsum((mpmath.mpf(di) - mpmath.fsum(d5) / 5) ** 2 for di in d5) / 10
    gaps = [abs(temperature**2 * mp_kl(v5, z5, temperature) - limit5) for temperature in (100, 1000, 10000)]
    doc.check(all(4 < gaps[j] / gaps[j + 1] < 25 for j in range(2)),
              f"K = 5: |T^2 KL - limit| falls about tenfold per decade of T (O(1/T)): "
              f"{', '.join(fmt(g, 3) for g in gaps)} at T = 100, 1000, 10000")

    limit3 = sympy.N(limit_claim.subs(point), DPS)
    temps = np.geomspace(1, 1000, 61)
    kl_curve = [float(mp_kl(teacher, student, t)) for t in temps]
    grad_curve = [float(mpmath.sqrt(mpmath.fsum(((qi - pi) / t) ** 2 for pi, qi in
                                                zip(mp_softmax(teacher, t), mp_softmax(student, t))))) for t in temps]
    grad_limit = float(mpmath.sqrt(mpmath.fsum((sympy.N(c.subs(point), DPS) / K) ** 2 for c in centred)))
doc.para(f"For teacher logits $v = {tuple(teacher)}$ and student logits $z = {tuple(student)}$ the derived",
         "loss and gradient agree with an independent mpmath softmax and KL sum (finite differences by",
         f"`mpmath.diff`) at $T = 1, 4, 20$ to {DPS - 6} digits; for $K = 5$ the general-$K$ gradient and",
         "the $T^2$ limit are checked the same way. The figure shows the softened distributions, and",
         f"the loss and gradient norm with and without the $T^2$ factor: $T^2\\,\\mathrm{{KL}} \\to {fmt(limit3, 6)}$.")

fig, axes = plt.subplots(1, 3, figsize=(15, 4))
width = 0.25
for j, temperature in enumerate((1, 4, 20)):
    axes[0].bar(np.arange(K) + (j - 1) * width, [float(x) for x in mp_softmax(teacher, temperature)], width,
                label=f"teacher, T = {temperature}")
axes[0].axhline(1 / K, color="gray", ls=":", label="uniform")
axes[0].set(xticks=range(K), xticklabels=[f"class {i + 1}\n$v$={teacher[i]:g}" for i in range(K)],
            ylabel="probability", title="Softened teacher distribution softmax(v/T)")
axes[0].legend(fontsize=8)
axes[1].loglog(temps, kl_curve, color="C0", label="KL$(p_T\\,\\|\\,q_T)$")
axes[1].loglog(temps, [t**2 * k for t, k in zip(temps, kl_curve)], color="C3", label="$T^2\\,$KL")
axes[1].axhline(float(limit3), color="C3", ls=":", label="limit $\\frac{1}{2K}\\|d - \\bar d\\|^2$")
axes[1].set(xlabel="temperature $T$", ylabel="nats", title="The loss shrinks like $1/T^2$")
axes[1].legend(fontsize=8)
axes[2].loglog(temps, grad_curve, color="C0", label="$\\|\\nabla_z$KL$\\|$")
axes[2].loglog(temps, [t**2 * g for t, g in zip(temps, grad_curve)], color="C3", label="$T^2\\,\\|\\nabla_z$KL$\\|$")
axes[2].axhline(grad_limit, color="C3", ls=":", label="limit $\\|d - \\bar d\\|/K$")
axes[2].set(xlabel="temperature $T$", ylabel="gradient norm", title="So does the gradient; $T^2$ undoes it")
axes[2].legend(fontsize=8)
doc.figure(fig, "scaling", "Left: the teacher's distribution flattens as T grows. Middle and right: the loss and the "
                           "gradient with respect to the student logits fall like 1/T^2; multiplied by T^2 they "
                           "tend to the logit-matching limit.")
doc.finish()
