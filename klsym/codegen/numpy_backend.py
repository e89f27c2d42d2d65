"""Print a :class:`~klsym.codegen.plan.Plan` as a standalone NumPy module.

The module depends on numpy (and scipy.special where a special function
appears) and nothing else: it can be written to a file and imported where
klsym is not installed.  Arrays are evaluated in blocks of ``BLOCK``
elements, so that the temporaries of the many small steps stay in the
processor's cache; the series near p = q is evaluated only on the elements
whose closed form cancelled.
"""

import sympy
from sympy import S

from .common import (CANCELLED, CONVERGES, EPS, FAR_APART, LOST, documentation, large_form, large_series,
                     near_arguments, prepared, remainder_form, summed_sizes, term_sizes, vector_entries)
from .floating import EXPM1MX_COEFFICIENTS, STIRLING_SHIFT, rounding_floor, rounding_weight, stirling_remainders
from .printers import printer as make_printer, zeta_polygamma
from .pyprint import (VECTORS_HELPER, entries, large_function, remainder_function, series_functions,
                      signature, symmetric, tail_helpers, validation, vector_bounds)

#: the functions the helpers of the large-argument form call
TAIL_NAMES = {"maximum": "numpy.maximum", "minimum": "numpy.minimum", "where": "numpy.where",
              "log": "numpy.log", "exp": "numpy.exp", "exp1": "scipy.special.exp1",
              "gammaln": "scipy.special.gammaln", "digamma": "scipy.special.digamma",
              "i0e": "scipy.special.i0e", "i1e": "scipy.special.i1e",
              "polygamma": zeta_polygamma("scipy.special.zeta"),
              "own_polygamma": True}

#: numbers per block and argument: the temporaries of a block stay in the
#: processor's cache (measured: 65536 is 1.3x faster than 16384 or than no
#: blocks).  A vector argument of K entries per row takes BLOCK / K rows, so
#: that its entries, read one column at a time, stay in cache too (measured:
#: categorical K = 10, 550 -> 340 ns per row)
BLOCK = 65536

#: the share of a block's elements whose closed form cancelled from which the
#: remainder form is evaluated on the whole block rather than on the elements
#: picked out (near-equal pairs: picking costs about 1.5 ns per element and
#: argument; the remainder form on the few others costs less)
DENSE = 0.75

#: the generated NumPy functions' ``workers`` keyword, in their docstrings
WORKERS_NOTE = ["    workers=n evaluates blocks of BLOCK numbers per argument on n threads",
                "    (-1: one per CPU); the results are those of workers=1, to the bit."]

#: ``log1p``: numpy's own where it runs a SIMD kernel (numpy >= 2.0 on
#: AVX-512: 1.05 ns an element against 0.8 for ``log``, and 0.55 ulp against
#: mpmath); elsewhere numpy falls back on glibc's ``log1p``, three times
#: slower than its ``log`` away from 0 (measured 12-16 against 4-5 ns), and
#: the module's own is used: with ``u = 1 + x`` rounded,
#: ``log(1 + x) = log u + log(1 + c / u)`` where ``c = x - (u - 1)`` is the
#: rounding error of ``1 + x``, exact for ``|x| < 1``, and
#: ``log(1 + c / u) = c / u`` to the last bit (c / u is below EPS).
#: Measured against mpmath: 2.5e-16 relative at most, numpy's own 1.5e-16.
#: Where ``c`` is ``0 / 0`` or ``oo - oo`` (x = -1, x infinite) the invalid
#: operation falls back on ``numpy.log1p``.
LOG1P = ["", "", "def _log1p(x):",
         '    """log(1 + x): numpy.log1p where it is a SIMD kernel, else through',
         '    numpy.log and the rounding error of 1 + x."""',
         "    if _SIMD_LOG1P or not numpy.ndim(x):",
         "        return numpy.log1p(x)",
         "    u = 1.0 + x",
         "    c = u - 1.0",
         "    with numpy.errstate(invalid='raise'):",
         "        try:",
         "            numpy.subtract(x, c, out=c)",
         "            c /= u",
         "        except FloatingPointError:  # x = -1 or infinite",
         "            c = None",
         "    if c is None:",
         "        return numpy.log1p(x)",
         "    numpy.log(u, out=u)",
         "    u += c",
         "    return u",
         "", "",
         "def _simd(name):",
         '    """Whether numpy runs ``name`` on float64 with a SIMD kernel here rather',
         '    than the C library\'s (numpy >= 2.0 tells; older numpy: no)."""',
         "    try:",
         "        from numpy.lib.introspect import opt_func_info",
         '        current = opt_func_info(func_name=f"^{name}$", signature="float64")[name]["dd"]["current"]',
         "    except Exception:  # noqa: BLE001 - any failure means: not known to be fast",
         "        return False",
         '    return not current.startswith("baseline")',
         "", "",
         '_SIMD_LOG1P = _simd("log1p")']


