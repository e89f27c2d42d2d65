"""KL as the expected number of extra bits (or nats) per symbol.

A source emits symbols with distribution p.  A code designed for q gives
symbol i a codeword of about -log2 q_i bits, so its expected length under p
is the cross-entropy H(p, q) = H(p) + KL(p || q): the KL is what the wrong
model costs per symbol.  The script checks this on a small categorical
source three ways: with ideal code lengths (exact arithmetic against klsym's
entropy, cross-entropy and KL in bits), with real prefix codes (Huffman codes
built for p and for q, which for these dyadic distributions are exactly
ideal, used to encode and decode a simulated message), and with Shannon
codes for a non-dyadic model (H(p, q) <= length < H(p, q) + 1).  It also
derives the KL of two categoricals for a symbolic number of categories and
the conversion between nats and bits.

Run ``python derivations/07_coding_interpretation.py [--fast] [--out DIR]``;
writes ``07_coding_interpretation.md`` and ``07_coding_interpretation_code_lengths.png``.
"""

import heapq
import math
from fractions import Fraction

import matplotlib.pyplot as plt
import numpy as np
import sympy
from sympy import Rational, log

import klsym
from _common import SEED, Document, fmt, tex

doc = Document(__file__, "KL as extra bits per symbol: the coding interpretation")
LENGTH = 20_000 if doc.fast else 1_000_000
Z_LIMIT = 5

SYMBOLS = ["a", "b", "c", "d"]
p = [Rational(1, 2), Rational(1, 4), Rational(1, 8), Rational(1, 8)]
q = [Rational(1, 4)] * 4
P, Q = klsym.Categorical(p=p), klsym.Categorical(p=q)

# -- 1. symbolic -----------------------------------------------------------------------
doc.section("1. The identity")
general = klsym.kl("categorical", "categorical")
doc.para("For categorical distributions on $K$ symbols klsym derives, for a symbolic $K$,")
doc.equation(r"\mathrm{KL}(p\,\|\,q)", general)
doc.para("i.e. $\\sum_i p_i\\log(p_i/q_i) = \\sum_i p_i(-\\log q_i) - \\sum_i p_i(-\\log p_i)$. Read",
         "$-\\log_2 q_i$ as the length in bits of the codeword a code built for $q$ gives symbol $i$: the",
         "first sum is the expected length of that code on data from $p$, $H(p, q)$; the second is the",
         "best achievable, $H(p)$ (Shannon's source coding theorem). So",
         "$\\mathrm{KL}(p\\,\\|\\,q) = H(p, q) - H(p)$ is the expected number of **extra** bits per symbol paid",
         "for coding with the wrong model. klsym proves the decomposition for $K = 4$:")
doc.proof(klsym.prove.cross_entropy_decomposition(klsym.family("categorical").of(4), klsym.family("categorical").of(4)),
          "H(p, q) = H(p) + KL(p || q) for categoricals with K = 4")

# -- 2. ideal code lengths ---------------------------------------------------------------
doc.section("2. A small source, ideal code lengths")
kl_bits = sympy.nsimplify(klsym.kl(P, Q, base=2))
h_bits = sympy.nsimplify(sympy.simplify(klsym.entropy(P, base=2)))
ce_bits = sympy.nsimplify(sympy.simplify(klsym.cross_entropy(P, Q, base=2)))
ideal_p = [-sympy.log(pi, 2) for pi in p]
ideal_q = [-sympy.log(qi, 2) for qi in q]
expected_p = sum(pi * li for pi, li in zip(p, ideal_p))
expected_q = sum(pi * li for pi, li in zip(p, ideal_q))
doc.para("Source $p = (1/2, 1/4, 1/8, 1/8)$ on the symbols a, b, c, d; model $q$ uniform. The ideal",
         "code lengths $-\\log_2$ of the probabilities are whole numbers here:")
doc.table(["symbol", "$p_i$", "$q_i$", "$-\\log_2 p_i$ (bits)", "$-\\log_2 q_i$ (bits)"],
          [(sym, f"${tex(pi)}$", f"${tex(qi)}$", tex(sympy.simplify(lp)), tex(sympy.simplify(lq)))
           for sym, pi, qi, lp, lq in zip(SYMBOLS, p, q, ideal_p, ideal_q)])
doc.para(f"Expected lengths under $p$: ${tex(sympy.simplify(expected_p))}$ bits with $p$'s code and",
         f"${tex(sympy.simplify(expected_q))}$ bits with $q$'s. klsym, in base 2: $H(p) = {tex(h_bits)}$,",
         f"$H(p, q) = {tex(ce_bits)}$, $\\mathrm{{KL}}(p\\,\\|\\,q) = {tex(kl_bits)}$ bit per symbol.")
