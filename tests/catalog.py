"""Which registered families the table-driven tests iterate over."""

import klsym

#: univariate families (one declaration each); the reference module covers them all
UNIVARIATE = [n for n in klsym.families() if isinstance(klsym.family(n), klsym.Family)]

#: families with a dimension, at the dimensions the tests use
DIMENSIONAL = {"mvnormal": (1, 2, 3), "dirichlet": (2, 3), "categorical": (2, 3),
               "multinomial": (2, 3)}


def scaling_roles(family):
    """How each parameter moves when X becomes c X, read off the density:
    ``"scale"`` (theta -> c theta), ``"rate"`` (theta -> theta / c),
    ``"location"`` (with the scale parameters; theta -> c theta), or None.

    A family whose density satisfies ``p(c x; moved) c = p(x; theta)`` for a
    positive ``c`` with the roles assigned has them; the search tries each
    assignment of scale/rate to its positive parameters.
    """
    import itertools

    import sympy

    if family.discrete or family.variable is None:
        return {s: None for s in family.params}
    c = sympy.Symbol("c", positive=True)
    x = family.variable
    positive = [s for s in family.params if s.is_positive]
    real = [s for s in family.params if not s.is_positive and not s.is_integer]
    for roles in itertools.product((None, "scale", "rate"), repeat=len(positive)):
        if not any(roles):
            continue
        for location in itertools.product((None, "location"), repeat=len(real)):
            assigned = dict(zip(positive, roles)) | dict(zip(real, location))
            moved = {s: s * c if r in ("scale", "location") else s / c if r == "rate" else s
                     for s, r in assigned.items()}
            transformed = family.pdf.subs(moved, simultaneous=True).subs(x, c * x) * c
            if sympy.simplify(transformed - family.pdf) == 0:
                return assigned
    return {s: None for s in family.params}