#: ``log Gamma(x + d) - log Gamma(x) - d psi(x)`` (x > 0, x + d > 0) with
#: no cancellation: the recurrence moves x up to SHIFT, each step adding
#: ``-(log1p(u) - u) >= 0`` at ``u = d / (x + k)``, then Stirling's series at
#: ``z = x + m``: ``z h(d / z) - phi(d / z) / 2`` plus the remainders of its
#: ``1 / z^(2k-1)`` terms, all of one sign; where ``d`` is beyond the reach
#: of that (more than ``max(x, SHIFT)`` above or half of it below) the three
#: terms do not cancel and are used as they are.  Measured against mpmath:
#: 9.5e-15 relative at most over x in (1e-3, 1e3), d / x in +-(1e-14, 2.5)
#: (where d is near a large x), 8.3e-16 over x in (0.3, 20), |d / x| < 0.6.
#: for a few elements with |d| / x up to TAYLOR_REACH, the Taylor series in d
#: (21 terms at most) where its terms times the elements are at most
#: TAYLOR_WORK (measured: 7 terms on 100 elements 210 us against 117 for the
#: recurrence, on 10 elements 27 against 114), and x at least TAYLOR_SMALLEST
#: (zeta(n, x), about x^-n, stays finite)
TAYLOR_REACH = 0.125
TAYLOR_WORK = 300
TAYLOR_SMALLEST = 1e-6
#: the recurrence's steps as the rows of one array up to this many numbers
#: (measured: 1000 elements 398 -> 289 ns each, 8192 elements 132 -> 295
#: where its temporaries leave the cache)
STEPS_AT_ONCE = 16384
LGAMMA_REMAINDER = ["", "", "def _lgamma_remainder(x, d):",
    '    """log Gamma(x + d) - log Gamma(x) - d psi(x), x > 0 and x + d > 0, to a few ulps."""',
    "    shape = numpy.broadcast(x, d).shape",
    "    x, d = (numpy.array(numpy.broadcast_to(v, shape), dtype=float).reshape(-1) for v in (x, d))",
    "    reach = numpy.maximum(x, SHIFT)",
    "    near = (d >= -0.5 * reach) & (d <= reach)",
    "    every = near.all()",
    "    if not every:  # the direct form only where it does not cancel",
    "        out = scipy.special.gammaln(x + d) - scipy.special.gammaln(x) - d * scipy.special.digamma(x)",
    "        if not near.any():",
    "            return out.reshape(shape)",
    "        x, d = x[near], d[near]",
    "    # few elements with d small against x: the Taylor series in d, whose",
    "    # terms shrink by |d| / x at least; its dozen calls cost less than the",
    "    # recurrence's and Stirling's three hundred where each call costs its",
    "    # overhead (measured: one near-equal element, 316 -> 42 us)",
    "    ratio = float(numpy.max(abs(d) / x, initial=0.0))",
    "    terms = 2 + int(numpy.ceil(-39.2 / numpy.log(ratio))) if 0.0 < ratio <= TAYLOR_REACH else 0",
    "    if ratio == 0.0:",
    "        total = numpy.zeros(x.shape)",
    "    elif terms and terms * x.size <= TAYLOR_WORK and x.min() >= TAYLOR_SMALLEST:",
    "        total = _lgamma_taylor(x, d, terms)",
    "    else:",
    "        total = _lgamma_shifted(x, d)",
    "    if every:",
    "        return total.reshape(shape)",
    "    out[near] = total",
    "    return out.reshape(shape)",
    "",
    "",
    "def _lgamma_taylor(x, d, terms):",
    '    """log Gamma(x + d) - log Gamma(x) - d psi(x) as sum_n (-d)^n zeta(n, x) / n, n = 2 ..',
    '    terms (psi^(n-1)(x) = (-1)^n (n-1)! zeta(n, x)), from the highest n: where',
    '    |d| / x is below TAYLOR_REACH the terms after the last are below 2^-56 of the first."""',
    "    total = scipy.special.zeta(float(terms), x) / terms",
    "    for n in range(terms - 1, 1, -1):",
    "        total *= -d",
    "        total += scipy.special.zeta(float(n), x) / n",
    "    return total * (d * d)",
    "",
    "",
    "def _lgamma_shifted(x, d):",
    '    """log Gamma(x + d) - log Gamma(x) - d psi(x) by the recurrence up to SHIFT, then',
    '    Stirling\'s series less its tangent."""',
    "    # every element moved by the same number of steps (the same cost for all)",
    "    steps = max(0, int(numpy.ceil(SHIFT - x.min())))",
    "    # -(log(1 + u) - u) at u = d / (x + k), from s = u / (2 + u) = d / (t + 2k):",
    "    # 2 (s^2 / (1 - s) - s^3 sum_j s^2j / (2j + 3)), summed without the factor 2",
    "    if steps * x.size <= STEPS_AT_ONCE:  # a row each: a few calls, not a few per step",
    "        k = numpy.arange(steps, dtype=float).reshape(-1, 1)",
    "        s = d / (2.0 * x + d + 2.0 * k)",
    "        s2 = s * s",
    "        series, within = _atanh_tail(s2)",
    "        if not within:  # |u| > 1/2 somewhere: the general helper",
    "            return _lgamma_stirling(-_log1pmx(d / (x + k)).sum(axis=0), x, d, steps)",
    "        series *= s2",
    "        series *= s",
    "        return _lgamma_stirling(2.0 * (s2 / (1.0 - s) - series).sum(axis=0), x, d, steps)",
    "    total, t = numpy.zeros(x.shape), 2.0 * x + d",
    "    for k in range(steps):",
    "        s = d / (t + 2.0 * k)",
    "        s2 = s * s",
    "        series, within = _atanh_tail(s2)",
    "        if not within:  # |u| > 1/2 somewhere: the general helper",
    "            total -= 0.5 * _log1pmx(d / (x + k))",
    "            continue",
    "        series *= s2",
    "        series *= s",
    "        total += s2 / (1.0 - s)",
    "        total -= series",
    "    total *= 2.0",
    "    return _lgamma_stirling(total, x, d, steps)",
    "",
    "",
    "def _lgamma_stirling(total, x, d, steps):",
    '    """``total`` (the recurrence\'s steps) plus Stirling\'s series less its tangent at',
    '    z = x + steps."""',
    "    z = x + steps",
    "    u = d / z",
    "    phi = _log1pmx(u)",
    "    total += z * ((1.0 + u) * phi + u * u) - 0.5 * phi",
    "    # Stirling's terms B_2k / (2k (2k-1) z^(2k-1)), each less its tangent:",
    "    # z^(1-2k) ((1 + u)^-n - 1 + n u), n = 2k - 1, = z^(1-2k) u^2 N_n(u) / (1 + u)^n",
    "    w = 1.0 / z",
    "    if u.size * len(_STIRLING_REMAINDERS) <= STEPS_AT_ONCE:  # a row each, as the steps",
    "        # c u^2 N_n(u) (w / (1 + u))^n: the powers n = 1, 3, ... by one running product",
    "        powers = numpy.empty((len(_STIRLING_REMAINDERS), u.size))",
    "        powers[0] = w / (1.0 + u)",
    "        powers[1:] = powers[0] * powers[0]",
    "        numpy.cumprod(powers, axis=0, out=powers)",
    "        poly = numpy.repeat(_STIRLING_ROWS[:, :1], u.size, axis=1)",
    "        for j in range(1, _STIRLING_ROWS.shape[1]):",
    "            poly *= u",
    "            poly += _STIRLING_ROWS[:, j:j + 1]",
    "        poly *= powers",
    "        total += u * u * poly.sum(axis=0)",
    "        return total",
    "    scale, power = w * u * u, 1.0 / (1.0 + u)",
    "    step = power * power  # (1 + u)^-n by products: a power of floats is ten times slower",
    "    for c, coefficients in _STIRLING_REMAINDERS:  # n = 1, 3, 5, ...",
    "        poly = numpy.full(u.shape, coefficients[0])",
    "        for a in coefficients[1:]:",
    "            poly *= u",
    "            poly += a",
    "        total += c * scale * poly * power",
    "        scale = scale * w * w",
    "        power = power * step",
    "    return total",
    "",
    "",
    f"TAYLOR_REACH = {TAYLOR_REACH!r}  # largest |d| / x of the Taylor series in d (then 21 terms)",
    f"TAYLOR_WORK = {TAYLOR_WORK!r}  # its terms times elements up to which it is the faster (measured)",
    f"STEPS_AT_ONCE = {STEPS_AT_ONCE!r}  # the recurrence's steps as rows of one array up to this size",
    f"TAYLOR_SMALLEST = {TAYLOR_SMALLEST!r}  # smallest x for it (zeta(n, x) ~ x^-n stays finite)",
    f"SHIFT = {float(STIRLING_SHIFT)!r}  # Stirling's series from here on (eight terms: the ninth is below "
    "6e-17 relative)",
    "#: (B_2k / (2k (2k - 1)), coefficients of N_n, n = 2k - 1, from the highest power)",
    "_STIRLING_REMAINDERS = " + repr(stirling_remainders()),
    "#: the same, times B_2k / (2k (2k - 1)), as the rows of one array (leading zeros)",
    "_STIRLING_ROWS = numpy.array([[0.0] * (max(len(a) for _, a in _STIRLING_REMAINDERS) - len(a))",
    "                              + [c * ai for ai in a] for c, a in _STIRLING_REMAINDERS])"]


