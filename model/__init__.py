"""eucoalition: EU Council voting under Chinese economic pressure.

Exact Treaty arithmetic (:mod:`model.rules`), exact voting power and passage probability
(:mod:`model.power`), and an agent-based model of the member states, China and the Commission.
"""

from .rules import vote as _vote_positions

__version__ = "0.1.0"
