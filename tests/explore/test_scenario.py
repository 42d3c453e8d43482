"""From the page's controls to an experiment (no browser): what the controls change, what
they keep, and the messages bad input gets."""

from __future__ import annotations

import tomllib

import pytest
from helpers import EV, FLAGSHIP

from model.errors import InputError
from model.experiments.resolve import resolve
from model.experiments.spec import load_spec
from model.explore.callbacks import page_message
from model.explore.choices import RULE_FAMILIES, instrument_options, rules_for
from model.explore.export import experiment_toml
from model.explore.scenario import (
    STARTER,
    base_experiment,
    controls_of,
    experiment_of,
    members_of,
    spec_of,
    toolbox,
)
from model.inputs import catalogue
from model.inputs.council import composition


def test_unchanged_controls_give_back_the_file():
    for path in (FLAGSHIP, EV):
        raw = base_experiment(path)
        assert spec_of(experiment_of(controls_of(raw), raw)) == load_spec(path)


def test_the_starter_is_a_valid_experiment():
    raw = base_experiment()
    assert raw == STARTER
    assert spec_of(experiment_of(controls_of(raw), raw)).china.strategy == "divide_and_rule"


def test_controls_change_what_they_show_and_keep_the_rest():
    raw = base_experiment(EV)
    c = controls_of(raw)
    c.update(budget=2.5, strategy="carrot_only", levers=["price_undertakings"], seed=7,
             replications=750, absent=["MT"], fixed=True, actions=["brandy_probe"])
    spec = spec_of(experiment_of(c, raw))
    assert (spec.china.budget, spec.china.strategy, spec.seed, spec.replications) == (
        2.5, "carrot_only", 7, 750)
    assert spec.commission.options == ["price_undertakings"] and spec.absent == ["MT"]
    assert spec.fixed_parameters
    # the action kept is the file's own, with its targets, date and source
    (action,) = spec.china.actions
    original = load_spec(EV).china.actions[0]
    assert action == original and action.targets == ["FR"]
    assert spec.as_of == load_spec(EV).as_of == "2024-10-04"


def test_a_new_action_starts_at_round_zero_on_the_exposed_states():
    raw = base_experiment(FLAGSHIP)
    c = controls_of(raw)
    c["actions"] = [*c["actions"], "pork_probe"]
    new = spec_of(experiment_of(c, raw)).china.actions[-1]
    assert (new.instrument, new.targets, new.round, new.date) == ("pork_probe", "exposed", 0, "")


def _exported(controls: dict, raw: dict) -> dict:
    """The experiment the page's TOML download holds, read back as a file would be."""
    return tomllib.loads(experiment_toml(experiment_of(controls, raw)))


def test_the_default_ticks_are_the_toolbox_and_export_no_list():
    raw = base_experiment(FLAGSHIP)
    c = controls_of(raw)
    assert c["instruments"] == toolbox() == [
        n for n, ins in catalogue.instruments().items() if ins.toolbox]
    assert len(toolbox()) < len(catalogue.instruments())
    out = _exported(c, raw)
    assert "instruments" not in out["china"]
    assert resolve(spec_of(out)).budget_instruments == toolbox()


def test_ticking_every_instrument_exports_them_all():
    raw = base_experiment(FLAGSHIP)
    every = list(catalogue.instruments())
    out = _exported({**controls_of(raw), "instruments": every[::-1]}, raw)
    assert out["china"]["instruments"] == every      # the catalogue's order, not the clicks'
    assert resolve(spec_of(out)).budget_instruments == every


def test_unticking_a_toolbox_instrument_exports_the_others():
    raw = base_experiment(FLAGSHIP)
    dropped, *rest = toolbox()
    out = _exported({**controls_of(raw), "instruments": rest[::-1]}, raw)
    assert out["china"]["instruments"] == rest
    assert resolve(spec_of(out)).budget_instruments == rest
    # ticking it again gives back the toolbox: no list
    again = experiment_of({**controls_of(raw), "instruments": [*rest, dropped]}, raw)
    assert "instruments" not in again["china"]


def test_a_files_own_list_is_ticked_and_kept():
    raw = base_experiment(FLAGSHIP)
    picked = ["brandy_definitive_duties", "pork_probe"]
    raw["china"]["instruments"] = picked
    c = controls_of(raw)
    assert c["instruments"] == picked
    assert experiment_of(c, raw)["china"]["instruments"] == picked
    # the toolbox chosen instead of the file's list: no list
    assert "instruments" not in experiment_of({**c, "instruments": toolbox()}, raw)["china"]


def test_the_budget_checklist_marks_instruments_outside_the_toolbox():
    note = "(dated act, not in the default toolbox)"
    for option in instrument_options(budget=True):
        outside = not catalogue.instruments()[option["value"]].toolbox
        assert (note in option["label"]) == outside
    assert not any(note in o["label"] for o in instrument_options())


def test_a_new_council_brings_its_own_population_table():
    raw = base_experiment(FLAGSHIP)
    eu28 = experiment_of({**controls_of(raw), "composition": "eu28"}, raw)
    spec = spec_of(eu28)
    assert spec.composition == "eu28" and spec.population == composition("eu28").population
    assert "GB" in members_of(eu28) and len(members_of(raw)) == 27


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"budget": -1}, "china.budget", "at least 0"),
    ({"budget": None}, "china.budget", "at least 0"),
    ({"budget": float("inf")}, "china.budget", "at least 0"),
    ({"replications": 0}, "replications", "from 1 to 50,000"),
    ({"replications": 50_001}, "replications", "from 1 to 50,000"),
    ({"replications": 2.5}, "replications", "whole number"),
    ({"seed": -3}, "seed", "at least 0"),
    ({"instruments": []}, "china.instruments", "at least one instrument"),
])
def test_bad_controls_name_their_field(change, field, words):
    raw = base_experiment(FLAGSHIP)
    with pytest.raises(InputError) as info:
        experiment_of({**controls_of(raw), **change}, raw)
    assert info.value.field == field and words in str(info.value)
    assert page_message(info.value).split(": ", 1)[1] in str(info.value)


def test_no_instruments_is_fine_when_china_does_not_spend():
    raw = base_experiment(FLAGSHIP)
    out = experiment_of({**controls_of(raw), "instruments": [], "strategy": "none"}, raw)
    assert "instruments" not in out["china"]


def test_schema_errors_name_the_page_and_read_well():
    raw = base_experiment(FLAGSHIP)
    bad = experiment_of({**controls_of(raw), "name": "no/slashes"}, raw)
    with pytest.raises(InputError) as info:
        spec_of(bad)
    assert str(info.value).startswith("the page, field 'name'")
    assert page_message(info.value).startswith("Scenario name: 'no/slashes' cannot name")


def test_page_message_of_an_unexpected_error_is_one_line():
    text = page_message(RuntimeError("boom\n"))
    assert text.startswith("unexpected error (RuntimeError: boom")


def test_rules_stay_in_the_measures_family():
    for name, measure in catalogue.measures().items():
        offered = rules_for(name)
        assert offered[0] == measure.rule
        assert any(set(offered) <= set(f) for f in RULE_FAMILIES)
    assert rules_for("ev_cvd", "qmv")[-1] == "qmv"          # a file's own choice stays


def test_the_budget_control_sets_a_budget_override_too():
    raw = {**base_experiment(FLAGSHIP), "overrides": {"china.budget": 2.0}}
    assert controls_of(raw)["budget"] == 2.0
    out = experiment_of({**controls_of(raw), "budget": 0.25}, raw)
    assert out["overrides"]["china.budget"] == out["china"]["budget"] == 0.25
