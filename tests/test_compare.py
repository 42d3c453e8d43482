"""Paired comparison of scenarios: common random numbers, intervals and blocking coalitions."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.compare import (blocking_coalitions, compare, paired_difference_ci, run_comparison,
                           unpaired_difference_ci)
from model.data import EU27, load_population
from model.errors import InputError
from model.rules import ABSENT, ABSTAIN, AGAINST, FOR, POSITIONS, vote
from model.spec import load_spec

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "experiments" / "aci_rare_earth_divide_and_rule.toml"
NO_PRESSURE = ROOT / "experiments" / "aci_rare_earth_no_pressure.toml"
EV = ROOT / "experiments" / "ev_duties_2024.toml"


def small(path, **update):
    spec = load_spec(path)
    base = {"replications": 500, "rounds": 6}
    base.update(update)
    return spec.model_copy(update=base)


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


def test_paired_interval_is_narrower_than_unpaired(flagship_vs_no_pressure):
    c = flagship_vs_no_pressure.summary
    lo, hi = c["difference_ci95"]
    ulo, uhi = c["difference_ci95_unpaired"]
    assert hi - lo < uhi - ulo
    assert lo <= c["difference"] <= hi and ulo <= c["difference"] <= uhi
    # common random numbers make the pairs positively correlated
    assert c["pairs"]["correlation"] > 0


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
    assert rows[0]["iso2"] in ("DE", "ES")       # the states China targets move most


def test_coalitions_are_minimal_blocking_sets_of_real_votes(flagship_vs_no_pressure):
    co = flagship_vs_no_pressure.summary["coalitions"]
    pops = load_population("council2025")
    for side in ("a", "b"):
        assert co[side]["failures"] > 0
        shares = [x["share"] for x in co[side]["top"]]
        assert shares == sorted(shares, reverse=True)
        for x in co[side]["top"]:
            positions = {s: ("against" if s in x["states"] else "for") for s in EU27}
            assert vote("qmv", positions, pops.to_dict()).outcome != "adopted"
            for s in x["states"]:
                positions[s] = "for"
                assert vote("qmv", positions, pops.to_dict()).outcome == "adopted"
                positions[s] = "against"
    failures_a = int(round(1000 * (1 - flagship_vs_no_pressure.summary["p_adopted_a"])))
    assert co["a"]["failures"] == failures_a


def test_seed_and_replications_are_common(tmp_path):
    a = small(FLAGSHIP, seed=1)
    b = small(NO_PRESSURE, seed=2)
    c = compare(a, b, replications=250)
    assert c["replications"] == 250 and c["seed"] == 1 and "seed_note" in c
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


# --- intervals ------------------------------------------------------------------------------

def test_paired_interval_covers_the_true_difference():
    """Coverage of the paired 95% interval on correlated pairs with a known difference."""
    rng = np.random.default_rng(2024)
    n, trials, hits = 300, 600, 0
    p_a, p_b = 0.2, 0.3
    for _ in range(trials):
        u = rng.random(n)
        noise = rng.random(n)
        mix = rng.random(n) < 0.7                       # 70% shared uniforms: correlated pairs
        v = np.where(mix, u, noise)
        x, y = u < p_a, v < p_b
        _, lo, hi = paired_difference_ci(x, y)
        hits += lo <= p_b - p_a <= hi
    coverage = hits / trials
    # binomial sd of the coverage estimate is about 0.009
    assert 0.92 <= coverage <= 0.985


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_paired_interval_contains_estimate_and_stays_in_range(pairs):
    x = [p[0] for p in pairs]
    y = [p[1] for p in pairs]
    d, lo, hi = paired_difference_ci(x, y)
    assert -1.0 <= lo <= d <= hi <= 1.0
    assert d == pytest.approx(np.mean(y) - np.mean(x))
    # swapping the conditions mirrors the interval
    d2, lo2, hi2 = paired_difference_ci(y, x)
    assert d2 == pytest.approx(-d) and lo2 == pytest.approx(-hi) and hi2 == pytest.approx(-lo)


def test_unpaired_interval_matches_newcombe():
    # Newcombe (1998), Statistics in Medicine 17:873, example (a): 56/70 vs 48/80
    d, lo, hi = unpaired_difference_ci(48, 80, 56, 70)
    assert (round(lo, 4), round(hi, 4)) == (0.0524, 0.3339)


# --- blocking coalitions -------------------------------------------------------------------------

POPS = load_population("council2025").loc[list(EU27)].to_numpy(dtype=np.int64)


def _blocks(rule: str, members) -> bool:
    positions = {s: ("against" if s in members else "for") for s in EU27}
    outcome = vote(rule, positions, dict(zip(EU27, (int(p) for p in POPS)))).outcome
    return outcome == "blocked" if rule == "comitology" else outcome != "adopted"


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["qmv", "rqmv", "simple", "unanimity", "comitology"]),
       st.lists(st.lists(st.sampled_from([FOR, AGAINST, ABSTAIN]), min_size=27, max_size=27),
                min_size=1, max_size=6))
def test_blocking_coalitions_block_are_minimal_and_drawn_from_opponents(rule, rows):
    votes = np.array(rows, dtype=np.int8)
    result = blocking_coalitions(votes, rule, list(EU27), POPS)
    counting = {AGAINST} if rule in ("unanimity", "comitology") else {AGAINST, ABSTAIN}
    for row, coalition in zip(votes, result):
        positions = {s: POSITIONS[c] for s, c in zip(EU27, row)}
        outcome = vote(rule, positions, dict(zip(EU27, (int(p) for p in POPS)))).outcome
        failed = outcome == "blocked" if rule == "comitology" else outcome != "adopted"
        if not failed:
            assert coalition is None
            continue
        assert coalition is not None
        if coalition == ():
            assert rule == "unanimity"
            continue
        assert all(row[EU27.index(s)] in counting for s in coalition)
        assert _blocks(rule, coalition)
        for s in coalition:
            assert not _blocks(rule, set(coalition) - {s}), (rule, coalition, s)
        sizes = [POPS[EU27.index(s)] for s in coalition]
        assert sizes == sorted(sizes, reverse=True)


def test_blocking_coalition_prefers_states_voting_against():
    row = np.full(27, FOR, dtype=np.int8)
    for s in ("DE", "FR", "IT", "HU"):
        row[EU27.index(s)] = AGAINST
    row[EU27.index("ES")] = ABSTAIN                 # an abstainer the set does not need
    (coalition,) = blocking_coalitions(row[None, :], "qmv", list(EU27), POPS)
    assert coalition == ("DE", "FR", "IT", "HU")


def test_absent_states_never_join_a_coalition():
    row = np.full(27, FOR, dtype=np.int8)
    row[EU27.index("HU")] = ABSENT
    for s in ("DE", "FR", "IT", "ES", "PL"):
        row[EU27.index(s)] = AGAINST
    (coalition,) = blocking_coalitions(row[None, :], "qmv", list(EU27), POPS)
    assert coalition and "HU" not in coalition


# --- command line ---------------------------------------------------------------------------

def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "model", *args], capture_output=True, text=True,
                          cwd=cwd)


def test_cli_compare_json(tmp_path):
    out = tmp_path / "cmp"
    proc = _cli("compare", str(EV), str(EV), "--replications", "250", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["difference"] == 0.0
    assert set(payload) >= {"a", "b", "p_adopted_a", "p_adopted_b", "difference",
                            "difference_ci95", "states", "coalitions"}
    assert (out / "compare.json").exists()


def test_cli_compare_bad_input_is_one_line(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmeasure = "no_such_measure"\n')
    proc = _cli("compare", str(bad), str(FLAGSHIP), "--replications", "250")
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "bad.toml" in proc.stderr and "measure" in proc.stderr
    proc = _cli("compare", str(FLAGSHIP), str(FLAGSHIP), "--replications", "0")
    assert proc.returncode == 2 and "--replications" in proc.stderr


def test_compare_rejects_bad_files(tmp_path):
    with pytest.raises(InputError):
        compare(tmp_path / "missing.toml", FLAGSHIP)
