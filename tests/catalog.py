"""Which registered families the table-driven tests iterate over."""

import klsym

#: univariate families (one declaration each); the reference module covers them all
UNIVARIATE = [n for n in klsym.families() if isinstance(klsym.family(n), klsym.Family)]

#: families with a dimension, at the dimensions the tests use
DIMENSIONAL = {"mvnormal": (1, 2, 3), "dirichlet": (2, 3), "categorical": (2, 3),
               "multinomial": (2, 3)}
