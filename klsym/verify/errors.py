"""Why a reference value could not be computed."""


class NotConverged(ArithmeticError):
    """The reference could not reach the accuracy asked for (or cannot
    handle this density); the message says why.  Such a point is reported
    as not checked, never as passed."""
