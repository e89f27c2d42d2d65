"""Benchmark: cold derivation of every same-family KL, H and H(p, q), and of
the KL between the pairs of different families issue 3 lists.

Each family (each dimension of a multivariate family, each pair) is derived
in a fresh Python process with an empty cache directory, so nothing is reused;
the time reported is the derivation only (imports excluded).  For comparison the same run times
SymPy's own route, ``sympy.integrate(p * log(p / q))``, on normal, gamma and
beta (each under a timeout), and ``sympy.stats.entropy`` of a Normal.

Run:  python benchmarks/derive_catalog.py [--timeout SECONDS]
Targets: the whole catalog under 60 s on a 2-core machine; Normal-Normal KL
under 0.5 s; no family or pair over 10 s cold.
"""

import argparse
import json
import subprocess
import sys
import tempfile

import klsym

_KLSYM = """
import json, time, klsym
f = klsym.family({name!r})
f = f if {size!r} is None else f.of({size!r})
t0 = time.perf_counter(); klsym.kl(f, f); t1 = time.perf_counter()
klsym.entropy(f); klsym.cross_entropy(f, f); t2 = time.perf_counter()
print(json.dumps({{"kl": t1 - t0, "all": t2 - t0}}))
"""

_PAIR = """
import json, time, warnings, klsym, sympy
warnings.simplefilter("ignore")
t0 = time.perf_counter(); r = klsym.kl({p!r}, {q!r}); t1 = time.perf_counter()
print(json.dumps({{"kl": t1 - t0, "open": r.has(sympy.Integral, sympy.Sum)}}))
"""

PAIRS = [("exponential", "gamma"), ("gamma", "exponential"), ("halfnormal", "exponential"),
         ("exponential", "halfnormal"), ("chisquared", "gamma"), ("gamma", "lognormal"),
         ("lognormal", "gamma"), ("rayleigh", "weibull"), ("weibull", "exponential"),
         ("uniform", "beta"), ("beta", "uniform"), ("uniform", "normal"), ("uniform", "gamma"),
         ("uniform", "exponential"), ("laplace", "normal"), ("normal", "laplace"),
         ("normal", "cauchy"), ("poisson", "geometric"), ("geometric", "poisson"),
         ("bernoulli", "binomial"), ("binomial", "poisson"), ("gumbel", "normal")]

#: dimensions at which the families with a dimension are timed
SIZES = {"mvnormal": (2, 3), "dirichlet": (2, 3, 5), "categorical": (2, 3, 10),
         "multinomial": (2, 3)}

_SYMPY_INTEGRATE = """
import json, time
from sympy import *
r, s = Symbol("x", real=True), Symbol("x", positive=True)
pos = dict(positive=True)
def sym(names, first_real=False):
    a, b = symbols(names, **pos)
    return (Symbol(a.name, real=True), b) if first_real else (a, b)
cases = {{
 "normal": (r, lambda x, m, s: exp(-(x - m)**2 / (2 * s**2)) / (sqrt(2 * pi) * s),
            sym("mu_p sigma_p", True), sym("mu_q sigma_q", True), (-oo, oo)),
 "gamma": (s, lambda x, a, b: b**a * x**(a - 1) * exp(-b * x) / gamma(a),
           sym("alpha_p beta_p"), sym("alpha_q beta_q"), (0, oo)),
 "beta": (s, lambda x, a, b: x**(a - 1) * (1 - x)**(b - 1) / beta(a, b),
          sym("alpha_p beta_p"), sym("alpha_q beta_q"), (0, 1)),
}}
x, pdf, tp, tq, (lo, hi) = cases[{name!r}]
p, q = pdf(x, *tp), pdf(x, *tq)
t0 = time.perf_counter()
r = integrate(p * log(p / q), (x, lo, hi))
print(json.dumps({{"seconds": time.perf_counter() - t0, "closed": not r.has(Integral)}}))
"""

_SYMPY_STATS = """
import json, time
from sympy import Symbol
from sympy.stats import Normal, entropy
t0 = time.perf_counter()
entropy(Normal("X", Symbol("mu"), Symbol("sigma", positive=True)))
print(json.dumps({"seconds": time.perf_counter() - t0}))
"""


def _run(code, timeout, env=None):
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout, env=env, check=True)
    except subprocess.TimeoutExpired:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=120,
                        help="seconds allowed to each sympy.integrate comparison (default 120)")
    args = parser.parse_args()
    import os
    print(f"klsym {klsym.__version__}, Python {sys.version.split()[0]}, "
          f"sympy {__import__('sympy').__version__}, {os.cpu_count()} cores")
    print(f"\n{'family':<18}{'KL (s)':>10}{'KL+H+CE (s)':>14}")
    total_kl = total_all = 0.0
    slowest = (0.0, "")
    cases = [(name, None) if isinstance(klsym.family(name), klsym.Family) else (name, size)
             for name in klsym.families() for size in SIZES.get(name, (None,))]
    for name, size in cases:
        label = name if size is None else f"{name}[{size}]"
        with tempfile.TemporaryDirectory() as cache_dir:
            env = {**os.environ, "KLSYM_CACHE_DIR": cache_dir}
            result = _run(_KLSYM.format(name=name, size=size), timeout=600, env=env)
        total_kl += result["kl"]
        total_all += result["all"]
        slowest = max(slowest, (result["all"], label))
        print(f"{label:<18}{result['kl']:>10.3f}{result['all']:>14.3f}")
    print(f"{'total':<18}{total_kl:>10.3f}{total_all:>14.3f}")

    print(f"\n{'KL(p || q), different families':<34}{'KL (s)':>8}  result")
    for p, q in PAIRS:
        with tempfile.TemporaryDirectory() as cache_dir:
            env = {**os.environ, "KLSYM_CACHE_DIR": cache_dir}
            result = _run(_PAIR.format(p=p, q=q), timeout=600, env=env)
        slowest = max(slowest, (result["kl"], f"{p} || {q}"))
        kind = "with an unevaluated Sum/Integral" if result["open"] else "closed form"
        print(f"{p + ' || ' + q:<34}{result['kl']:>8.3f}  {kind}")
    print(f"slowest: {slowest[1]} at {slowest[0]:.2f} s (target: under 10 s)")

    print("\nSymPy's own route for comparison:")
    for name in ("normal", "gamma", "beta"):
        result = _run(_SYMPY_INTEGRATE.format(name=name), timeout=args.timeout)
        if result is None:
            print(f"  integrate(p*log(p/q)) {name:<7}: no answer within {args.timeout:g} s")
        else:
            kind = "closed form" if result["closed"] else "unevaluated Integral"
            print(f"  integrate(p*log(p/q)) {name:<7}: {result['seconds']:.2f} s ({kind})")
    result = _run(_SYMPY_STATS, timeout=args.timeout)
    shown = f"{result['seconds']:.2f} s" if result else f"no answer within {args.timeout:g} s"
    print(f"  sympy.stats.entropy(Normal)     : {shown}")


if __name__ == "__main__":
    main()