doc.check(sympy.simplify(expected_p - h_bits) == 0, "sum_i p_i (-log2 p_i) = klsym.entropy(p, base=2) = 7/4 bits")
doc.check(sympy.simplify(expected_q - ce_bits) == 0, "sum_i p_i (-log2 q_i) = klsym.cross_entropy(p, q, base=2) = 2 bits")
doc.check(sympy.simplify(expected_q - expected_p - kl_bits) == 0, "extra expected length = klsym.kl(p, q, base=2) = 1/4 bit")

doc.section("Nats and bits", level=3)
kl_nats = klsym.kl(P, Q)
doc.para(f"In nats (natural log, klsym's default) the same divergence is $\\mathrm{{KL}} = {tex(kl_nats)}$ nats",
         f"$\\approx {fmt(kl_nats, 6)}$. Changing the base of the logarithm divides by $\\ln 2$:",
         "$\\mathrm{KL}_{\\text{bits}} = \\mathrm{KL}_{\\text{nats}}/\\ln 2$, so one nat is",
         f"$1/\\ln 2 \\approx {fmt(1 / math.log(2), 6)}$ bits. A nat is the information of an event of",
         "probability $1/e$; bits count binary digits of a real code.")
doc.check(klsym.prove.equal(klsym.kl(P, Q, base=2) * log(2), kl_nats).holds is True,
          "klsym.kl(..., base=2) * ln 2 = klsym.kl(...) in nats")
general_bits = klsym.kl(klsym.family("categorical").of(3), klsym.family("categorical").of(3), base=2)
doc.check(klsym.prove.equal(general_bits * log(2), klsym.kl(klsym.family("categorical").of(3),
                                                            klsym.family("categorical").of(3))).holds is True,
          "symbolic K = 3: KL in bits times ln 2 = KL in nats")

# -- 3. real prefix codes -------------------------------------------------------------------
doc.section("3. Real codes: Huffman codes for p and for q")


def huffman(probabilities):
    """A binary Huffman code {symbol index: codeword}; ties broken by insertion order."""
    heap = [(Fraction(str(pr)), i, {i: ""}) for i, pr in enumerate(probabilities)]
    heapq.heapify(heap)
    counter = len(heap)
    while len(heap) > 1:
        w0, _, c0 = heapq.heappop(heap)
        w1, _, c1 = heapq.heappop(heap)
        merged = {k: "0" + v for k, v in c0.items()} | {k: "1" + v for k, v in c1.items()}
        heapq.heappush(heap, (w0 + w1, counter, merged))
        counter += 1
    return heap[0][2]


def decode(bits, code):
    table = {v: k for k, v in code.items()}
    out, word = [], ""
    for bit in bits:
        word += bit
        if word in table:
            out.append(table[word])
            word = ""
    return out, word


codes = {"p": huffman(p), "q": huffman(q)}
for name, code in codes.items():
    words = list(code.values())
    prefix_free = not any(a != b and b.startswith(a) for a in words for b in words)
    kraft = sum(Fraction(1, 2 ** len(w)) for w in words)
    doc.check(prefix_free and kraft == 1, f"Huffman code for {name} is prefix-free with Kraft sum {kraft}")
doc.check(all(len(codes["p"][i]) == ideal_p[i] and len(codes["q"][i]) == ideal_q[i] for i in range(4)),
          "for these dyadic distributions the Huffman code lengths equal the ideal lengths -log2")
doc.table(["symbol", "code for $p$", "code for $q$"],
          [(sym, f"`{codes['p'][i]}`", f"`{codes['q'][i]}`") for i, sym in enumerate(SYMBOLS)])

rng = np.random.default_rng(SEED)
message = rng.choice(4, size=LENGTH, p=[float(v) for v in p])
lengths = {name: np.array([len(code[i]) for i in range(4)])[message] for name, code in codes.items()}
for name, code, expected in (("p", codes["p"], float(h_bits)), ("q", codes["q"], float(ce_bits))):
    bits = "".join(code[i] for i in message[:2000])
    decoded, leftover = decode(bits, code)
    doc.check(decoded == list(message[:2000]) and leftover == "", f"the first 2000 symbols round-trip through the code for {name}")
    sd = math.sqrt(sum(float(pi) * (len(code[i]) - expected) ** 2 for i, pi in enumerate(p)))
    observed = lengths[name].mean()
    z = (observed - expected) / (sd / math.sqrt(LENGTH)) if sd > 0 else (0.0 if observed == expected else math.inf)
    doc.check(abs(z) < Z_LIMIT, f"bits per symbol with the code for {name} over {LENGTH:,} symbols: {fmt(observed, 6)} vs "
                                f"{fmt(expected, 6)} ({z:+.2f} SE; the standard error uses the exact s.d. of the length under p)")
