"""Paired comparison of scenarios: common random numbers, intervals and blocking coalitions."""

from __future__ import annotations

import json

import pytest
from helpers import EV, FLAGSHIP, NO_PRESSURE
from helpers import small_spec as small

from model.errors import InputError
from model.experiments.compare import compare, run_comparison
from model.inputs.council import EU27, population_table
from model.treaty.vote import vote


@pytest.fixture(scope="module")
def flagship_vs_no_pressure():
    return run_comparison(small(FLAGSHIP, replications=1000), small(NO_PRESSURE, replications=1000))


def test_identical_scenarios_differ_by_exactly_zero():
    spec = small(FLAGSHIP)
    c = compare(spec, spec)
    assert c["difference"] == 0.0
    assert c["p_adopted_a"] == c["p_adopted_b"]
    lo, hi = c["difference_ci95"]
    assert lo <= 0.0 <= hi
    assert c["pairs"]["only_a"] == c["pairs"]["only_b"] == 0
    assert all(r[k] == 0.0 for r in c["states"]
               for k in ("delta_p_for", "delta_p_against", "delta_p_abstain"))
    co = c["coalitions"]
    assert co["a"] == co["b"] and co["only_in_a"] == co["only_in_b"] == []
    assert all(m["delta"] == 0.0 for m in co["membership"])


def test_paired_interval_is_narrower_than_unpaired():
    # with the parameters fixed, replications are independent and the Monte Carlo interval is
    # Newcombe's paired one
    c = run_comparison(small(FLAGSHIP, replications=1000, fixed_parameters=True),
                       small(NO_PRESSURE, replications=1000, fixed_parameters=True)).summary
    assert c["difference_interval"]["parameter_draws"] == 0
    lo, hi = c["difference_ci95"]
    ulo, uhi = c["difference_ci95_unpaired"]
    assert hi - lo < uhi - ulo
    assert lo <= c["difference"] <= hi and ulo <= c["difference"] <= uhi
    # common random numbers make the pairs positively correlated
    assert c["pairs"]["correlation"] > 0


def test_with_parameter_draws_the_monte_carlo_interval_counts_the_blocks(flagship_vs_no_pressure):
    # 1,000 replications are 4 parameter draws shared by both runs: the paired difference's
    # Monte Carlo interval comes from the 4 blocks' differences and contains Newcombe's
    c = flagship_vs_no_pressure.summary
    from model.stats import cluster_mean_interval, paired_difference_ci

    a = flagship_vs_no_pressure.a.replications["adopted"].to_numpy(dtype=bool)
    b = flagship_vs_no_pressure.b.replications["adopted"].to_numpy(dtype=bool)
    d = b.reshape(4, 250).mean(axis=1) - a.reshape(4, 250).mean(axis=1)
    c_lo, c_hi = cluster_mean_interval(d, [250] * 4)
    _, n_lo, n_hi = paired_difference_ci(a, b)
    assert c["difference_interval"]["parameter_draws"] == 4
    assert c["difference_interval"]["monte_carlo"] == [max(-1.0, min(n_lo, c_lo)),
                                                       min(1.0, max(n_hi, c_hi))]
    assert c["difference_ci95"] == c["difference_interval"]["monte_carlo"]
    t_lo, t_hi = c["difference_interval"]["total"]
    assert t_lo <= c["difference_ci95"][0] and c["difference_ci95"][1] <= t_hi


def test_difference_is_b_minus_a_and_pairs_add_up(flagship_vs_no_pressure):
    comp = flagship_vs_no_pressure
    c = comp.summary
    xa = comp.a.replications["adopted"].to_numpy()
    xb = comp.b.replications["adopted"].to_numpy()
    assert c["difference"] == pytest.approx(xb.mean() - xa.mean(), abs=1e-9)
    assert c["difference"] == pytest.approx(c["p_adopted_b"] - c["p_adopted_a"], abs=1e-6)
    pairs = c["pairs"]
    assert pairs["both_adopted"] + pairs["only_a"] + pairs["only_b"] + pairs["neither"] == 1000
    assert pairs["only_b"] - pairs["only_a"] == round(1000 * c["difference"])
    # China's pressure lowers the chance of a coercion determination
    assert c["difference"] > 0