#: where the closed form cancelled: its remainder form, and the series
NEAR_EQUAL = r'''def _near_equal(flat, candidates):
    """Where the closed form may have lost more than LOST (EPS times the size
    of its terms, over the result): the remainder form if there is one, whose
    terms do not cancel at first order; then, where the remainder form's own
    terms still cancel (several parameters moved along a direction of small
    Fisher information) or without a remainder form, the series where it is
    close enough (``_near``, ``_size``) and its last term is below the
    rounding it replaces.  The blocks of near-equal pairs one at a time, as
    they are; the few candidates of the other blocks all at once (one call
    per step)."""
    scattered = [c for c in candidates if c[4] is None]
    for where, magnitude, plain, args, suspect in candidates:
        if suspect is not None:
            _near_group(flat, where, magnitude, plain, args, suspect)
    if scattered:
        _near_group(flat, numpy.concatenate([c[0] for c in scattered]),
                    numpy.concatenate([c[1] for c in scattered]),
                    numpy.concatenate([c[2] for c in scattered]),
                    [numpy.concatenate(parts) for parts in zip(*[c[3] for c in scattered])], None)

'''

#: ``_near_group``: the remainder form and the series on some elements
NEAR_GROUP = r'''def _near_group(flat, where, magnitude, plain, args, suspect):
    """``_near_equal`` for the elements ``where`` (indices, or a block's
    slice with the mask ``suspect`` of its candidates)."""
    if suspect is not None and _remainder is None:
        where, magnitude = numpy.arange(where.start, where.stop)[suspect], magnitude[suspect]
        args, suspect = [a[suspect] for a in args], None
    if NONNEGATIVE and _remainder is None:
        flat[where] = numpy.maximum(flat[where], 0.0)
    if _remainder is not None:
        value, size, alone = _chunked(_remainder, args)
        # where the sum of its terms alone is the smaller: what cancelled at
        # first order is gone (far from p = q an ill-conditioned covariance
        # makes both forms' sums of several terms round poorly, and there
        # the remainder form's tangents are the larger)
        better = alone < plain
        if suspect is not None:
            better &= suspect
        value, magnitude = numpy.where(better, value, flat[where]), numpy.where(better, size, magnitude)
        flat[where] = numpy.maximum(value, 0.0) if NONNEGATIVE else value
        lost = EPS * magnitude > LOST * abs(value)
        if suspect is not None:
            lost &= suspect
            where = numpy.arange(where.start, where.stop)
        if not lost.any():
            return
        where, magnitude, args = where[lost], magnitude[lost], [a[lost] for a in args]
    _series_where_better(flat, where, magnitude, args)
'''

#: the series where it is close enough and better than what the closed form
#: or the remainder form left
SERIES_WHERE_BETTER = r'''

def _series_where_better(flat, where, magnitude, args):
    """The series where it is close enough and better than the value in
    ``flat`` (its terms of size ``magnitude``)."""
    sized = lambda: _worth_trying(_chunked(_size, args)[0], flat[where], magnitude)  # noqa: E731
    for keep in (lambda: _near(*args), sized):
        mask = numpy.broadcast_to(keep(), where.shape)
        if not mask.all():
            where, magnitude = where[mask], magnitude[mask]
            args = [a[mask] for a in args]
        if not where.size:
            return
    total, last = _chunked(_series, args)
    better = abs(last) < EPS * magnitude
    flat[where[better]] = numpy.maximum(total[better], 0.0) if NONNEGATIVE else total[better]


def _worth_trying(size, closed, magnitude):
    """Where the series, truncated (about ``size ** (ORDER - 1)`` relative),
    may beat the closed form: below the switch of the usual balance between
    the two, or converging and with a closed form that lost more than that
    (its terms far larger than the result: the Dirichlet's log-gammas)."""
    return (size < SERIES_BELOW) | ((size < CONVERGES) & (size ** (ORDER - 1) * abs(closed) < EPS * magnitude))


'''

#: without a series (SymPy finished none in its time: the 3-d normal's nine
#: differences), the remainder form's value stays
NO_SERIES = ["", "", "def _series_where_better(flat, where, magnitude, args):",
             '    """No series near p = q (SymPy finished none in its time): the remainder',
             '    form\'s value stays, its rounding estimated at EPS times its terms."""']


