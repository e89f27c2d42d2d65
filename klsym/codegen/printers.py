"""One expression, several targets: the expression printers of the backends.

Each backend is a table from SymPy function names to the target's
functions; a plan that needs a function missing from the table is refused
when the code is generated (:class:`UnsupportedFunction`), never printed as
code that would fail at run time.  Numeric constants (``log(2)``,
``EulerGamma``, ``zeta(3)``) are folded to the nearest double first, so no
backend needs them; conditions print with ``&``, ``|``, ``~``, which NumPy
arrays, PyTorch tensors and JAX arrays all understand.
"""

import sympy
from sympy.printing.c import C99CodePrinter
from sympy.printing.numpy import NumPyPrinter
from sympy.printing.precedence import PRECEDENCE

from ..errors import KlsymError
from .floating import LOGI0_SWITCH, LOGI0_TERMS, polygamma_zeta_factor


class UnsupportedFunction(KlsymError, NotImplementedError):
    """A backend has no counterpart for a function the closed form needs."""


def _gamma_through_loggamma(printer, expr):
    """``Gamma(u) = exp(lgamma(u))`` for a provably positive ``u`` (the only
    case where ``lgamma`` keeps the sign)."""
    (u,) = expr.args
    if not u.is_positive:
        raise UnsupportedFunction(f"{printer.backend} has Gamma only through lgamma, which "
                                  f"needs a positive argument; {u} is not known to be positive")
    return printer._print(sympy.exp(sympy.loggamma(u)))


def _scaled_bessel(names):
    """``ive(n, x)`` for the orders a backend has (``i0e``, ``i1e``)."""
    def emit(printer, expr):
        n, x = expr.args
        if n not in names:
            raise UnsupportedFunction(f"{printer.backend} has no exponentially scaled Bessel "
                                      f"I of order {n}")
        return f"{printer._fmt(names[n])}({printer._print(x)})"
    return emit


def _logi0(where, minimum, log1p, log, i0e):
    """``log I_0(x)``, x >= 0: ``log1p`` of the series of ``I_0(x) - 1`` (in
    ``y = x^2 / 4``, Horner form, as an inline ``lambda y``) below the switch, ``log(i0e(x)) + x`` above;
    the series is given ``min(x, switch)`` so that neither branch overflows
    (nor has an infinite gradient where it is not taken)."""
    def emit(printer, expr):
        x = printer._print(expr.args[0])
        series = "1.0"
        for j in range(LOGI0_TERMS, 1, -1):
            series = f"(1.0 + y / {j * j}.0 * {series})"
        small = (f"(lambda y: {printer._fmt(log1p)}(y * {series}))"
                 f"({printer._fmt(minimum)}({x}, {LOGI0_SWITCH}.0)**2 / 4)")
        large = f"({printer._fmt(log)}({printer._fmt(i0e)}({x})) + {x})"
        return f"{printer._fmt(where)}({x} < {LOGI0_SWITCH}.0, {small}, {large})"
    return emit


def _tail(kind):
    """``lgamma_tail(u)``, ``digamma_tail(u)``, ``logi0_tail(x)``,
    ``bessel_ratio_tail(x)`` (see :mod:`klsym.codegen.floating`) as a call of
    the helper the generated module defines with them."""
    def emit(printer, expr):
        return f"_{kind}_tail({printer._print(expr.args[0])})"
    return emit


def _polygamma_tail(printer, expr):
    """``polygamma_tail(n, u)``: a call of the helper ``_polygamma_tail<n>``."""
    n, u = expr.args
    return f"_polygamma_tail{int(n)}({printer._print(u)})"


def _exp1_scaled(printer, expr):
    """``exp(x) E_1(x)``: a call of the helper the generated module defines."""
    return f"_exp1_scaled({printer._print(expr.args[0])})"


TAILS = {f"{kind}_tail": _tail(kind) for kind in ("lgamma", "digamma", "logi0", "bessel_ratio")} \
    | {"polygamma_tail": _polygamma_tail}


def _polygamma(digamma, polygamma):
    def emit(printer, expr):
        n, x = expr.args
        if n == 0:
            return f"{printer._fmt(digamma)}({printer._print(x)})"
        if polygamma is None:
            raise UnsupportedFunction(f"{printer.backend} has no polygamma of order {n}")
        return f"{printer._fmt(polygamma)}({int(n)}, {printer._print(x)})"
    return emit


