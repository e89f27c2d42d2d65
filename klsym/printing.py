"""LaTeX output in textbook notation.

SymPy prints ``polygamma(0, x)`` and ``loggamma(x)`` as operator names; a
textbook writes ``\\psi(x)`` and ``\\ln\\Gamma(x)``.  The printer dispatches on
the expression's class, so every derived expression prints the same way.
"""

import sympy
from sympy.printing.latex import LatexPrinter


class TextbookLatexPrinter(LatexPrinter):
    """LaTeX with digamma, log-gamma and exponential-integral notation."""

    def _print_Symbol(self, expr, style="plain"):
        # the contract spells lambda "lam" (a Python keyword otherwise)
        head, sep, tail = expr.name.partition("_")
        if head == "lam":
            expr = sympy.Symbol("lambda" + sep + tail)
        return super()._print_Symbol(expr, style)

    def _print_polygamma(self, expr, exp=None):
        order, arg = expr.args
        head = r"\psi" if order == 0 else r"\psi^{(%s)}" % self._print(order)
        if exp is not None:
            head = r"%s^{%s}" % (head, exp) if order == 0 else r"\left(%s\right)^{%s}" % (head, exp)
        return r"%s\left(%s\right)" % (head, self._print(arg))

    def _print_loggamma(self, expr, exp=None):
        body = r"\ln\Gamma\left(%s\right)" % self._print(expr.args[0])
        return r"\left(%s\right)^{%s}" % (body, exp) if exp is not None else body

    def _print_expint(self, expr, exp=None):
        order, arg = expr.args
        body = r"E_{%s}\left(%s\right)" % (self._print(order), self._print(arg))
        return r"\left(%s\right)^{%s}" % (body, exp) if exp is not None else body


def latex(expr, **settings):
    """LaTeX of ``expr`` in textbook notation.

    Examples
    --------
    >>> import sympy
    >>> a = sympy.Symbol("alpha", positive=True)
    >>> print(latex(sympy.polygamma(0, a) - sympy.loggamma(a)))
    - \\ln\\Gamma\\left(\\alpha\\right) + \\psi\\left(\\alpha\\right)
    """
    return TextbookLatexPrinter(settings).doprint(sympy.sympify(expr))