#: ``exp(u) - 1 - u`` without its cancellation: for |u| <= 1 its Taylor
#: series (every term of one sign for u > 0; for u < 0 alternating and
#: decreasing from u^2 / 2, which bounds the sum: no digit is lost), with as
#: many terms as the largest |u| needs; beyond, ``expm1(u) - u`` loses at
#: most a factor 4.4 (at u = -1)
EXPM1MX = ["", "",
    "def _expm1mx(u):",
    '    """exp(u) - 1 - u: u^2 sum_k u^k / (k + 2)! where |u| <= 1, with as many',
    '    terms as the largest |u| needs; expm1(u) - u beyond."""',
    "    top = min(float(numpy.max(abs(u), initial=0.0)), 1.0)",
    "    terms = 0  # the first term left out below EPS / 8 of the first, u^2 / 2",
    "    while top > 0.0 and top ** (terms + 1) * _EXPM1MX[terms + 1] > 2.8e-17:",
    "        terms += 1",
    "    series = numpy.full(numpy.shape(u), _EXPM1MX[terms])",
    "    for k in range(terms - 1, -1, -1):",
    "        series *= u",
    "        series += _EXPM1MX[k]",
    "    near = u * u * series",
    "    if top < 1.0:",
    "        return near",
    "    with numpy.errstate(all='ignore'):",
    "        return numpy.where(abs(u) <= 1.0, near, numpy.expm1(u) - u)",
    "",
    "",
    f"_EXPM1MX = {EXPM1MX_COEFFICIENTS!r}  # 1 / (k + 2)!",
    "",
    ""]


#: ``log(1 + u) - u`` without its cancellation (u > -1)
LOG1PMX = ["", "",
    "def _log1pmx(u):",
    '    """log(1 + u) - u for u > -1: for |u| <= 1/2 from s = u / (2 + u),',
    '    log(1 + u) = 2 atanh(s), as -u^2 / (2 + u) + 2 s^3 sum_k s^2k / (2k + 3),',
    '    with as many terms as the largest |s| needs."""',
    "    s = u / (2.0 + u)",
    "    s2 = s * s",
    "    series, within = _atanh_tail(s2)",
    "    near = 2.0 * s * s2 * series - u * u / (2.0 + u)",
    "    if within:",
    "        return near",
    "    with numpy.errstate(all='ignore'):",
    "        return numpy.where(abs(u) <= 0.5, near, numpy.log1p(u) - u)",
    "",
    "",
    "def _atanh_tail(s2):",
    '    """sum_j s^2j / (2j + 3) (atanh(s) = s + s^3 times it), with as many terms as',
    "    the largest s^2 up to 1/9 needs; and whether every s^2 is within 1/9 (the",
    '    sum is then to full precision)."""',
    "    top = float(numpy.max(s2, initial=0.0))",
    "    within = top <= 1.0 / 9.0",
    "    top = min(top, 1.0 / 9.0)",
    "    terms = int(numpy.ceil(-39.2 / numpy.log(top))) if top > 0.0 else 0",
    "    series = numpy.full(numpy.shape(s2), 1.0 / (2 * terms + 3))",
    "    for k in range(terms - 1, -1, -1):",
    "        series *= s2",
    "        series += 1.0 / (2 * k + 3)",
    "    return series, within",
    "",
    ""]


