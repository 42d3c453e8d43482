"""What the page shows, without a browser: the same numbers as ``eucoalition run`` and
``compare`` on the exported files, the exact Treaty figures, the tile map and the briefing."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from helpers import EV, FLAGSHIP

from model import api
from model.experiments.compare import compare
from model.explore import views
from model.explore.export import briefing_html, experiment_toml
from model.explore.runs import Progress, RunCache, paired
from model.explore.scenario import base_experiment, controls_of, experiment_of
from model.explore.tiles import tiles
from model.inputs.council import composition
from model.treaty.rules import get_rule

#: Replications of the scenarios here: two blocks, so both intervals are computed.
REPLICATIONS = 500


def page_experiment(path, **change) -> dict:
    raw = base_experiment(path)
    return experiment_of({**controls_of(raw), "replications": REPLICATIONS, **change}, raw)


@pytest.fixture(scope="module")
def cache():
    return RunCache()


def test_the_exported_file_runs_to_the_same_summary(cache, tmp_path):
    raw = page_experiment(FLAGSHIP, budget=1.5, levers=["aci_in_force"], seed=11)
    path = tmp_path / "exported.toml"
    path.write_text(experiment_toml(raw))
    shown = cache.run(raw).summary
    assert json.dumps(api.run_experiment(path).summary) == json.dumps(shown)


def test_the_cache_keeps_recent_runs_only():
    cache = RunCache(size=1)
    a, b = page_experiment(EV, seed=1), page_experiment(EV, seed=2)
    first = cache.run(a)
    assert cache.run(a) is first
    cache.run(b)
    assert cache.run(a) is not first


def test_the_comparison_is_eucoalition_compares(cache, tmp_path):
    saved = page_experiment(FLAGSHIP)
    current = page_experiment(FLAGSHIP, strategy="none", seed=99, replications=250)
    report = paired(cache, saved, current)
    for name, raw in (("a", saved), ("b", current)):
        (tmp_path / f"{name}.toml").write_text(experiment_toml(raw))
    reference = compare(tmp_path / "a.toml", tmp_path / "b.toml")
    assert report["difference"] == reference["difference"]
    assert report["difference_interval"] == reference["difference_interval"]
    assert report["states"] == reference["states"]
    assert "seed 20251009" in report["pairing_note"]


@pytest.mark.parametrize("path", [FLAGSHIP, EV])
def test_the_cheapest_blocking_coalition_blocks(cache, path):
    result = cache.run(page_experiment(path))
    found = views.blocking(result)
    rule = get_rule(result.summary["rule"])
    outcome = api.vote(rule.name, dict.fromkeys(found["states"], "against"), others="for")
    assert not rule.adopted(np.array([rule.outcomes.index(outcome.outcome)]))[0]
    rows = {r["iso2"]: r for r in result.summary["states"]}
    helps = [float(rule.helps_stop(*(np.array([rows[s][k]]) for k in
                                     ("p_for", "p_abstain", "p_against")))[0])
             for s in found["states"]]
    assert math.isclose(found["likelihood"], math.prod(helps), rel_tol=1e-9)
    # no member can be spared: without any one of them it does not block
    for s in found["states"]:
        rest = [x for x in found["states"] if x != s]
        out = api.vote(rule.name, dict.fromkeys(rest, "against"), others="for")
        assert rule.adopted(np.array([rule.outcomes.index(out.outcome)]))[0]


def test_voting_power_is_the_exact_one_of_the_states_voting(cache):
    result = cache.run(page_experiment(FLAGSHIP, absent=["HU"]))
    shown = views.voting_power(result)
    members = [s for s in composition("eu27").members if s != "HU"]
    exact = api.power_indices("qmv", participating=members)
    assert "HU" not in shown.index and len(shown) == 26
    assert np.allclose(shown["shapley_shubik"], exact.loc[shown.index, "shapley_shubik"],
                       rtol=0, atol=0)


def test_top_states_are_the_largest_first(cache):
    s = cache.run(page_experiment(FLAGSHIP)).summary
    top = views.top_states(s, "p_pivotal")
    assert [v for _, v in top] == sorted((r["p_pivotal"] for r in s["states"]),
                                         reverse=True)[:len(top)]
    assert all(v > 0 for _, v in views.top_states(s, "targeted_share"))


def test_the_tile_map_has_one_square_per_member():
    for name in ("eu27", "eu28", "enlargement35"):
        members = list(composition(name).members)
        out = tiles(dict.fromkeys(members, 0.5), members)
        assert [t["iso2"] for t in out] == members
        assert len({(t["column"], t["row"]) for t in out}) == len(members)
    out = tiles({"DE": 0.9}, ["DE", "FR", "ZZ"])
    assert out[0]["value"] == 0.9 and out[1]["value"] is None
    assert out[2]["row"] > max(out[0]["row"], out[1]["row"])       # no place: below the grid


def test_the_briefing_is_one_self_contained_page(cache):
    saved = page_experiment(FLAGSHIP)
    current = page_experiment(FLAGSHIP, budget=2.0)
    report = paired(cache, saved, current)
    html = briefing_html(cache.run(current), (report, cache.run(saved), cache.run(current)))
    assert "aci_rare_earth_divide_and_rule" in html and "data:image/png;base64," in html
    assert "<img src=\"brief" not in html                           # no file beside it
    assert f"{100 * cache.run(current).summary['p_adopted']:.1f}%" in html


def test_a_run_reports_its_progress_to_its_page():
    board = Progress()
    RunCache().run(page_experiment(EV, seed=5), board.reporter("page-1"))
    done, total = board.of("page-1")
    assert done == total == 12 and board.of("page-2") is None
    board.done("page-1")
    assert board.of("page-1") is None and board.reporter(None) is None
