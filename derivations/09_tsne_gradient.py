"""The t-SNE gradient, derived from KL(P || Q) over pairwise similarities.

t-SNE (van der Maaten and Hinton, 2008) places points y_i so that the
Student-t similarities q_ij = (1 + |y_i - y_j|^2)^-1 / sum_{k != l}
(1 + |y_k - y_l|^2)^-1 match given similarities p_ij (symmetric, summing to
one) in the sense of KL(P || Q) = sum_{i != j} p_ij log(p_ij / q_ij).  The
script builds this cost from klsym's categorical KL over the n(n - 1)
ordered pairs, differentiates it with SymPy and shows that the derivative is

    dC/dy_i = 4 sum_j (p_ij - q_ij) (y_i - y_j) (1 + |y_i - y_j|^2)^-1,

symbolically for n = 3 points on a line, exactly at random rational points
for n = 4 points in the plane, and numerically against central finite
differences for n = 12 points in the plane (double precision).  It then runs
a small t-SNE with that gradient.

Run ``python derivations/09_tsne_gradient.py [--fast] [--out DIR]``; writes
``09_tsne_gradient.md`` and ``09_tsne_gradient_embedding.png``.
"""

import random

import matplotlib.pyplot as plt
import numpy as np
import sympy
from sympy import Rational

import klsym
from _common import SEED, Document, fmt

doc = Document(__file__, "The t-SNE gradient from KL(P ‖ Q)")


def tsne_cost(points, dim):
    """The t-SNE cost for symbolic positions, from klsym's categorical KL.

    Returns (cost, y, p, q, kernel): ``y[i]`` the coordinates of point i,
    ``p[i, j]`` symmetric positive symbols with sum 1 imposed by solving for
    the last one, ``q`` and ``kernel`` the Student-t similarities.
    """
    y = [sympy.symbols(f"y{i + 1}_1:{dim + 1}", real=True) if dim > 1 else (sympy.Symbol(f"y{i + 1}", real=True),)
         for i in range(points)]
    pairs = [(i, j) for i in range(points) for j in range(points) if i != j]
    unordered = {(i, j): sympy.Symbol(f"p{i + 1}{j + 1}", positive=True) for i, j in pairs if i < j}
    last = max(unordered)
    # sum over ordered pairs is 2 * sum over unordered ones = 1
    unordered[last] = Rational(1, 2) - sum(v for k, v in unordered.items() if k != last)
    p = {(i, j): unordered[min(i, j), max(i, j)] for i, j in pairs}
    kernel = {(i, j): 1 / (1 + sum((a - b) ** 2 for a, b in zip(y[i], y[j]))) for i, j in pairs}
    normaliser = sum(kernel.values())
    q = {k: kernel[k] / normaliser for k in pairs}
    categorical = klsym.family("categorical").of(len(pairs))
    kl = klsym.kl(categorical, categorical)
    p_sym, q_sym = categorical.symbols("p"), categorical.symbols("q")
    cost = kl.xreplace({**{p_sym[k]: p[pair] for k, pair in enumerate(pairs)},
                        **{q_sym[k]: q[pair] for k, pair in enumerate(pairs)}})
    return cost, y, p, q, kernel


def claimed_gradient(i, y, p, q, kernel, axis):
    """4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1, one coordinate."""
    return 4 * sum((p[i, j] - q[i, j]) * (y[i][axis] - y[j][axis]) * kernel[i, j] for j in range(len(y)) if j != i)


# -- 1. the cost ----------------------------------------------------------------------------
doc.section("1. The cost is a KL between two categorical distributions over pairs")
doc.para("$P = (p_{ij})_{i\\ne j}$ and $Q = (q_{ij})_{i\\ne j}$ are distributions over the $n(n-1)$ ordered pairs,",
         "so $C = \\mathrm{KL}(P\\,\\|\\,Q)$ is klsym's categorical KL with $K = n(n-1)$; substituting the",
         "Student-t similarities")
doc.math(r"q_{ij} = \frac{(1 + \|y_i - y_j\|^2)^{-1}}{\sum_{k\ne l}(1 + \|y_k - y_l\|^2)^{-1}}")
doc.para("gives the cost as a function of the positions. For $n = 3$ points on a line ($K = 6$), with",
         "$p_{ij} = p_{ji}$ and $\\sum_{i\\ne j}p_{ij} = 1$ imposed by $p_{23} = \\tfrac12 - p_{12} - p_{13}$:")
cost3, y3, p3, q3, k3 = tsne_cost(3, 1)
doc.equation("C", sympy.Add.make_args(cost3)[0], r" + \dots \quad(6\ \text{terms})")