def test_scenarios_share_random_numbers_replication_by_replication(flagship_vs_no_pressure):
    comp = flagship_vs_no_pressure
    # states China does not touch keep most of their votes: the final-vote uniforms are shared
    assert comp.summary["pairs"]["correlation"] > 0.2
    assert comp.a.summary["seed"] == comp.b.summary["seed"]


def test_states_table_matches_the_two_runs(flagship_vs_no_pressure):
    comp = flagship_vs_no_pressure
    a = {r["iso2"]: r for r in comp.a.summary["states"]}
    b = {r["iso2"]: r for r in comp.b.summary["states"]}
    rows = comp.summary["states"]
    assert {r["iso2"] for r in rows} == set(EU27)
    for r in rows:
        expected = b[r["iso2"]]["p_for"] - a[r["iso2"]]["p_for"]
        assert r["delta_p_for"] == pytest.approx(expected, abs=2e-6)
    shifts = [r["shift"] for r in rows]
    assert shifts == sorted(shifts, reverse=True)
    targeted = {iso for iso, r in a.items() if r["targeted_share"] > 0}
    assert targeted and rows[0]["iso2"] in targeted    # the states China targets move most


def test_coalitions_are_minimal_blocking_sets_of_real_votes(flagship_vs_no_pressure):
    co = flagship_vs_no_pressure.summary["coalitions"]
    pops = population_table()
    for side in ("a", "b"):
        assert co[side]["failures"] > 0
        shares = [x["share"] for x in co[side]["top"]]
        assert shares == sorted(shares, reverse=True)
        for x in co[side]["top"]:
            positions = {s: ("against" if s in x["states"] else "for") for s in EU27}
            assert vote("qmv", positions, pops).outcome != "adopted"
            for s in x["states"]:
                positions[s] = "for"
                assert vote("qmv", positions, pops).outcome == "adopted"
                positions[s] = "against"
    failures_a = round(1000 * (1 - flagship_vs_no_pressure.summary["p_adopted_a"]))
    assert co["a"]["failures"] == failures_a


def test_seed_and_replications_are_common(tmp_path):
    a = small(FLAGSHIP, seed=1)
    b = small(NO_PRESSURE, seed=2)
    c = compare(a, b, replications=250)
    assert c["replications"] == 250 and c["seed"] == 1 and "seed_note" in c
    assert "replications_note" in c and "250" in c["replications_note"]
    c2 = compare(a, b, replications=250, seed=7)
    assert c2["seed"] == 7


def test_compare_writes_its_outputs(tmp_path):
    out = tmp_path / "cmp"
    c = compare(small(FLAGSHIP, replications=250), small(NO_PRESSURE, replications=250), out=out)
    assert json.loads((out / "compare.json").read_text()) == c
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["seed"] == c["seed"]
    for side in ("a", "b"):
        assert (out / side / "summary.json").exists() and (out / side / "states.csv").exists()


def test_compare_rejects_bad_files(tmp_path):
    with pytest.raises(InputError):
        compare(tmp_path / "missing.toml", FLAGSHIP)


def test_cli_compare_json(tmp_path, cli):
    out = tmp_path / "cmp"
    proc = cli("compare", str(EV), str(EV), "--replications", "250", "--out", str(out), "--json")
    assert proc.code == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["difference"] == 0.0
    assert set(payload) >= {"a", "b", "p_adopted_a", "p_adopted_b", "difference",
                            "difference_ci95", "states", "coalitions"}
    assert (out / "compare.json").exists()


def test_cli_compare_bad_input_is_one_line(tmp_path, cli):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmeasure = "no_such_measure"\n')
    proc = cli("compare", str(bad), str(FLAGSHIP), "--replications", "250")
    assert proc.code == 2
    assert proc.stderr.count("\n") == 1 and "bad.toml" in proc.stderr and "measure" in proc.stderr
    proc = cli("compare", str(FLAGSHIP), str(FLAGSHIP), "--replications", "0")
    assert proc.code == 2 and "--replications" in proc.stderr
