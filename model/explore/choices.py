"""What the page's controls offer: measures, rules, Councils, strategies, instruments and levers,
each as (value, label) with the labels an analyst reads.

A measure's rule may be changed only within its family: a Council vote (qmv, rqmv, unanimity,
simple majority) stays a Council vote, a committee opinion (comitology, advisory, Council
rejection) stays a committee opinion - the page never offers a rule the measure cannot be
decided by. (An experiment file may still name any rule; the page keeps it.)
"""

from __future__ import annotations

from ..abm.levers import LEVERS
from ..abm.strategies import STRATEGIES
from ..inputs import catalogue
from ..inputs.council import compositions
from ..reporting.labels import measure_title, state_names, value_label
from ..treaty.rules import RULES

__all__ = ["RULE_FAMILIES", "rules_for", "measure_options", "rule_options",
           "composition_options", "strategy_options", "instrument_options", "lever_options",
           "state_options", "DEFAULT_COMPOSITION", "MAX_REPLICATIONS"]

#: Rules that decide the same kind of act; the page offers a measure the rules of its family.
RULE_FAMILIES = (("qmv", "rqmv", "unanimity", "simple"),
                 ("comitology", "advisory", "council_rejection"))
#: The composition control's value for "the Council of the data's date" (no composition key).
DEFAULT_COMPOSITION = "default"
#: The most replications the page runs (more: ``eucoalition run``).
MAX_REPLICATIONS = 50_000


def _option(value: str, label: str) -> dict:
    return {"value": value, "label": label}


def rules_for(measure: str, current: str | None = None) -> list[str]:
    """The rules the page offers for ``measure``: its family's (its own first), and
    ``current`` if a file named another.

    >>> rules_for("ev_cvd")
    ['comitology', 'advisory', 'council_rejection']
    >>> rules_for("aci_determination")[:2]
    ['qmv', 'rqmv']
    """
    own = catalogue.measures()[measure].rule
    family = next((f for f in RULE_FAMILIES if own in f), (own,))
    out = [own, *(r for r in family if r != own and r in RULES)]
    if current and current not in out:
        out.append(current)
    return out


def measure_options() -> list[dict]:
    return [_option(name, f"{measure_title(name)} ({m.rule})")
            for name, m in catalogue.measures().items()]


def rule_options(measure: str, current: str | None = None) -> list[dict]:
    return [_option(name, RULES[name].title if name in RULES else name)
            for name in rules_for(measure, current)]


def composition_options(current: str | None = None) -> list[dict]:
    out = [_option(DEFAULT_COMPOSITION, "the Council of the data's date (EU27 today)")]
    out += [_option(name, c.title) for name, c in compositions().items()]
    if current and current not in {o["value"] for o in out}:
        out.append(_option(current, current))
    return out


def strategy_options() -> list[dict]:
    return [_option(name, value_label(name)) for name in STRATEGIES]


def instrument_options(budget: bool = False) -> list[dict]:
    """China's instruments; for the ``budget`` checklist those outside its default toolbox
    (what it spends on when the file lists none) say so."""
    return [_option(name, f"{value_label(name)} ({ins.kind})"
                    + (" (dated act, not in the default toolbox)"
                       if budget and not ins.toolbox else ""))
            for name, ins in catalogue.instruments().items()]


def lever_options() -> list[dict]:
    return [_option(name, value_label(name)) for name in LEVERS]


def state_options(members: list[str]) -> list[dict]:
    names = state_names()
    return [_option(code, f"{code} {names.get(code, '')}".strip()) for code in members]
