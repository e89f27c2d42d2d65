"""Benchmark: klsym's generated NumPy KL functions against a hand-written
textbook NumPy/SciPy formula and torch.distributions.kl_divergence (CPU);
klsym's generated PyTorch functions (differentiable) alongside.

For each family: time per element on 10^6-element float64 arrays of
ordinary parameters (best of 7 consecutive calls after one warm-up), and the maximum
relative error of all three on a near-equal regime (relative parameter
differences 1e-3 ... 1e-15); last, the time per element of klsym and of the
hand formula on 10^6 such near-equal pairs (where klsym's closed form has
cancelled and its remainder form or series runs on nearly every element).  The
reference for the errors is klsym's closed form evaluated with mpmath at 60
digits on the exact float64 inputs (the closed forms themselves are checked
against quadrature of the densities in the test suite).

Run:  python benchmarks/codegen_speed.py [--size N] [--near M]
Target: time ratio to the hand-written formula at most 1.3.  klsym is timed
in the calling thread (workers=1, the default), as the hand formula runs,
and with workers=-1 (a thread per CPU; torch uses its own threads too).
"""

import argparse
import time

import mpmath
import numpy as np
import sympy
from scipy import special as sc

import klsym

rng = np.random.default_rng(0)


def _textbook():
    """The formulas people write by hand (what klsym is compared with)."""
    def normal(m1, s1, m2, s2):
        return np.log(s2 / s1) + (s1 ** 2 + (m1 - m2) ** 2) / (2 * s2 ** 2) - 0.5

    def gamma(a1, b1, a2, b2):
        return ((a1 - a2) * sc.digamma(a1) - sc.gammaln(a1) + sc.gammaln(a2)
                + a2 * (np.log(b1) - np.log(b2)) + a1 * (b2 - b1) / b1)

    def beta(a1, b1, a2, b2):
        return (sc.betaln(a2, b2) - sc.betaln(a1, b1) + (a1 - a2) * sc.digamma(a1)
                + (b1 - b2) * sc.digamma(b1) + (a2 - a1 + b2 - b1) * sc.digamma(a1 + b1))

    def dirichlet(a, b):
        a0, b0 = a.sum(-1), b.sum(-1)
        return (sc.gammaln(a0) - sc.gammaln(a).sum(-1) - sc.gammaln(b0) + sc.gammaln(b).sum(-1)
                + ((a - b) * (sc.digamma(a) - sc.digamma(a0)[..., None])).sum(-1))

    def poisson(l1, l2):
        return l1 * np.log(l1 / l2) - l1 + l2

    def categorical(p, q):
        return (p * np.log(p / q)).sum(-1)

    return {"normal": normal, "gamma": gamma, "beta": beta, "dirichlet": dirichlet,
            "poisson": poisson, "categorical": categorical}


def _torch():
    try:
        import torch
        from torch import distributions as D
    except ImportError:
        return None
    t = torch.from_numpy
    return {
        "normal": lambda m1, s1, m2, s2: D.kl_divergence(D.Normal(t(m1), t(s1)), D.Normal(t(m2), t(s2))),
        "gamma": lambda a1, b1, a2, b2: D.kl_divergence(D.Gamma(t(a1), t(b1)), D.Gamma(t(a2), t(b2))),
        "beta": lambda a1, b1, a2, b2: D.kl_divergence(D.Beta(t(a1), t(b1)), D.Beta(t(a2), t(b2))),
        "dirichlet": lambda a, b: D.kl_divergence(D.Dirichlet(t(a)), D.Dirichlet(t(b))),
        "poisson": lambda l1, l2: D.kl_divergence(D.Poisson(t(l1)), D.Poisson(t(l2))),
        "categorical": lambda p, q: D.kl_divergence(D.Categorical(probs=t(p)), D.Categorical(probs=t(q))),
    }


def _ordinary(name, n):
    u = lambda lo, hi, *shape: rng.uniform(lo, hi, (n, *shape))  # noqa: E731
    if name == "normal":
        return [u(-2, 2), u(0.5, 3), u(-2, 2), u(0.5, 3)]
    if name in ("gamma", "beta"):
        return [u(0.5, 5), u(0.5, 5), u(0.5, 5), u(0.5, 5)]
    if name == "dirichlet":
        return [u(0.5, 5, 3), u(0.5, 5, 3)]
    if name == "poisson":
        return [u(0.5, 20), u(0.5, 20)]
    p, q = u(0.1, 1, 10), u(0.1, 1, 10)
    return [p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)]


