"""eucoalition: EU Council voting under Chinese economic pressure.

Exact Treaty arithmetic, voting power and passage probability (:mod:`model.treaty`), the inputs
with their sources and dates (:mod:`model.inputs`), an agent-based model of the member states,
China and the Commission (:mod:`model.abm`), experiments declared as data
(:mod:`model.experiments`), validation against recorded votes (:mod:`model.validation`),
briefings (:mod:`model.reporting`) and the command line (:mod:`model.cli`). Lower layers never
import higher ones.

Python API::

    from model import vote, power_indices, passage_probability, cheapest_blocking_coalition
    from model import run_experiment
"""

from __future__ import annotations

from .version import __version__

__all__ = ["vote", "power_indices", "passage_probability", "cheapest_blocking_coalition",
           "run_experiment", "__version__"]


def __getattr__(name: str):
    # Lazy imports keep `import model` light for the command line.
    if name in __all__[:-1]:
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
