"""Each numeric lemma of the proof library checked with mpmath on a grid and
towards the edges of its domain."""

import mpmath
import pytest
import sympy

from klsym.prove import NUMERIC_LEMMAS
from klsym.prove.lemmas import t

POINTS = ["1e-12", "1e-6", "0.001", "0.1", "0.5", "1", "2", "7.5", "100", "1e6", "1e12"]


@pytest.mark.parametrize("name", sorted(NUMERIC_LEMMAS))
def test_numeric_lemma_holds_on_grid_and_edges(name):
    lemma = NUMERIC_LEMMAS[name]
    relation = lemma.statement
    difference = sympy.lambdify(t, relation.lhs - relation.rhs, "mpmath")
    strict = isinstance(relation, sympy.StrictGreaterThan)
    with mpmath.workdps(50):
        for text in POINTS:
            x = mpmath.mpf(text)
            assert lemma.domain.contains(sympy.Float(text)) == sympy.true
            value = difference(x)
            assert value > 0 if strict else value >= 0, f"{name} fails at t = {text}: {value}"
    assert lemma.citation