# -- 2. symbolic derivative ------------------------------------------------------------------
doc.section("2. The gradient, symbolically (n = 3, one dimension)")
for i in range(3):
    derived = sympy.diff(cost3, y3[i][0])
    claim = claimed_gradient(i, y3, p3, q3, k3, 0)
    doc.check(klsym.prove.equal(derived, claim).holds is True,
              f"n = 3, 1-D: dC/dy{i + 1} (SymPy) minus 4 sum_j (p_ij - q_ij)(y_i - y_j)/(1 + (y_i - y_j)^2) "
              f"simplifies to 0 (i = {i + 1})")
doc.para("SymPy differentiates the cost in each $y_i$, and the difference from the textbook gradient",
         "simplifies to zero for every $i$:")
doc.math(r"\frac{\partial C}{\partial y_i} = 4\sum_{j\ne i}(p_{ij} - q_{ij})\,(y_i - y_j)\,\big(1 + \|y_i - y_j\|^2\big)^{-1}.")
doc.para("Why: $\\log q_{kl} = -\\log(1 + d_{kl}^2) - \\log Z$ with $Z = \\sum_{k\\ne l}(1 + d_{kl}^2)^{-1}$, and",
         "$C = \\text{const} - \\sum p_{kl}\\log q_{kl}$. Differentiating, the $\\log(1 + d^2)$ terms give",
         "$2\\sum_j p_{ij}\\,\\partial_{y_i} d_{ij}^2/(1 + d_{ij}^2)$ (each unordered pair appears twice) and the",
         "$\\log Z$ term, because $\\sum p_{kl} = 1$, gives $-2\\sum_j q_{ij}\\,\\partial_{y_i}d_{ij}^2/(1 + d_{ij}^2)$;",
         "with $\\partial_{y_i} d_{ij}^2 = 2(y_i - y_j)$ that is the formula. The normalisation",
         "$\\sum p = 1$ is needed: without it the second sum carries a factor $\\sum p_{kl}$.")
# without the constraint the formula is wrong: evidence that the check can fail
free = sympy.Symbol("p23", positive=True)
unconstrained = cost3.xreplace({p3[1, 2]: free})
probe = {sympy.Symbol("p12", positive=True): Rational(1, 5), sympy.Symbol("p13", positive=True): Rational(1, 10),
         free: Rational(1, 3), y3[0][0]: 0, y3[1][0]: 1, y3[2][0]: 3}
mismatch = (sympy.diff(unconstrained, y3[0][0])
            - claimed_gradient(0, y3, {**p3, (1, 2): free, (2, 1): free}, q3, k3, 0)).xreplace(probe)
doc.check(mismatch != 0, f"without sum p = 1 (p23 = 1/3 with p12 = 1/5, p13 = 1/10) the same formula is wrong: "
                         f"the derivative and the formula differ by {mismatch} at y = (0, 1, 3)")

# -- 3. exact check in two dimensions ---------------------------------------------------------
doc.section("3. Four points in the plane, exactly at random rational points")
cost4, y4, p4, q4, k4 = tsne_cost(4, 2)
rng_exact = random.Random(SEED)
symbols4 = sorted(cost4.free_symbols, key=lambda s_: s_.name)
trials = 2 if doc.fast else 5
for trial in range(trials):
    point = {}
    for sym in symbols4:
        if sym.name.startswith("p"):
            point[sym] = Rational(rng_exact.randint(1, 9), 100)  # five free p's, the sixth is 1/2 - their sum > 0
        else:
            point[sym] = Rational(rng_exact.randint(-20, 20), 7)
    exact = all(sympy.diff(cost4, y4[i][a]).xreplace(point) - claimed_gradient(i, y4, p4, q4, k4, a).xreplace(point) == 0
                for i in range(4) for a in range(2))
    doc.check(exact, f"n = 4, 2-D, random rational point {trial + 1}: all 8 partial derivatives equal the formula exactly")
doc.para("For $n = 4$ in two dimensions ($K = 12$ pairs, 8 coordinates) full simplification is slow, so both",
         f"sides are evaluated exactly, in rational arithmetic, at {trials} random rational points (positions",
         "$k/7$, similarities $k/100$ with the last one fixed by $\\sum p = 1$): all partial derivatives agree.")

# -- 4. numerical check and a small t-SNE -------------------------------------------------------------------
doc.section("4. Numerically, and a small t-SNE run with this gradient")


def similarities(data, bandwidth):
    """Symmetrised Gaussian affinities p_ij (one bandwidth for all points)."""
    sq = np.sum((data[:, None, :] - data[None, :, :]) ** 2, axis=-1)
    cond = np.exp(-sq / (2 * bandwidth**2))
    np.fill_diagonal(cond, 0.0)
    cond /= cond.sum(axis=1, keepdims=True)
    return (cond + cond.T) / (2 * len(data))


