"""Built-in families: one small declaration per module.

Each module calls :func:`klsym.define_family` exactly as a user would.
"""
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .chisquared import ChiSquared
from .exponential import Exponential
from .gamma import Gamma
from .geometric import Geometric
from .halfnormal import HalfNormal
from .inversegamma import InverseGamma
from .inversegaussian import InverseGaussian
from .lognormal import LogNormal
from .negativebinomial import NegativeBinomial
from .normal import Normal
from .poisson import Poisson
from .rayleigh import Rayleigh

__all__ = ["Bernoulli", "Beta", "Binomial", "ChiSquared", "Exponential", "Gamma", "Geometric",
           "HalfNormal", "InverseGamma", "InverseGaussian", "LogNormal", "NegativeBinomial",
           "Normal", "Poisson", "Rayleigh"]