def module_source(plan, accuracy=None):
    """Python source of a module defining ``<quantity>(...)`` for ``plan``."""
    printer = make_printer("numpy")
    code = printer.doprint
    branches, series_terms, ratios = prepared(plan, "numpy")
    scalars = [s.name for s in plan.symbols]
    names = [a.name for a in plan.arguments]
    large, large_arguments = large_form(plan, branches, "numpy")
    near_large = large_series(plan, "numpy")
    near_args = near_arguments(plan, series_terms, near_large)
    remainder = remainder_form(plan, "numpy", near_args.split(", "))
    # where the closed form cancelled, the remainder form and the series
    near = (plan.series is not None or remainder is not None) and bool(branches)

    body = signature(plan, "NumPy arrays, float32 in gives float32 out; scalars give a scalar.",
                     workers=WORKERS_NOTE)
    body.append(f"    ({', '.join(names)},), dtype = _inputs({', '.join(names)},)")
    body += entries(plan, "    ")
    if any(symmetric(text) for _, _, text in plan.constraints):
        body.append("    if validate:")
        body += validation(plan, printer, "        ", arrays=True)
    closed_terms = branches[-1][1].as_ordered_terms() if branches else []
    groups, rest, vectors, vector_differences, views = _entrywise(plan, closed_terms)
    # vector arguments whole too (rows, K), where their bounds are checked at
    # once or the closed form has terms of every entry
    whole = [a.name for a in plan.arguments if a.name in vector_bounds(plan) or a.name in vectors]
    body.append(f"    scalars = _broadcast({', '.join(scalars)},)")
    body.append("    out = numpy.empty(scalars[0].shape)")
    if whole:
        body.append(f"    scalars = [*scalars, *[numpy.broadcast_to(v, out.shape + v.shape[-1:]) "
                    f"for v in ({', '.join(whole)},)]]")
    body.append("    candidates = []  # where the closed form cancelled, from every block")
    body.append("    _each_block(_evaluate, out, scalars, WIDTH, workers, validate=validate, "
                "eps=numpy.finfo(dtype[0]).eps, candidates=candidates)")
    if near:
        body.append("    if candidates:")
        body.append("        with numpy.errstate(all='ignore'):")
        body.append("            _near_equal(out.reshape(-1), candidates)")
    body.append("    return _output(out, dtype)")

    body += ["", "", f"def _evaluate(out, {', '.join(scalars + whole)}, validate, offset, eps, candidates):",
             '    """The result for one block, written into ``out``."""']
    if any(not symmetric(text) for _, _, text in plan.constraints):
        body.append("    if validate:")
        body += validation(plan, printer, "        ", extra=", offset", arrays=False, bounds=True,
                           vectors=True)
    if plan.open != S.false:
        body.append(f"    _no_closed_form({code(plan.open)}, {str(plan.open)!r}, offset)")
    body.append("    with numpy.errstate(all='ignore'):")
    for name, (q, p) in vector_differences.items():
        body.append(f"        {name} = {q} - {p}")
    for d, (q, p) in plan.differences.items():
        body.append(f"        {d.name} = {views[d]}" if d in views else f"        {d.name} = {q.name} - {p.name}")
    if branches:
        *others, _ = branches
        terms = rest
        for i, (template, size) in enumerate(groups):
            body.append(f"        v{i} = {code(template)}  # every entry at once")
        for i, term in enumerate(terms):
            body.append(f"        t{i} = {code(term)}")
        ones = [f"numpy.ones({size})" for _, size in groups]
        parts = [f"v{i} @ {one}" for i, one in enumerate(ones)] + [f"t{i}" for i in range(len(terms))]
        # summed in place: no temporary of the block's size per addition
        if len(parts) > 1:
            body.append(f"        numpy.add({parts[0]}, {parts[1]}, out=out)")
            body += [f"        out += {part}" for part in parts[2:]]
        else:
            body.append(f"        out[...] = {parts[0]}")
        if near:
            # the size of the terms, with the rounding their size does not
            # account for (floors of log-gamma and digamma near their zeros)
            varying, fixed = [], 0.0
            for i, ((template, size), one) in enumerate(zip(groups, ones)):
                floor = rounding_floor(template)
                weight = rounding_weight(template)
                size_of = (f"{weight!r} * " if weight != 1 else "") + f"abs(v{i})"
                if floor.free_symbols:
                    varying.append(f"({size_of} + {code(floor)}) @ {one}")
                else:
                    varying.append(f"{size_of} @ {one}")
                    fixed += float(floor) * size
            varying += term_sizes(terms, code, fixed=fixed)
            sums = summed_sizes(terms, code)
            # a new array (abs of a term), then summed in place
            body.append(f"        magnitude = {varying[0]}")
            body += [f"        magnitude += {part}" for part in varying[1:]]
            if sums:  # the sizes of the terms alone kept apart (see _near_equal)
                body.append("        plain = magnitude.copy()")
                body += [f"        magnitude += {part}" for part in sums]
            else:
                body.append("        plain = magnitude")
        if large:
            condition, _ = large
            body.append(f"        large = {code(condition)}")
            body.append("        if numpy.any(large):")
            body.append("            large = numpy.broadcast_to(large, out.shape)")
            body.append(f"            inputs = [numpy.broadcast_to(a, out.shape)[large] for a in "
                        f"({', '.join(s.name for s in large_arguments)},)]")
            if near:
                body.append("            magnitude = numpy.array(numpy.broadcast_to(magnitude, out.shape))")
                body.append("            out[large], magnitude[large] = _large(*inputs)")
                body.append("            plain = numpy.array(numpy.broadcast_to(plain, out.shape))")
                body.append("            plain[large] = magnitude[large]")
            else:
                body.append("            out[large] = _large(*inputs)[0]")
        if near:
            # where the closed form lost digits to cancellation, the remainder form and the series decide
            body.append("        suspect = out < CANCELLED * magnitude")
        for condition, expr in others:
            body.append(f"        region = {code(condition)}")
            body.append(f"        out[...] = numpy.where(region, {code(expr)}, out)")
            if near:
                body.append("        suspect &= ~region")
    else:  # only +oo, or no closed form anywhere
        body.append("        out[...] = numpy.nan")
    if plan.infinite != S.false:
        body.append(f"        region = {code(plan.infinite)}")
        body.append("        numpy.copyto(out, numpy.inf, where=region)")
        if near:
            body.append("        suspect &= ~region")
    # rounding never makes a divergence negative; with one closed form, what
    # rounded below 0 is a candidate (below CANCELLED times its terms) and
    # _near_group clamps it (one pass over the block fewer)
    if plan.nonnegative and (not near or not branches or branches[:-1]):
        body.append("        numpy.maximum(out, 0.0, out=out)  # rounding never makes a divergence negative")
    if near:
        body.append("        if suspect.any():")
        body.append(f"            _gather(candidates, suspect, offset, magnitude, plain, "
                    f"({near_args},))")
    if near:
        body += _near_functions(plan, printer, series_terms, ratios, near_large, remainder, near_args)
    if large:
        body += large_function(printer, large, large_arguments)
    body += tail_helpers(TAIL_NAMES, [e for _, e in branches] + ([large[1]] if large else [])
                         + list(series_terms) + list(ratios)
                         + [e for part in (near_large or ())[1:] for e in part])
    return _header(plan, accuracy, large, remainder is not None) + "\n".join(_with_helpers(body)) + "\n"


def _near_functions(plan, printer, series_terms, ratios, near_large, remainder, near_args,
                    dispatch=True):
    """``_near_equal`` (with ``dispatch``: a module of sums has its own,
    ``_near_rows``), ``_near_group``, the series' functions (or their
    absence) and ``_remainder``: what replaces a cancelled closed form."""
    lines = (["", ""] + NEAR_EQUAL.rstrip("\n").splitlines() if dispatch else []) \
        + ["", ""] + NEAR_GROUP.rstrip("\n").splitlines()
    if plan.series is not None:
        lines += SERIES_WHERE_BETTER.rstrip("\n").splitlines()
        lines += series_functions(plan, printer, series_terms, ratios, "numpy.where", near_large,
                                  masked=True)
    else:
        lines += NO_SERIES
    return lines + remainder_function(remainder, printer.doprint, near_args)


def _with_helpers(body):
    """``body`` and the numeric helpers it calls (each once, last)."""
    for name, helper in (("_lgamma_remainder(", LGAMMA_REMAINDER), ("_log1pmx(", LOG1PMX),
                         ("_expm1mx(", EXPM1MX), ("_log1p(", LOG1P)):
        if any(name in line for line in body):
            body = body + helper
    return body