def cost_and_gradient(y, p):
    """KL(P || Q) and 4 sum_j (p_ij - q_ij)(y_i - y_j)(1 + |y_i - y_j|^2)^-1 in numpy."""
    diff = y[:, None, :] - y[None, :, :]
    kernel = 1.0 / (1.0 + np.sum(diff**2, axis=-1))
    np.fill_diagonal(kernel, 0.0)
    q = kernel / kernel.sum()
    mask = p > 0
    cost = float(np.sum(p[mask] * np.log(p[mask] / q[mask])))
    grad = 4.0 * np.einsum("ij,ijk->ik", (p - q) * kernel, diff)
    return cost, grad


rng = np.random.default_rng(SEED)
data_small = rng.normal(size=(12, 5))
p_small = similarities(data_small, 2.0)
y_small = rng.normal(size=(12, 2))
_, analytic = cost_and_gradient(y_small, p_small)
step = 1e-6
numeric = np.zeros_like(y_small)
for idx in np.ndindex(*y_small.shape):
    plus, minus = y_small.copy(), y_small.copy()
    plus[idx] += step
    minus[idx] -= step
    numeric[idx] = (cost_and_gradient(plus, p_small)[0] - cost_and_gradient(minus, p_small)[0]) / (2 * step)
gap = float(np.max(np.abs(analytic - numeric)) / np.max(np.abs(analytic)))
doc.check(gap < 1e-7, f"n = 12, 2-D: gradient formula vs central finite differences of the cost (h = 1e-6): "
                      f"max relative gap {fmt(gap, 2)} < 1e-7")
doc.para("For $n = 12$ points in the plane with similarities from random 5-D data, the formula (in NumPy)",
         f"agrees with central finite differences of the cost to {fmt(gap, 2)} (relative to the largest",
         "component; double precision, step $10^{-6}$, so agreement to about $10^{-9}$ is the most one can expect).")

centres = rng.normal(scale=6.0, size=(3, 10))
per_cluster = 15 if doc.fast else 40
labels = np.repeat(np.arange(3), per_cluster)
data = centres[labels] + rng.normal(size=(len(labels), 10))
p_data = similarities(data, 3.0)
y = rng.normal(scale=1e-2, size=(len(labels), 2))
velocity = np.zeros_like(y)
iterations = 300 if doc.fast else 1000
history = []
for it in range(iterations):
    exaggeration = 4.0 if it < 100 else 1.0  # early exaggeration, as in the t-SNE paper
    c, g = cost_and_gradient(y, exaggeration * p_data)
    history.append(cost_and_gradient(y, p_data)[0])
    velocity = (0.5 if it < 100 else 0.8) * velocity - 10.0 * g
    y = y + velocity
final_cost = cost_and_gradient(y, p_data)[0]
nearest = np.argsort(np.sum((y[:, None] - y[None]) ** 2, axis=-1), axis=1)[:, 1]
accuracy = float(np.mean(labels[nearest] == labels))
doc.check(final_cost < 0.5 * history[0], f"gradient descent with the derived gradient lowers KL(P || Q) from "
                                         f"{fmt(history[0], 4)} to {fmt(final_cost, 4)}")
doc.check(accuracy == 1.0, f"in the embedding every point's nearest neighbour is in its own cluster ({accuracy:.0%})")
doc.para(f"Finally a small t-SNE: {len(labels)} points in three Gaussian clusters in 10 dimensions, similarities",
         f"with one fixed bandwidth (no perplexity search), {iterations} steps of gradient descent with momentum",
         "and early exaggeration using the gradient above. The KL falls from",
         f"{fmt(history[0], 4)} to {fmt(final_cost, 4)} nats and the clusters separate (every point's nearest",
         "neighbour in the embedding is in its own cluster).")

fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
for k, marker in zip(range(3), ("o", "s", "^")):
    left.scatter(y[labels == k, 0], y[labels == k, 1], marker=marker, s=22, label=f"cluster {k + 1}")
left.set(xlabel="$y_1$", ylabel="$y_2$", title="t-SNE embedding with the derived gradient", aspect="equal")
left.legend(fontsize=8)
right.plot(np.arange(iterations), history, color="C0")
right.axvline(100, color="gray", ls=":", label="end of early exaggeration")
right.set(xlabel="iteration", ylabel="KL$(P\\,\\|\\,Q)$ (nats)", yscale="log", title="The cost during optimisation")
right.legend(fontsize=8)
doc.figure(fig, "embedding", "Left: the 2-D embedding of three 10-D Gaussian clusters. Right: KL(P || Q) along the "
                             "optimisation (the first 100 steps optimise the exaggerated 4P with lower momentum; the "
                             "curve shows the cost for P throughout).")
doc.finish()