def _near(name, m):
    """p and q a relative 10^-k apart, k in 3..15 (probabilities renormalised)."""
    if name == "categorical":
        # dyadic probabilities summing to exactly 1, moved by +-s between two
        # components: the float vectors are exactly the distributions meant
        counts = rng.integers(1, 2 ** 10, (m, 10)).astype(float)
        counts[:, -1] += 2 ** 14 - counts.sum(-1)
        p = counts / 2 ** 14
        s = 2.0 ** -rng.integers(20, 50, m)  # exact: p is a multiple of 2^-14
        q = p.copy()
        q[:, 0] += s
        q[:, 1] -= s
        return [p, q]
    args = _ordinary(name, m)
    half = len(args) // 2
    step = 10.0 ** -rng.integers(3, 16, m)
    shape = (m,) + (1,) * (args[0].ndim - 1)
    signs = rng.choice([-1.0, 1.0], args[0].shape) if args[0].ndim > 1 else 1.0
    q = [a * (1 + signs * step.reshape(shape)) for a in args[:half]]
    if name == "categorical":  # moved along the simplex, not along p itself
        q = [q[0] / q[0].sum(-1, keepdims=True)]
    return args[:half] + q


def _reference(name, args):
    """klsym's closed form at 60 digits on the exact float64 inputs."""
    family = klsym.family(name)
    size = args[0].shape[-1] if args[0].ndim > 1 else None
    f = family.of(size) if size else family
    expr = klsym.kl(f, f)
    expr = expr.args[-1][0] if isinstance(expr, sympy.Piecewise) else expr
    symbols = [s for side in ("p", "q") for s in f.symbols(side)]
    function = sympy.lambdify(symbols, expr, "mpmath")
    out = []
    with mpmath.workdps(60):
        for i in range(args[0].shape[0]):
            vectors = [[mpmath.mpf(float(v)) for v in np.atleast_1d(a[i])] for a in args]
            out.append(function(*[v for vector in vectors for v in vector]))
    return out


def _max_error(values, reference):
    worst = 0.0
    with mpmath.workdps(60):
        for v, r in zip(np.asarray(values, dtype=float), reference):
            worst = max(worst, float(abs(mpmath.mpf(float(v)) - r) / abs(r)) if r != 0 else abs(v))
    return worst


def _time(function, args, repeat=7):
    """Best of ``repeat`` consecutive calls: the function's own steady cost.
    (Taken in turn with the others, the first call after another function's
    large arrays were freed pays for fresh memory here; which function that
    falls on depends on the order, not on the function.)"""
    function(*args)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def _settle_allocator():
    """Allocate and free one 16 MB array before timing anything.  glibc maps
    arrays above its mmap threshold (128 KB at start) afresh at every call,
    with a page fault per page touched, until it frees such a mapping: the
    threshold then rises to that size (up to 32 MB), and later arrays up to
    it come from its heap, whose pages stay.  A program working on large
    arrays is soon in that state; here, without this, the first family timed
    paid for fresh pages at every call and the later ones did not (the hand
    Poisson formula: 5-7 ns/el with 808 page faults a call timed first, 2.4
    with none after a free of 8 MB or more), so that the figures depended on
    the order of the families."""
    np.ones(2 ** 21)  # 16 MB, freed at once


