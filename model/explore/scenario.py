"""From the page's controls to an experiment, and back.

The page edits a *base* experiment (the file given to ``eucoalition explore``, else
:data:`STARTER`): the controls replace what they show (measure, rule, Council, absent states,
China's strategy, budget, instruments and actions in force, the Commission's levers,
replications, seed, fixed parameters) and everything else of the file (rounds, overrides,
context, stages, dated sources of its actions) is kept as it was. The result is a plain dict in
the experiment-file schema, validated by :func:`model.experiments.spec.load_spec` like a file,
so the page, its exported TOML and ``eucoalition run`` on that file use the same spec.

Bad input gives an :class:`~model.errors.InputError` naming the control, with a message to show
on the page.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

from ..errors import InputError
from ..experiments.spec import ExperimentSpec, load_spec, spec_composition
from ..inputs import catalogue
from .choices import DEFAULT_COMPOSITION, MAX_REPLICATIONS

__all__ = ["STARTER", "CONTROLS", "base_experiment", "controls_of", "experiment_of", "spec_of",
           "members_of", "toolbox"]

#: The experiment the page starts from without a file: the flagship's question (the ACI
#: determination, China dividing) without the rare-earth squeeze in force, with fewer
#: replications so that a change shows in about a second.
STARTER = {
    "name": "explorer",
    "description": "Scenario built in the explorer",
    "measure": "aci_determination",
    "replications": 2000,
    "seed": 20251009,
    "china": {"strategy": "divide_and_rule", "budget": 0.5},
}

#: The controls of the page, in the order of the callbacks' inputs.
CONTROLS = ("name", "measure", "rule", "composition", "absent", "strategy", "budget",
            "instruments", "actions", "levers", "replications", "seed", "fixed")

#: Where a control's value goes in the experiment file (for messages).
_FIELDS = {"name": "name", "budget": "china.budget", "replications": "replications",
           "seed": "seed", "absent": "absent"}


def base_experiment(path: str | Path | None = None) -> dict:
    """The experiment the page starts from, as a dict of the file schema (validated).

    Tables named relative to the file are made absolute, and a ``[sweep]`` table is dropped
    (the page shows one scenario).
    """
    if path is None:
        return copy.deepcopy(STARTER)
    spec = load_spec(path)
    raw = spec.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    raw["name"], raw["measure"] = spec.name, spec.measure
    raw.pop("sweep", None)
    if raw.get("population") == spec_composition(spec).population:
        raw.pop("population")           # filled in from the Council; follows a new one
    return raw


def controls_of(raw: dict) -> dict:
    """The page's control values for an experiment dict (the instruments China spends on: the
    file's list, else its default toolbox)."""
    china = raw.get("china", {})
    return {
        "name": raw["name"],
        "measure": raw["measure"],
        "rule": raw.get("rule") or "",
        "composition": raw.get("composition") or DEFAULT_COMPOSITION,
        "absent": list(raw.get("absent", [])),
        "strategy": china.get("strategy", "none"),
        "budget": raw.get("overrides", {}).get("china.budget", china.get("budget", 0.0)),
        "instruments": list(china.get("instruments") or toolbox()),
        "actions": list(dict.fromkeys(a["instrument"] for a in china.get("actions", []))),
        "levers": list(raw.get("commission", {}).get("options", [])),
        "replications": raw.get("replications", 1000),
        "seed": raw.get("seed", 0),
        "fixed": bool(raw.get("fixed_parameters", False)),
    }


def _whole(value, control: str, low: int, high: int | None = None) -> int:
    """A whole number in [low, high] from a page input (None when the box is empty)."""
    span = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
    if (value is None or isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value != int(value)
            or value < low or (high is not None and value > high)):
        raise InputError(f"must be a whole number {span} (got {value!r})",
                         field=_FIELDS[control])
    return int(value)


def _budget(value) -> float:
    if (value is None or isinstance(value, bool) or not isinstance(value, (int, float))
            or not math.isfinite(value) or value < 0):
        raise InputError(f"must be a number of at least 0 (got {value!r})",
                         field="china.budget")
    return float(value)


