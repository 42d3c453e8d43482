"""eucoalition: EU Council voting under Chinese economic pressure.

Exact Treaty arithmetic (:mod:`model.rules`), exact voting power and passage probability
(:mod:`model.power`, :mod:`model.blocking`), and an agent-based model of the member states,
China and the Commission (:mod:`model.council`) run as experiments (:mod:`model.experiment`).

Python API::

    from model import vote, power_indices, passage_probability, cheapest_blocking_coalition
    from model import run_experiment
"""

from __future__ import annotations

from collections.abc import Mapping

__version__ = "0.1.0"

__all__ = ["vote", "power_indices", "passage_probability", "cheapest_blocking_coalition",
           "run_experiment", "__version__"]


def vote(rule: str, positions: Mapping[str, str], population=None, others: str = "abstain"):
    """Evaluate one vote; states missing from ``positions`` take ``others``.

    ``population`` is None (Council 2025 figures), a table name ('eurostat2024', ...), a CSV
    path, or a mapping iso2 -> integer population. Returns a :class:`model.rules.Outcome`.

    >>> vote("comitology", {"DE": "against", "FR": "for"}).outcome
    'no_opinion'
    """
    from .data import load_population, normalise_iso2
    from .rules import vote as evaluate

    if population is None or isinstance(population, (str, bytes)) or hasattr(population, "__fspath__"):
        population = load_population(population).to_dict()
    full = dict.fromkeys(population, others)
    for code, position in positions.items():
        full[normalise_iso2(code, field="positions")] = position
    return evaluate(rule, full, dict(population))


def __getattr__(name: str):
    # Lazy imports keep `import model` light for the command line.
    if name in ("power_indices", "passage_probability"):
        from . import power

        return getattr(power, name)
    if name == "cheapest_blocking_coalition":
        from .blocking import cheapest_blocking_coalition

        return cheapest_blocking_coalition
    if name == "run_experiment":
        from .experiment import run_experiment

        return run_experiment
    raise AttributeError(name)