FAMILIES = ("normal", "gamma", "beta", "dirichlet", "poisson", "categorical")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10 ** 6, help="array length (default 10^6)")
    parser.add_argument("--near", type=int, default=300, help="near-equal points for the errors")
    parser.add_argument("--small", type=int, nargs="*", default=[1, 100, 10000],
                        help="short array lengths timed per call (default 1 100 10000)")
    parser.add_argument("--families", nargs="*", default=list(FAMILIES),
                        help=f"families to time (default: {' '.join(FAMILIES)})")
    parser.add_argument("--lengths", type=int, nargs="*", default=[10, 1000, 50000],
                        help="categorical lengths K timed per entry, and cold first calls "
                             "(default 10 1000 50000)")
    args = parser.parse_args()
    textbook, torch_kl = _textbook(), _torch()
    _settle_allocator()
    print(f"klsym {klsym.__version__}, numpy {np.__version__}, "
          f"torch {'absent' if torch_kl is None else __import__('torch').__version__}; "
          f"{args.size:.0e} elements, best of 7 consecutive calls")
    print(f"\n{'family':<14}{'klsym ns/el':>12}{'hand ns/el':>12}{'torch ns/el':>12}{'ratio':>7}"
          f"{'klsym, workers=-1: ns/el, ratio':>36}"
          f"   max rel. error near p = q: klsym / hand / torch{'':>6}klsym-torch ns/el, error"
          f"   near p = q ns/el: klsym / hand")
    for name in args.families:
        ours = klsym.kl_function(name, name)
        data = _ordinary(name, args.size)
        ours(*data)  # build (derivation, series, compile) before timing
        t_ours = _time(lambda *a: ours(*a, validate=True), data) / args.size * 1e9
        t_threads = _time(lambda *a: ours(*a, workers=-1), data) / args.size * 1e9
        if name == args.families[0]:  # the module's own count of the CPUs it may use
            print(f"(workers=-1: {ours.__globals__['_workers'](-1)} threads here)")
        t_hand = _time(textbook[name], data) / args.size * 1e9
        t_torch = _time(torch_kl[name], data) / args.size * 1e9 if torch_kl else float("nan")
        # the same on near-equal pairs (every element's closed form cancelled:
        # the remainder form and the series run on all of them)
        close = _near(name, args.size)
        t_close = _time(lambda *a: ours(*a, validate=True), close) / args.size * 1e9
        t_close_hand = _time(textbook[name], close) / args.size * 1e9
        near = _near(name, args.near)
        reference = _reference(name, near)
        errors = [_max_error(ours(*near), reference), _max_error(textbook[name](*near), reference)]
        errors.append(_max_error(torch_kl[name](*near).numpy(), reference) if torch_kl else float("nan"))
        ours_torch = ""
        if torch_kl:  # klsym's PyTorch function of the same derived expression
            import torch
            function = klsym.kl_function(name, name, backend="torch")
            tensors = [torch.from_numpy(a) for a in data]
            t = _time(function, tensors) / args.size * 1e9
            error = _max_error(function(*[torch.from_numpy(a) for a in near]).numpy(), reference)
            ours_torch = f"{t:>12.1f}, {error:.1e}"
        print(f"{name:<14}{t_ours:>12.1f}{t_hand:>12.1f}{t_torch:>12.1f}{t_ours / t_hand:>7.2f}"
              f"{t_threads:>28.1f}, {t_threads / t_hand:.2f}"
              f"   {errors[0]:.1e} / {errors[1]:.1e} / {errors[2]:.1e}{ours_torch}"
              f"{t_close:>12.1f} / {t_close_hand:.1f}")
    _small_arrays(textbook, args.small, args.families)
    if args.lengths:
        _lengths(textbook, args.size, args.lengths)


def _lengths(textbook, size, lengths):
    """The categorical at several lengths K: ns per entry on size / K rows
    (klsym / hand), and the first call in a fresh process with klsym's
    cache off (derivation, plan, printing; one function serves every K)."""
    import subprocess
    import sys
    print("\ncategorical of K entries: ns per entry, klsym / hand (ordinary; near-equal), "
          "and a cold first call (fresh process, cache off)")
    for K in lengths:
        rows = max(1, size // K)
        p, q = rng.uniform(0.1, 1, (2, rows, K))
        p /= p.sum(-1, keepdims=True)
        q /= q.sum(-1, keepdims=True)
        near = p * (1 + 1e-9 * rng.standard_normal(p.shape))
        near /= near.sum(-1, keepdims=True)
        ours = klsym.kl_function("categorical", "categorical")
        cells = [_time(f, data) / (rows * K) * 1e9 for data in ((p, q), (p, near))
                 for f in (ours, textbook["categorical"])]
        code = ("import time, numpy as np, klsym; t = time.perf_counter(); "
                "f = klsym.kl_function('categorical', 'categorical'); "
                f"p = np.full((4, {K}), 1 / {K}); f(p, p[::-1]); print(time.perf_counter() - t)")
        cold = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env={**__import__("os").environ, "KLSYM_CACHE": "0"})
        first = f"{float(cold.stdout):.1f} s" if cold.returncode == 0 else "failed"
        print(f"K = {K:<8}{cells[0]:>8.2f} / {cells[1]:.2f}; {cells[2]:.2f} / {cells[3]:.2f}"
              f"   first call {first}")


def _small_arrays(textbook, sizes, families):
    """Microseconds per call on short arrays, where a call's fixed cost (its
    few hundred NumPy calls: validation, the cancellation test, the remainder
    form's helpers) outweighs the work per element."""
    print(f"\nshort arrays, us per call (best of 25): klsym / hand, ordinary pairs; "
          f"the same on near-equal pairs")
    print(f"{'family':<14}" + "".join(f"{f'n = {n}':>26}" for n in sizes))
    for name in families:
        ours = klsym.kl_function(name, name)
        cells = []
        for n in sizes:
            times = []
            for data in (_ordinary(name, n), _near(name, n)):
                times += [_time(ours, data, repeat=25) * 1e6, _time(textbook[name], data, repeat=25) * 1e6]
            cells.append(f"{times[0]:.0f}/{times[1]:.0f}; {times[2]:.0f}/{times[3]:.0f}")
        print(f"{name:<14}" + "".join(f"{c:>26}" for c in cells))


if __name__ == "__main__":
    main()
