"""The Python API: the Treaty arithmetic on the Council's own figures, and experiments.

These functions accept what an analyst has at hand - a population table by name
(``"council2025"``, ``"eurostat2024"``), the path of a CSV, or a mapping iso2 -> population;
codes with aliases (EL for Greece) - and hand exact integers to the pure functions of
:mod:`model.treaty`. A table must give a figure for every member of the Council unless the
caller says who takes part (``participating``): members left out of both are an error.

The Council is ``composition``: today's EU27 by default, or a composition's name ('eu28',
'eu27_uk', 'enlargement35'), a date (the Council of that day) or the path of a table of members
and populations (a hypothetical Council). Its population table is the default ``population``.
"""

from __future__ import annotations

from collections.abc import Mapping

from .inputs.council import composition as council_composition
from .inputs.council import council_population, normalise_iso2

__all__ = ["vote", "power_indices", "passage_probability", "cheapest_blocking_coalition",
           "run_experiment", "resolve_participants"]


def resolve_participants(participating, *, field: str = "participating",
                         members=None) -> list[str] | None:
    """Participating codes from a list or a comma-separated string (aliases resolved)."""
    if participating is None:
        return None
    if isinstance(participating, str):
        participating = [p for p in participating.split(",") if p.strip()]
    return [normalise_iso2(code, field=field, members=members) for code in participating]


def _council(population, participating, composition=None):
    """Populations of the members, participants and whether the whole Council takes part."""
    comp = council_composition(composition)
    taking_part = resolve_participants(participating, members=comp.members)
    pops = council_population(population if population is not None else comp.population,
                              taking_part, comp.members)
    pops = {s: pops[s] for s in comp.members if s in pops}
    return pops, taking_part, taking_part is None or set(taking_part) >= set(comp.members)


def vote(rule: str, positions: Mapping[str, str], population=None, others: str = "abstain",
         composition=None):
    """Evaluate one vote; members missing from ``positions`` take ``others``.

    ``population`` is None (the composition's table: the Council's 2025 figures for today's
    EU27), a table name ('eurostat2024', ...), a CSV path, or a mapping iso2 -> integer
    population. Returns a :class:`model.treaty.vote.Outcome`.

    >>> vote("comitology", {"DE": "against", "FR": "for"}).outcome
    'no_opinion'
    >>> vote("qmv", {"GB": "against"}, others="for", composition="eu28").tally["for"].states
    27
    """
    from .treaty.vote import vote as evaluate

    comp = council_composition(composition)
    full = dict.fromkeys(comp.members, others)
    for code, position in positions.items():
        full[normalise_iso2(code, field="positions", members=comp.members)] = position
    taking_part = [s for s, p in full.items() if p != "absent"]
    pops = council_population(population if population is not None else comp.population,
                              taking_part, comp.members)
    members = [s for s in comp.members if s in pops]        # states without a figure are absent
    return evaluate(rule, {s: full[s] for s in members}, {s: pops[s] for s in members},
                    full_council=len(taking_part) == len(comp.members))


def power_indices(rule: str = "qmv", population=None, participating=None, composition=None):
    """Exact Banzhaf, Shapley-Shubik and Coleman indices
    (:func:`model.treaty.power.power_indices`) on a population table.

    >>> df = power_indices("qmv")
    >>> df.index[df["shapley_shubik"].argmax()], int(df.attrs["winning_coalitions"])
    ('DE', 17729938)
    """
    from .treaty import power

    pops, taking_part, full = _council(population, participating, composition)
    return power.power_indices(rule, pops, taking_part, full_council=full)


def passage_probability(rule: str, probabilities, population=None, participating=None, *,
                        criticality: bool = True, composition=None):
    """Exact probability that a measure passes (:func:`model.treaty.power.passage_probability`)
    on a population table; every participating member needs probabilities."""
    from .treaty import power

    pops, taking_part, full = _council(population, participating, composition)
    return power.passage_probability(rule, probabilities, pops, taking_part,
                                     criticality=criticality, full_council=full)


def cheapest_blocking_coalition(rule: str, costs, population=None, participating=None,
                                composition=None):
    """The cheapest coalition whose defection stops a measure
    (:func:`model.treaty.blocking.cheapest_blocking_coalition`) on a population table."""
    from .treaty.blocking import cheapest_blocking_coalition as cheapest

    pops, taking_part, full = _council(population, participating, composition)
    return cheapest(rule, costs, pops, taking_part, full_council=full)


def run_experiment(path_or_spec, replications: int | None = None, seed: int | None = None,
                   **options):
    """Run an experiment file (:func:`model.experiments.run.run_experiment`)."""
    from .experiments.run import run_experiment as run

    return run(path_or_spec, replications, seed, **options)