def toolbox() -> list[str]:
    """China's default toolbox: what its strategy spends on when the file lists no instruments
    (``toolbox = true`` in params/instruments.toml), in the catalogue's order."""
    return [name for name, ins in catalogue.instruments().items() if ins.toolbox]


def _instruments(chosen: list[str] | None, base: list[str] | None,
                 spends: bool) -> list[str] | None:
    """China's instruments for its budget: the base file's list when the same set is chosen;
    None (no list: the default toolbox) when the toolbox is chosen exactly; else the chosen
    ones in the catalogue's order (the order of clicks does not matter). None chosen is an
    error only when China spends (the file schema has no empty choice)."""
    every = list(catalogue.instruments())
    if chosen is None or (not chosen and not spends):
        return base
    if not chosen:
        raise InputError("choose at least one instrument for China's budget (or the strategy "
                         "'none')", field="china.instruments")
    if base is not None and set(chosen) == set(base):
        return list(base)
    if set(chosen) == set(toolbox()):
        return None
    return [name for name in every if name in set(chosen)]


def _actions(base: list[dict], chosen: list[str]) -> list[dict]:
    """China's actions in force: the base file's entries for the instruments still chosen (with
    their dates and sources), and new ones from round 0 on the exposed states."""
    kept = [a for a in base if a["instrument"] in chosen]
    have = {a["instrument"] for a in kept}
    return kept + [{"instrument": name} for name in chosen if name not in have]


def experiment_of(controls: dict, base: dict) -> dict:
    """The experiment dict of the page: ``base`` with the controls' values (not yet validated
    against the schema; :func:`spec_of` does that)."""
    c = dict(controls)
    raw = copy.deepcopy(base)
    raw["name"] = (c.get("name") or "").strip() or base["name"]
    raw["measure"] = c["measure"]
    for key, value in (("rule", c.get("rule") or None),
                       ("composition", None if c.get("composition") in (None, "",
                                                                        DEFAULT_COMPOSITION)
                        else c["composition"])):
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    if c.get("composition") != controls_of(base)["composition"]:
        raw.pop("population", None)     # the new Council's own table
    raw["absent"] = sorted(c.get("absent") or [])
    china = dict(raw.get("china", {}))
    china["strategy"] = c["strategy"]
    china["budget"] = _budget(c.get("budget"))
    if "china.budget" in raw.get("overrides", {}):     # an override wins: the page sets it
        raw["overrides"] = {**raw["overrides"], "china.budget": china["budget"]}
    spends = china["budget"] > 0 and china["strategy"] != "none"
    instruments = _instruments(c.get("instruments"), china.get("instruments"), spends)
    if instruments is None:
        china.pop("instruments", None)
    else:
        china["instruments"] = instruments
    actions = _actions(china.get("actions", []), list(c.get("actions") or []))
    if actions:
        china["actions"] = actions
    else:
        china.pop("actions", None)
    raw["china"] = china
    commission = dict(raw.get("commission", {}))
    commission["options"] = list(c.get("levers") or [])
    raw["commission"] = commission
    raw["replications"] = _whole(c.get("replications"), "replications", 1, MAX_REPLICATIONS)
    raw["seed"] = _whole(c.get("seed"), "seed", 0)
    raw["fixed_parameters"] = bool(c.get("fixed"))
    return _without_defaults(raw)


def _without_defaults(raw: dict) -> dict:
    """``raw`` without the keys the page filled with their defaults, so the exported file
    says only what differs."""
    if not raw["absent"]:
        raw.pop("absent")
    if raw["commission"] == {"options": []}:
        raw.pop("commission")
    if not raw["fixed_parameters"]:
        raw.pop("fixed_parameters")
    return raw


def spec_of(raw: dict) -> ExperimentSpec:
    """The validated spec of an experiment dict (errors name the page's field)."""
    return load_spec(copy.deepcopy(raw), path_hint="the page")


def members_of(raw: dict) -> list[str]:
    """The members of the Council an experiment dict votes in (for the absent-states control)."""
    return list(spec_composition(spec_of({**raw, "absent": []})).members)