extra = lengths["q"].mean() - lengths["p"].mean()
doc.para(f"A message of {LENGTH:,} symbols drawn from $p$ (numpy `default_rng({SEED})`) costs",
         f"{fmt(lengths['p'].mean(), 6)} bits per symbol with the code built for $p$ and",
         f"{fmt(lengths['q'].mean(), 6)} with the code built for $q$: {fmt(extra, 4)} extra bits per symbol,",
         f"against $\\mathrm{{KL}} = {tex(kl_bits)}$. (Under $p$ the code for $q$ has constant length 2, so its",
         f"average is exactly 2; the code for $p$ averages $7/4$ within {Z_LIMIT} standard errors.)")

# -- 4. non-dyadic model: Shannon codes ----------------------------------------------------------
doc.section("4. A model that is not dyadic: Shannon codes")
q2 = [Rational(2, 5), Rational(3, 10), Rational(1, 5), Rational(1, 10)]
shannon = [sympy.ceiling(-sympy.log(qi, 2)) for qi in q2]
length_q2 = sum(pi * li for pi, li in zip(p, shannon))
ce2 = sympy.simplify(klsym.cross_entropy(P, klsym.Categorical(p=q2), base=2))
kl2 = klsym.kl(P, klsym.Categorical(p=q2), base=2)
doc.para("Ideal lengths are rarely integers. A Shannon code for $q' = (2/5, 3/10, 1/5, 1/10)$ uses",
         f"$\\lceil -\\log_2 q'_i\\rceil = {tuple(int(v) for v in shannon)}$ bits; its Kraft sum",
         f"${tex(sum(Rational(1, 2**int(v)) for v in shannon))} \\le 1$, so a prefix code with these lengths",
         f"exists. Its expected length under $p$ is ${tex(length_q2)} = {fmt(length_q2, 6)}$ bits, and",
         f"$H(p, q') = {fmt(ce2, 6)}$, $\\mathrm{{KL}}(p\\,\\|\\,q') = {fmt(kl2, 6)}$ bits:")
doc.math(r"H(p) + \mathrm{KL}(p\,\|\,q') = H(p, q') \le \mathbb{E}_p[\ell] < H(p, q') + 1.")
doc.check(sum(Rational(1, 2**int(v)) for v in shannon) <= 1, "Kraft inequality for the Shannon code lengths of q'")
doc.check(sympy.N(ce2, 30) <= sympy.N(length_q2, 30) < sympy.N(ce2 + 1, 30),
          "H(p, q') <= expected Shannon code length < H(p, q') + 1")
doc.para("Rounding up costs less than one bit per symbol; coding blocks of $n$ symbols shrinks that to $1/n$,",
         "so the KL is exactly the price of the wrong model in the limit.")

fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
x_pos = np.arange(4)
left.bar(x_pos - 0.2, [len(codes["p"][i]) for i in range(4)], 0.4, color="C0", label="code for $p$")
left.bar(x_pos + 0.2, [len(codes["q"][i]) for i in range(4)], 0.4, color="C1", label="code for $q$ (uniform)")
for i, pi in enumerate(p):
    left.text(i, 3.15, f"$p$ = {pi}", ha="center", fontsize=9)
left.set(xticks=x_pos, xticklabels=SYMBOLS, ylabel="codeword length (bits)", ylim=(0, 4.3),
         title="Short words for frequent symbols pay off under $p$")
left.legend(fontsize=8, loc="upper left", ncol=2)
n = np.arange(1, LENGTH + 1)
shown = np.unique(np.geomspace(1, LENGTH, 400).astype(int)) - 1
for name, color, level, label in (("p", "C0", float(h_bits), f"$H(p)$ = {h_bits}"),
                                  ("q", "C1", float(ce_bits), f"$H(p, q)$ = {ce_bits}")):
    running = np.cumsum(lengths[name]) / n
    right.plot(n[shown], running[shown], color=color, label=f"running bits/symbol, code for ${name}$")
    right.axhline(level, color=color, ls=":", label=label)
right.annotate("", xy=(LENGTH * 0.7, float(ce_bits)), xytext=(LENGTH * 0.7, float(h_bits)),
               arrowprops={"arrowstyle": "<->", "color": "black"})
right.text(LENGTH * 0.75, float(h_bits + ce_bits) / 2, f"KL = {kl_bits} bit", fontsize=9, ha="right")
right.set(xscale="log", xlabel="message length (symbols)", ylabel="bits per symbol", ylim=(1.2, 2.5),
          title="Coding data from $p$")
right.legend(fontsize=8, loc="upper right")
doc.figure(fig, "code_lengths", "Left: Huffman codeword lengths for the source p and for the uniform model q. Right: "
                                "average bits per symbol over a simulated message; the gap is KL(p || q).")
doc.finish()