def _entrywise(plan, terms):
    """``(groups, rest, vectors, differences, views)``: the terms that are one
    expression at every index of vector arguments of one length
    (``p_i log1p(-d_i / q_i)`` for i = 1..K), each group as that expression
    in the whole arguments (``(rows, K)`` arrays, evaluated at once and
    summed as a product with ones: one contiguous pass instead of K strided
    columns), and the other terms; the vector arguments and the vector
    differences (``name: (q argument, p argument)``) the groups need, and the
    entry differences as views of those (``{d symbol: "d_p[..., i]"}``, no
    second subtraction)."""
    where = {symbol: (a, index[0]) for a, index, symbol in vector_entries(plan) if len(a.shape) == 1}
    entry_differences = {}  # d symbol -> (vector difference name, q argument, p argument, index)
    taken = {s.name for s in plan.symbols} | {d.name for d in plan.differences}
    for d, (q, p) in plan.differences.items():
        if q in where and p in where and where[q][1] == where[p][1]:
            base = where[p][0].name[:-len("_p")] if where[p][0].name.endswith("_p") else where[p][0].name
            name = f"d_{base}"
            while name in taken:
                name += "_v"
            entry_differences[d] = (name, where[q][0], where[p][0], where[q][1])
    groups = {}
    rest = []
    for term in terms:
        symbols = term.free_symbols
        indices = {where[s][1] for s in symbols if s in where} \
            | {entry_differences[s][3] for s in symbols if s in entry_differences}
        lengths = {where[s][0].shape[0] for s in symbols if s in where} \
            | {entry_differences[s][1].shape[0] for s in symbols if s in entry_differences}
        if len(indices) != 1 or len(lengths) != 1:
            rest.append(term)
            continue
        swap = {}
        for s in symbols:
            if s in where:
                swap[s] = sympy.Symbol(where[s][0].name, **s.assumptions0)
            elif s in entry_differences:
                swap[s] = sympy.Symbol(entry_differences[s][0], **s.assumptions0)
            else:  # a scalar parameter or difference, against the rows
                swap[s] = sympy.Symbol(f"{s.name}[..., None]", **s.assumptions0)
        template = term.xreplace(swap)
        groups.setdefault(template, []).append((indices.pop(), lengths.pop(), term))
    vectorised, vectors, differences = [], [], {}
    for template, members in groups.items():
        size = members[0][1]
        if sorted(i for i, _, _ in members) != list(range(size)):
            rest += [term for _, _, term in members]
            continue
        vectorised.append((template, size))
        for term in (t for _, _, t in members):
            for s in term.free_symbols:
                if s in where and where[s][0].name not in vectors:
                    vectors.append(where[s][0].name)
                if s in entry_differences:
                    name, q, p, _ = entry_differences[s]
                    differences[name] = (q.name, p.name)
                    vectors += [a.name for a in (q, p) if a.name not in vectors]
    keep = [t for t in terms if t in rest]  # the order of the closed form
    views = {d: f"{name}[..., {i}]" for d, (name, _, _, i) in entry_differences.items()
             if name in differences}
    return vectorised, keep, vectors, differences, views


def _width(plan):
    """Entries per row of the widest argument (1 when all are scalars)."""
    return max([len(a.entries) for a in plan.arguments] + [1])