def _polygamma_through_zeta(digamma, zeta):
    """``psi^(n)(x) = (-1)^(n+1) n! zeta(n+1, x)`` for ``n >= 1``: PyTorch's own
    polygamma loses digits (trigamma near 2 to 3e-10), its Hurwitz zeta does
    not."""
    def emit(printer, expr):
        n, x = expr.args
        if n == 0:
            return f"{printer._fmt(digamma)}({printer._print(x)})"
        return zeta_polygamma(printer._fmt(zeta))(int(n), printer._print(x))
    return emit


def zeta_polygamma(zeta):
    """``(n, x) -> source of psi^(n)(x)`` through the Hurwitz zeta function
    named ``zeta``, ``n >= 1``."""
    return lambda n, x: f"{float(polygamma_zeta_factor(n))!r} * {zeta}({n + 1}.0, {x})"


def _own_polygamma(digamma):
    """``psi^(n)(x)``: the digamma for ``n = 0``, else a call of the helper
    ``_polygamma<n>`` the generated module defines."""
    def emit(printer, expr):
        n, x = expr.args
        if n == 0:
            return f"{printer._fmt(digamma)}({printer._print(x)})"
        return f"_polygamma{int(n)}({printer._print(x)})"
    return emit


def _x_log(xlog, log):
    """``xlogy(x, y)`` / ``xlog1py(x, y)``: ``x * log(y)`` where ``x`` is known
    positive (the 0 log 0 convention is then moot, and the plain product is
    faster), the target's ``xlogy`` otherwise."""
    def emit(printer, expr):
        x, y = expr.args
        if x.is_positive:
            return (f"{printer.parenthesize(x, PRECEDENCE['Mul'])} * "
                    f"{printer._fmt(log)}({printer._print(y)})")
        return f"{printer._fmt(xlog)}({printer._print(x)}, {printer._print(y)})"
    return emit


def _expint(exp1):
    def emit(printer, expr):
        n, x = expr.args
        if n != 1 or exp1 is None:
            raise UnsupportedFunction(f"{printer.backend} has no exponential integral E_{n}")
        return f"{printer._fmt(exp1)}({printer._print(x)})"
    return emit


def _hurwitz_zeta(name):
    """``zeta(s)`` or ``zeta(s, a)`` where the target only has the two-argument form."""
    def emit(printer, expr):
        s, a = (expr.args + (sympy.S.One,))[:2]
        return f"{printer._fmt(name)}({printer._print(s)}, {printer._print(a)})"
    return emit


def _python_table(module, special):
    names = ("exp", "log", "log1p", "expm1", "cos", "sin", "sqrt", "floor")
    return {f: f"{module}.{f}" for f in names} | special


#: the remainder form's functions: the module's own helpers (each backend
#: prints its own: klsym.codegen.numpy_backend, array_backend, c_backend)
_REMAINDERS = {
    "lgamma_remainder": lambda p, e: f"_lgamma_remainder({p._print(e.args[0])}, {p._print(e.args[1])})",
    "log1pmx": lambda p, e: f"_log1pmx({p._print(e.args[0])})",
    "expm1mx": lambda p, e: f"_expm1mx({p._print(e.args[0])})"}

