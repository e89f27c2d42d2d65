"""Exceptions raised by klsym.

Every error is a subclass of a standard Python exception so callers can catch
them without importing klsym-specific names.
"""


class KlsymError(Exception):
    """Base class of every klsym error."""


class ParameterError(KlsymError, ValueError):
    """A parameter value violates its family's declared constraint."""


class UnknownFamilyError(KlsymError, KeyError, ValueError):
    """A family name is not in the registry.

    The message lists the known names (and the closest matches).
    """

    def __str__(self):  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class FamilyDefinitionError(KlsymError, ValueError):
    """A user-supplied family declaration is malformed or not a density."""


class DerivationError(KlsymError, RuntimeError):
    """A derivation could not be finished (timeout or unsupported route).

    Attributes
    ----------
    route : str
        Which derivation route failed, e.g. ``"exponential-family"`` or
        ``"expectation"``.
    """

    def __init__(self, message, route=None):
        super().__init__(message)
        self.route = route


class BudgetExceeded(DerivationError):
    """A derivation ran out of its time budget (a slower or busier machine
    might not): its partial result is never cached."""