def _header(plan, accuracy, large, remainder, summed=None):
    return f'''"""{documentation(plan, accuracy, large=bool(large), remainder=remainder, summed=summed)}"""

import os

import numpy
import scipy.special

SERIES_BELOW = {plan.switch!r}
NONNEGATIVE = {plan.nonnegative!r}  # a divergence: rounding never makes it negative
CANCELLED = {CANCELLED!r}  # EPS / LOST: |result| below this times the size of its terms lost more than LOST
FAR_APART = {FAR_APART!r}  # relative differences of positive parameters beyond which no series is tried
CONVERGES = {CONVERGES!r}  # ratio of successive series terms below which its last term bounds the rest
ORDER = {plan.series.order if plan.series is not None else 0!r}  # of the series near p = q
LOST = {LOST!r}  # relative rounding error of the closed form beyond which _remainder replaces it
EPS = {EPS!r}  # double precision: the closed form's rounding is about EPS times its terms
BLOCK = {BLOCK!r}  # numbers per argument evaluated together (their temporaries stay in cache)
WIDTH = {_width(plan)!r}  # entries per row of the widest argument
DENSE = {DENSE!r}  # share of a block's candidates from which it is taken whole (see _gather)


def _inputs(*arrays):
    """Float64 arrays, and the dtype of the result (float32 only if every
    floating input is float32).  (Read from ``dtype.kind``: numpy.issubdtype
    costs about 1 us a call, a quarter of a scalar call's fixed cost.)"""
    converted = [numpy.asarray(a) for a in arrays]
    kinds = {{a.dtype for a in converted if a.dtype.kind == "f"}}
    dtype = _FLOAT64 if not kinds or kinds == {{_FLOAT64}} else numpy.result_type(*kinds)
    scalar = all(a.ndim == 0 for a in converted)
    return [a if a.dtype == _FLOAT64 else a.astype(_FLOAT64) for a in converted], (dtype, scalar)


_FLOAT64 = numpy.dtype(numpy.float64)


def _broadcast(*arrays):
    """numpy.broadcast_arrays, without its cost (a few us) where the shapes agree."""
    shape = arrays[0].shape
    if all(a.shape == shape for a in arrays):
        return list(arrays)
    return numpy.broadcast_arrays(*arrays)


def _output(out, dtype):
    dtype, scalar = dtype
    out = out.astype(dtype, copy=False)
    return out[()] if scalar else out


def _blocks(shape, width):
    """``(offset, rows)``: blocks of about BLOCK numbers per argument (results
    times ``width`` entries) along the first axis, from row ``offset``."""
    size = width
    for n in shape:
        size *= n
    if not shape or size <= BLOCK:
        yield 0, Ellipsis
        return
    step = max(1, BLOCK * shape[0] // size)
    for start in range(0, shape[0], step):
        yield start, slice(start, start + step)


def _each_block(evaluate, out, arrays, width, workers, **keywords):
    """``evaluate(out[rows], *[a[rows] for a in arrays], offset=offset, **keywords)``
    for every block of ``_blocks``: in turn, or on ``workers`` threads (NumPy
    and SciPy release the GIL in their loops).  The first error in block order
    is raised, and the candidates are put back in block order: the results
    are those of the blocks in turn, to the bit."""
    workers = _workers(workers)
    blocks = list(_blocks(out.shape, width))
    if workers == 1 or len(blocks) == 1:
        for offset, rows in blocks:
            evaluate(out[rows], *[a[rows] for a in arrays], offset=offset, **keywords)
        return
    pool = _pool(workers)
    futures = [pool.submit(evaluate, out[rows], *[a[rows] for a in arrays], offset=offset, **keywords)
               for offset, rows in blocks]
    try:
        for future in futures:
            future.result()
    finally:
        for future in futures:
            future.cancel()
    keywords["candidates"].sort(key=lambda c: c[0].start if isinstance(c[0], slice) else int(c[0][0]))


def _workers(workers):
    """The number of threads ``workers`` asks for (-1: one per CPU this
    process may run on)."""
    if workers == -1:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if isinstance(workers, (int, numpy.integer)) and not isinstance(workers, bool) and workers >= 1:
        return int(workers)
    raise ValueError(f"workers must be a positive integer, or -1 for one thread per CPU; "
                     f"got workers={{workers!r}}")


_POOLS = {{}}  # workers -> the module's ThreadPoolExecutor of that size, made on first use


def _pool(workers):
    if workers not in _POOLS:
        from concurrent.futures import ThreadPoolExecutor
        _POOLS.setdefault(workers, ThreadPoolExecutor(workers, thread_name_prefix="klsym"))
    return _POOLS[workers]


def _require(ok, constraint, owners, values, offset=0):
    ok = numpy.asarray(ok, dtype=bool)
    if ok.all():
        return
    index = tuple(int(i) for i in numpy.argwhere(~ok)[0])
    shown = ", ".join(f"{{k}}={{numpy.broadcast_to(v, ok.shape)[index].item()!r}}"
                      for k, v in values.items())
    where = f" at index {{(index[0] + offset,) + index[1:]}}" if index else ""
    raise ValueError(f"{{' and '.join(owners)}} must satisfy {{constraint}}; got {{shown}}{{where}}")


def _holds(x, op, bound):
    """``x op bound`` everywhere, with one reduction (a NaN fails it)."""
    if not x.size:
        return True
    extreme = x.min() if op in (">", ">=") else x.max()
    return {{">": extreme > bound, ">=": extreme >= bound,
            "<": extreme < bound, "<=": extreme <= bound}}[op]


def _require_bound(x, op, bound, constraint, owners, values, offset=0):
    """``x op bound`` checked with one reduction (a NaN fails it too); the
    elementwise test only runs to name the first offending element."""
    if not _holds(x, op, bound):
        ok = {{">": numpy.greater, ">=": numpy.greater_equal,
               "<": numpy.less, "<=": numpy.less_equal}}[op](x, bound)
        _require(ok, constraint, owners, values, offset)


def _close(a, b, terms, eps):
    """Equal up to the rounding of a sum of ``terms`` inputs of precision ``eps``."""
    return numpy.abs(numpy.asarray(a) - b) <= 64 * eps * terms


def _gather(candidates, suspect, offset, magnitude, plain, args):
    """Keep the elements of a block whose closed form cancelled: their flat
    indices, the size of their terms (with, then without, what their sums of
    several terms may round to) and the series' arguments; in a block of
    near-equal pairs (DENSE of it or more), all of it as it is, with the mask
    of the candidates."""
    shape = suspect.shape
    row = suspect.size // shape[0] if shape else 1
    if not shape:  # one scalar, and it is a candidate
        candidates.append((numpy.zeros(1, dtype=numpy.intp), numpy.reshape(magnitude, 1),
                           numpy.reshape(plain, 1), [numpy.reshape(a, 1) for a in args], None))
        return
    if len(shape) == 1 and numpy.count_nonzero(suspect) >= DENSE * suspect.size:
        # no copy: picking nearly every element would cost more than the
        # remainder form on the rest
        whole = lambda a: a if numpy.shape(a) == shape else numpy.broadcast_to(a, shape)  # noqa: E731
        candidates.append((slice(offset, offset + shape[0]), whole(magnitude), whole(plain),
                           [whole(a) for a in args], suspect))
        return
    # one pass to find them; then the cost is that of the few elements taken
    # (a 1-d array indexed directly: a broadcast view or a tuple of indices
    # is twice as slow)
    where = numpy.flatnonzero(suspect)
    if len(shape) == 1:
        pick = lambda a: (a if numpy.shape(a) == shape else numpy.broadcast_to(a, shape))[where]  # noqa: E731
    else:
        index = numpy.unravel_index(where, shape)
        pick = lambda a: numpy.broadcast_to(a, shape)[index]  # noqa: E731
    candidates.append((where + offset * row, pick(magnitude), pick(plain), [pick(a) for a in args], None))


def _chunked(function, args):
    """``function(*args)`` (its results as a tuple) on 1-d arrays, a chunk of
    BLOCK / 8 elements at a time: the temporaries of a long formula stay in
    cache (measured: the beta KL's ``_size``, 25% faster)."""
    size, step = args[0].size, max(1, BLOCK // 8)
    if size <= step:
        value = function(*args)
        return tuple(v if numpy.shape(v) == (size,) else numpy.broadcast_to(v, (size,))
                     for v in (value if isinstance(value, tuple) else (value,)))
    out = None
    for start in range(0, size, step):
        value = function(*[a[start:start + step] for a in args])
        value = value if isinstance(value, tuple) else (value,)
        if out is None:
            out = tuple(numpy.empty(size) for _ in value)
        for o, v in zip(out, value):
            o[start:start + step] = v
    return out


def _no_closed_form(mask, condition, offset):
    if numpy.any(mask):
        index = tuple(int(i) for i in numpy.argwhere(numpy.asarray(mask))[0])
        where = f" (first at index {{(index[0] + offset,) + index[1:]}})" if index else ""
        raise NotImplementedError(f"no closed form where {{condition}}{{where}}; "
                                  "use klsym.kl(..., numeric=True) there")


'''