#: SymPy function name -> the target's function (a name, or a callable for
#: anything that is not a one-to-one rename); absent means unsupported
FUNCTIONS = {
    "numpy": _python_table("numpy", {
        "loggamma": "scipy.special.gammaln", "gamma": "scipy.special.gamma",
        # the module's own _polygamma<n> (recurrence and asymptotic series):
        # scipy's polygamma is a Hurwitz zeta after a digamma of every element,
        # five times slower
        "polygamma": _own_polygamma("scipy.special.digamma"),
        "xlogy": _x_log("scipy.special.xlogy", "numpy.log"),
        # the module's own _log1p (numpy.log and a correction): glibc's log1p
        # is three times slower than its log away from 0
        "log1p": "_log1p", "xlog1py": _x_log("scipy.special.xlog1py", "_log1p"),
        "ive": lambda p, e: f"{p._fmt('scipy.special.ive')}({p._print(e.args[0])}, {p._print(e.args[1])})",
        "logi0": _logi0("numpy.where", "numpy.minimum", "numpy.log1p", "numpy.log",
                        "scipy.special.i0e"),
        **TAILS, "expint": _expint("scipy.special.exp1"), "exp1_scaled": _exp1_scaled,
        "erf": "scipy.special.erf",
        "erfc": "scipy.special.erfc", "zeta": _hurwitz_zeta("scipy.special.zeta"),
        **_REMAINDERS}),
    "torch": _python_table("torch", {
        "loggamma": "torch.lgamma", "gamma": _gamma_through_loggamma,
        "polygamma": _polygamma_through_zeta("torch.special.digamma", "torch.special.zeta"),
        "xlogy": "torch.special.xlogy", "xlog1py": "torch.special.xlog1py",
        "ive": _scaled_bessel({0: "torch.special.i0e", 1: "torch.special.i1e"}),
        "logi0": _logi0("torch.where", "torch.clamp_max", "torch.log1p", "torch.log",
                        "torch.special.i0e"),
        **TAILS, "erf": "torch.special.erf", "erfc": "torch.special.erfc",
        "zeta": _hurwitz_zeta("torch.special.zeta"), **_REMAINDERS}),
    "jax": _python_table("jax.numpy", {
        "loggamma": "jax.scipy.special.gammaln", "gamma": "jax.scipy.special.gamma",
        "polygamma": _polygamma("jax.scipy.special.digamma", "jax.scipy.special.polygamma"),
        # the module's own _log1p: jax.numpy.log1p errs by up to 76 EPS near -0.4
        "xlogy": "jax.scipy.special.xlogy", "log1p": "_log1p", "xlog1py": _x_log("_xlog1py", "_log1p"),
        "ive": _scaled_bessel({0: "jax.scipy.special.i0e", 1: "jax.scipy.special.i1e"}),
        "logi0": _logi0("jax.numpy.where", "jax.numpy.minimum", "jax.numpy.log1p",
                        "jax.numpy.log", "jax.scipy.special.i0e"),
        **TAILS, "expint": _expint("jax.scipy.special.exp1"), "exp1_scaled": _exp1_scaled,
        "erf": "jax.scipy.special.erf",
        "erfc": "jax.scipy.special.erfc", "zeta": _hurwitz_zeta("jax.scipy.special.zeta"),
        **_REMAINDERS}),
    "c99": {f: f for f in ("exp", "log", "log1p", "expm1", "cos", "sin", "sqrt", "floor",
                           "erf", "erfc")}
    | {"loggamma": "lgamma", "gamma": "tgamma", "xlogy": "klsym_xlogy",
       "xlog1py": "klsym_xlog1py", "Abs": "fabs", "lgamma_remainder": "klsym_lgamma_remainder",
       "log1pmx": "klsym_log1pmx", "expm1mx": "klsym_expm1mx"},
}

_ALL = sorted({name for table in FUNCTIONS.values() for name in table}
              | {"besseli", "besselj", "lowergamma", "uppergamma", "beta", "Min", "Max",
                 "LambertW", "Ei", "li", "Si", "Ci", "erfi", "hyper", "meijerg", "atan",
                 "tan", "sinh", "cosh", "tanh", "asin", "acos", "sign", "Heaviside"})


class _Table:
    """Function printing from the backend's table (mixed into a SymPy printer)."""

    backend = None

    def _print_from_table(self, expr):
        name = type(expr).__name__
        rule = FUNCTIONS[self.backend].get(name)
        if rule is None:
            raise UnsupportedFunction(f"the {self.backend} backend has no counterpart for "
                                      f"{name} (in {expr}); use backend='numpy'")
        if callable(rule):
            return rule(self, expr)
        return f"{self._fmt(rule)}({', '.join(self._print(a) for a in expr.args)})"

    def _print_Function(self, expr):
        return self._print_from_table(expr)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}" if expr.q != 1 else str(expr.p)

    def _print_Integer(self, expr):
        return str(expr.p)

    # conditions: elementwise operators every array library understands
    def _print_And(self, expr):
        return " & ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr):
        return " | ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"~({self._print(expr.args[0])})"

    def _print_Relational(self, expr):
        op = {"==": "==", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">="}[expr.rel_op]
        return f"({self._print(expr.lhs)} {op} {self._print(expr.rhs)})"

    _print_Equality = _print_Unequality = _print_StrictLessThan = _print_LessThan = \
        _print_StrictGreaterThan = _print_GreaterThan = _print_Relational


for _name in _ALL:
    setattr(_Table, f"_print_{_name}", _Table._print_from_table)


MAX_PRODUCT_POWER = 32  # beyond, pow() (one rounding) rather than a chain of products


def _cheap(base):
    """A base read more than once by a chain of products: a symbol, or a few
    arithmetic operations on symbols (no function to compute twice)."""
    return base.is_Atom or (not base.atoms(sympy.Function) and sympy.count_ops(base) <= 2)


