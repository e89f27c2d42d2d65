"""Built-in families: one small declaration per module.

Each module calls :func:`klsym.define_family` exactly as a user would.
"""
from .bernoulli import Bernoulli
from .cauchy import Cauchy
from .gumbel import Gumbel
from .laplace import Laplace
from .pareto import Pareto
from .uniform import Uniform
from .vonmises import VonMises
from .weibull import Weibull
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .dirichlet import Dirichlet
from .multinomial import Multinomial
from .mvnormal import MultivariateNormal
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

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "ChiSquared", "Dirichlet",
           "Exponential", "Gamma", "Geometric", "Gumbel", "HalfNormal", "InverseGamma",
           "InverseGaussian", "Laplace", "LogNormal", "Multinomial", "MultivariateNormal",
           "NegativeBinomial", "Normal", "Pareto", "Poisson", "Rayleigh", "Uniform", "VonMises",
           "Weibull"]
