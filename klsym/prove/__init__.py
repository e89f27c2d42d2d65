"""Machine-checked proofs of KL identities and inequalities.

Every function returns a :class:`Proof` with ``holds`` True (proved), False
(disproved, with a counterexample) or None (unknown, with numerical evidence
listed separately), its steps, and renderings as text, Markdown and LaTeX.
"""

from .divergence import asymmetric, bregman_argument, nonnegative, zero_iff_equal
from .identities import cross_entropy_decomposition, equal
from .lemmas import NUMERIC as NUMERIC_LEMMAS, THEOREMS
from .proof import Proof, Step
from .results import (additivity, change_of_variable, gaussian_split, moment_matching,
                      pinsker_bernoulli)

__all__ = ["NUMERIC_LEMMAS", "Proof", "Step", "THEOREMS", "additivity", "asymmetric", "bregman_argument",
           "change_of_variable", "cross_entropy_decomposition", "equal", "gaussian_split", "moment_matching",
           "nonnegative", "pinsker_bernoulli", "zero_iff_equal"]