def _squarings(b, k):
    """``b**k`` (``k >= 0``; None for 0) as squarings (``**2``, which NumPy
    computes as a product) and products with ``b``: a few roundings."""
    if k == 0:
        return None
    text = b
    for bit in bin(k)[3:]:
        text = f"{text}**2" if text == b else f"({text})**2"
        if bit == "1":
            text = f"{text}*{b}"
    return text


class PythonArrayPrinter(_Table, NumPyPrinter):
    """Python source for NumPy/SciPy, PyTorch or JAX (``backend``)."""

    def __init__(self, backend):
        self.backend = backend
        self._module = {"numpy": "numpy", "torch": "torch", "jax": "jax.numpy"}[backend]
        super().__init__({"fully_qualified_modules": True, "allow_unknown_functions": False})

    def _fmt(self, name):
        return self._module_format(name)

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"  # builtin: arrays, tensors and floats

    def _print_Pow(self, expr, rational=False):
        # NumPy's power runs a pow() per element but for the exponents 2 and
        # 1/2 (measured on 65536 doubles: x**3 3.0 ns, x*x*x 0.5; x**(-1.0)
        # 1.6, 1/x 0.4); integer and half-integer exponents are written as
        # squarings, products and a division instead, of a base cheap enough
        # to read more than once
        base, exponent = expr.args
        if (self.backend != "numpy" or not exponent.is_Rational or exponent.q > 2
                or abs(exponent) > MAX_PRODUCT_POWER or not _cheap(base)):
            return super()._print_Pow(expr, rational=rational)
        b = self.parenthesize(base, PRECEDENCE["Pow"])
        k = abs(exponent.p)
        whole = _squarings(b, k // 2 if exponent.q == 2 else k)
        if exponent.q == 2:
            root = f"{self._module}.sqrt({self._print(base)})"
            whole = root if whole is None else f"{whole}*{root}"
        if exponent < 0:
            return f"(1/({whole}))" if "*" in whole or "**" in whole else f"(1/{whole})"
        return f"({whole})" if "*" in whole else whole

    def _print_BooleanTrue(self, expr):
        return "True"

    def _print_BooleanFalse(self, expr):
        return "False"


class CPrinter(_Table, C99CodePrinter):
    """C99 source; helpers the table names (``klsym_xlogy``) come with the module."""

    backend = "c99"

    def __init__(self):
        super().__init__({"strict": False})

    def _fmt(self, name):
        return name

    def _print_Rational(self, expr):
        return f"{expr.p}.0/{expr.q}.0" if expr.q != 1 else f"{expr.p}.0"

    def _print_Integer(self, expr):
        return f"{expr.p}.0"

    def _print_Pow(self, expr):
        base, power = expr.args
        if power == sympy.S.Half:
            return f"sqrt({self._print(base)})"
        if power == -1:
            return f"(1.0/({self._print(base)}))"
        if power in (2, 3):
            b = self.parenthesize(base, sympy.printing.precedence.PRECEDENCE["Mul"])
            return "(" + "*".join([b] * int(power)) + ")"
        return f"pow({self._print(base)}, {self._print(power)})"

    def _print_BooleanTrue(self, expr):
        return "1"

    def _print_BooleanFalse(self, expr):
        return "0"

    def _print_And(self, expr):
        return " && ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Or(self, expr):
        return " || ".join(f"({self._print(a)})" for a in expr.args)

    def _print_Not(self, expr):
        return f"!({self._print(expr.args[0])})"


def printer(backend):
    """The expression printer of ``backend``."""
    return CPrinter() if backend == "c99" else PythonArrayPrinter(backend)


def fold_constants(expr):
    """Numeric subexpressions that are not rational (``log(2)``, ``pi``,
    ``zeta(3)``, ``EulerGamma``) as the nearest double."""
    def constant(e):
        return (e.is_number and not e.is_Rational and not e.is_Float and not e.is_Boolean
                and e.is_real is not False)
    return expr.replace(constant, lambda e: sympy.Float(sympy.N(e, 30), 30))


def functions_needed(exprs):
    """Names of the SymPy functions in ``exprs`` (to check a backend early)."""
    return sorted({type(f).__name__ for e in exprs for f in sympy.sympify(e).atoms(sympy.Function)})


def check_supported(backend, exprs, what):
    """Raise :class:`UnsupportedFunction` if ``backend`` lacks a function of ``exprs``."""
    table = FUNCTIONS[backend]
    missing = [name for name in functions_needed(exprs) if name not in table and name != "Abs"]
    if missing:
        raise UnsupportedFunction(
            f"the {backend} backend has no counterpart for {', '.join(missing)}, which "
            f"{what} needs; use backend='numpy' (or another backend that has it)")