#: helpers of a module over vectors of any length (:func:`summed_source`)
#: whose rows may cancel
SUMMED_HELPERS = r'''

def _gather_rows(candidates, suspect, offset, terms, size, plain, args):
    """Keep the rows of a block whose sum over entries cancelled: their flat
    indices, and for each of their entries the term's value, the size of its
    terms (with, then without, what their sums of several terms may round
    to) and the series' arguments, as ``(rows, K)`` arrays."""
    row = suspect.size // suspect.shape[0] if suspect.shape else 1
    where = numpy.flatnonzero(suspect) + offset * row
    shape = suspect.shape + terms[0].shape[-1:]
    if suspect.all():  # every row (near-equal pairs): the block as it is, no copy
        pick = lambda a: numpy.broadcast_to(a, shape).reshape(-1, shape[-1])  # noqa: E731
    else:
        pick = lambda a: numpy.broadcast_to(a, shape)[suspect]  # noqa: E731
    value = pick(terms[0])
    for t in terms[1:]:
        value = value + pick(t)
    candidates.append((where, value, pick(size), pick(plain), [pick(a) for a in args]))


def _near_rows(flat, candidates):
    """The rows whose sum over entries cancelled: each of their entries whose
    own term cancelled through _near_group (its remainder form and series
    where they are better), then the rows summed again (never below 0 for a
    divergence)."""
    for where, value, size, plain, args in candidates:
        entries, size = value.reshape(-1), size.reshape(-1)
        cancelled = numpy.flatnonzero(entries < CANCELLED * size)
        if cancelled.size:
            _near_group(entries, cancelled, size[cancelled], plain.reshape(-1)[cancelled],
                        [a.reshape(-1)[cancelled] for a in args], None)
        total = value @ numpy.ones(value.shape[-1])
        flat[where] = numpy.maximum(total, 0.0) if NONNEGATIVE_SUM else total
'''


def summed_source(found, accuracy=None):
    """Python source of a module defining ``<quantity>(...)`` of vectors of
    any length (the last axis) from ``found``, an
    :class:`~klsym.codegen.entries.Entries`: the plan of one entry's term,
    evaluated on every entry of a block of rows at once and summed as a
    product with ones.  Where a row's sum cancelled (EPS times the size of
    its entries' terms above LOST of it), each of its entries goes through
    the remainder form and the series of the entry's plan, and the row is
    summed again; the equations of the vectors (entries summing to 1) are
    checked row by row."""
    plan = found.plan
    printer = make_printer("numpy")
    code = printer.doprint
    branches, series_terms, ratios = prepared(plan, "numpy")
    names = [a.name for a in plan.arguments]
    near_args = near_arguments(plan, series_terms)
    remainder = remainder_form(plan, "numpy", near_args.split(", "))
    near = plan.series is not None or remainder is not None
    (_, closed), = branches
    terms = closed.as_ordered_terms()
    listed = ", ".join(names)

    body = [f"def {plan.quantity}({listed}, *, validate=True, workers=1):",
            f'    """{plan.title} for vectors of any length K (the last axis holds the',
            "    entries; broadcasting over the others).",
            "",
            f"    Parameters are {listed}, each a vector of the same length on its last axis.",
            "    NumPy arrays, float32 in gives float32 out; vectors give a scalar.",
            "    With validate=False invalid parameters are not checked (the result is",
            "    then NaN or meaningless there).",
            *WORKERS_NOTE,
            '    """',
            f"    ({listed},), dtype = _inputs({listed},)",
            f"    _vectors({', '.join(f'{n}={n}' for n in names)})",
            f"    shape = numpy.broadcast_shapes({', '.join(f'{n}.shape' for n in names)})",
            f"    vectors = [numpy.broadcast_to(v, shape) for v in ({listed},)]",
            "    out = numpy.empty(shape[:-1])",
            "    candidates = []  # rows whose sum over entries cancelled, from every block",
            "    _each_block(_evaluate, out, vectors, shape[-1], workers, validate=validate, "
            "eps=numpy.finfo(dtype[0]).eps, candidates=candidates)"]
    if near:
        body += ["    if candidates:",
                 "        with numpy.errstate(all='ignore'):",
                 "            _near_rows(out.reshape(-1), candidates)"]
    body += ["    return _output(out, (dtype[0], out.ndim == 0))",
             "", "",
             f"def _evaluate(out, {listed}, validate, offset, eps, candidates):",
             '    """The result for one block of rows, written into ``out``."""']
    checks = validation(plan, printer, "        ", extra=", offset", arrays=False, bounds=True)
    for name, constant, text in found.sums:
        checks.append(f"        total = {name} @ numpy.ones({name}.shape[-1])")
        checks.append(f"        _require(_close(total, {code(constant)}, {name}.shape[-1], eps), "
                      f"{text!r}, [{name!r}], {{'sum({name})': total}}, offset)")
    if checks:
        body += ["    if validate:"] + checks
    body.append("    with numpy.errstate(all='ignore'):")
    for d, (q, p) in plan.differences.items():
        body.append(f"        {d.name} = {q.name} - {p.name}")
    body += [f"        t{i} = {code(term)}" for i, term in enumerate(terms)]
    body.append(f"        ones = numpy.ones({names[0]}.shape[-1])")
    parts = [f"t{i} @ ones" for i in range(len(terms))]
    if len(parts) > 1:
        body.append(f"        numpy.add({parts[0]}, {parts[1]}, out=out)")
        body += [f"        out += {part}" for part in parts[2:]]
    else:
        body.append(f"        out[...] = {parts[0]}")
    if near:
        # each entry's size of terms, as the entry's own module estimates it;
        # a row cancelled where its sum is small against theirs
        sizes, sums = term_sizes(terms, code), summed_sizes(terms, code)
        body.append(f"        size = {sizes[0]}")
        body += [f"        size += {part}" for part in sizes[1:]]
        if sums:
            body.append("        plain = size.copy()")
            body += [f"        size += {part}" for part in sums]
        else:
            body.append("        plain = size")
        body += ["        suspect = out < CANCELLED * (size @ ones)",
                 "        if suspect.any():",
                 f"            _gather_rows(candidates, suspect, offset, "
                 f"({', '.join(f't{i}' for i in range(len(terms)))},), size, plain, ({near_args},))"]
        body += _near_functions(plan, printer, series_terms, ratios, None, remainder, near_args,
                                dispatch=False)
        body += SUMMED_HELPERS.rstrip("\n").splitlines()
    body += VECTORS_HELPER
    body += tail_helpers(TAIL_NAMES, [closed] + list(series_terms) + list(ratios))
    body = _with_helpers(body)
    header = _header(plan, accuracy, None, remainder is not None,
                     summed=[text for _, _, text in found.sums])
    old = f"NONNEGATIVE = {plan.nonnegative!r}  # a divergence: rounding never makes it negative\n"
    assert old in header
    header = header.replace(old, f"NONNEGATIVE = {plan.nonnegative!r}  # one entry's term may be negative\n"
                            f"NONNEGATIVE_SUM = {found.quantity == 'kl'!r}  # a divergence: "
                            "the sum over entries is never negative\n")
    return header + "\n".join(body) + "\n"
