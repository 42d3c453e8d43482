"""Sweeps: designs declared as data, streaming to Parquet, resume, executors and sensitivity."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from helpers import EXPERIMENTS, FLAGSHIP

from model.errors import InputError
from model.experiments.design import apply_point, build_design, parse_param_options, parse_sweep
from model.experiments.executors import DaskExecutor
from model.experiments.run import run_experiment
from model.experiments.sensitivity import sensitivity
from model.experiments.spec import load_spec
from model.experiments.sweep import plan_sweep, read_results, run_sweep

SHIPPED = EXPERIMENTS / "sweep_budget_strategy.toml"

SMALL = """
name = "tiny_sweep"
measure = "aci_determination"
rounds = 4
replications = 250
seed = 11

[china]
strategy = "divide_and_rule"
budget = 0.5

[[china.actions]]
instrument = "rare_earth_licence_slowdown"
targets = "exposed"

[sweep]
chunk = 2
{extra}

[sweep.parameters]
"china.budget" = [0.0, 1.0]
"china.strategy" = ["stick_only", "divide_and_rule", "uniform"]
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small_file(tmp_path_factory) -> Path:
    return write(tmp_path_factory.mktemp("exp"), SMALL.format(extra=""))


@pytest.fixture(scope="module")
def uninterrupted(small_file, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sweep") / "whole"
    run_sweep(small_file, out)
    return out


# --- output and resume ------------------------------------------------------------------------

def test_sweep_writes_chunks_design_and_manifest(uninterrupted):
    files = tree(uninterrupted)
    assert sorted(f for f in files if f.startswith("chunks/")) == [
        "chunks/part-00000.parquet", "chunks/part-00001.parquet", "chunks/part-00002.parquet"]
    assert {"design.csv", "manifest.json", "points.csv", "sensitivity.csv",
            "sweep.json"} <= set(files)
    assert not (uninterrupted / ".partial").exists()
    results = read_results(uninterrupted)
    assert list(results["point"]) == list(range(6))
    assert list(results["china.budget"]) == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
    assert list(results["china.strategy"]) == ["stick_only", "divide_and_rule", "uniform"] * 2
    assert ((results["p_adopted_lo"] <= results["p_adopted"])
            & (results["p_adopted"] <= results["p_adopted_hi"])).all()
    assert (results["n_adopted"] == (results["p_adopted"] * 250).round()).all()
    manifest = json.loads((uninterrupted / "manifest.json").read_text())
    assert manifest["kind"] == "sweep" and manifest["points"] == 6 and manifest["chunks"] == 3
    # a fixed schema: parameters typed, no pandas metadata, no timestamps
    schema = pq.read_schema(uninterrupted / "chunks" / "part-00000.parquet")
    assert str(schema.field("china.budget").type) == "double"
    assert str(schema.field("china.strategy").type) == "string"
    assert schema.metadata is None


def test_each_point_runs_with_its_own_point_index(small_file, uninterrupted):
    plan = plan_sweep(small_file)
    results = read_results(uninterrupted)
    for point in (0, 4):
        direct = run_experiment(plan.point_spec(point), point=point)
        assert results.loc[point, "p_adopted"] == direct.summary["p_adopted"]
    # more Chinese money, less chance of a coercion determination (for the targeted strategy):
    # exactly on the expected track China plans on, and never more in the simulated votes
    dr = results[results["china.strategy"] == "divide_and_rule"].set_index("china.budget")
    assert dr.loc[1.0, "p_adopted_expected_track"] < dr.loc[0.0, "p_adopted_expected_track"]
    assert dr.loc[1.0, "p_adopted"] <= dr.loc[0.0, "p_adopted"]


@pytest.mark.parametrize("workers", [None, 2])
def test_interrupted_sweep_resumes_to_identical_bytes(small_file, uninterrupted, tmp_path,
                                                      workers):
    out = tmp_path / "resumed"
    calls = []

    def stop_after_three(done: int, total: int) -> None:
        calls.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(small_file, out, workers=workers, progress=stop_after_three)
    assert (out / "chunks" / "part-00000.parquet").exists()
    assert not (out / "chunks" / "part-00001.parquet").exists()
    assert (out / ".partial" / "point-0000002.json").exists()
    assert not (out / "sweep.json").exists()
    seen = []
    run_sweep(small_file, out, workers=workers, progress=lambda d, t: seen.append(d))
    assert seen[0] == 3 and seen[-1] == 6 and len(seen) == 4     # only points 3, 4, 5 ran
    assert tree(out) == tree(uninterrupted)


def test_the_local_executor_on_two_workers_writes_the_same_bytes(small_file, uninterrupted,
                                                                  tmp_path):
    out = tmp_path / "two_workers"
    run_sweep(small_file, out, workers=2)
    assert tree(out) == tree(uninterrupted)


def test_a_killed_run_that_lost_its_partial_points_also_resumes(small_file, uninterrupted,
                                                                tmp_path):
    out = tmp_path / "killed"

    def stop_after_five(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(small_file, out, progress=stop_after_five)
    assert sorted(p.name for p in (out / ".partial").glob("*.json")) == ["point-0000004.json"]
    for f in (out / ".partial").glob("*.json"):
        f.unlink()
    run_sweep(small_file, out)
    assert tree(out) == tree(uninterrupted)


def test_rerunning_a_finished_sweep_changes_nothing(small_file, uninterrupted, tmp_path):
    out = tmp_path / "again"
    run_sweep(small_file, out)
    seen = []
    run_sweep(small_file, out, progress=lambda d, t: seen.append(d))
    assert seen == [6]
    assert tree(out) == tree(uninterrupted)


def test_a_different_sweep_will_not_mix_into_the_same_directory(small_file, uninterrupted,
                                                                tmp_path):
    out = tmp_path / "mixed"
    run_sweep(small_file, out, chunk=3)
    with pytest.raises(InputError, match="different sweep"):
        run_sweep(small_file, out, replications=500)
    # results do not depend on how the points are grouped into files
    assert read_results(out)["p_adopted"].tolist() == \
        read_results(uninterrupted)["p_adopted"].tolist()


def test_dask_and_local_executors_agree(small_file, uninterrupted, tmp_path):
    pytest.importorskip("dask.distributed")
    out = tmp_path / "dask"
    run_sweep(small_file, out, executor="dask", workers=2)
    assert tree(out) == tree(uninterrupted)


def test_a_killed_dask_worker_does_not_change_the_results(small_file, uninterrupted, tmp_path):
    """Connect by scheduler address (the cluster path), kill a worker mid-sweep: its points are
    rerun elsewhere and the output is still byte-identical."""
    distributed = pytest.importorskip("dask.distributed")
    import logging
    import os
    import signal

    # Only the sweep's own client talks to the cluster: a second client in this process races
    # with it on dask's event loop when the lost task is rescheduled.
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster:
        pids = [nanny.process.pid for nanny in cluster.workers.values()]
        killed = []

        def kill_one(done: int, total: int) -> None:
            if done == 1 and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        out = tmp_path / "killed_worker"
        run_sweep(small_file, out, executor="dask", scheduler=cluster.scheduler_address,
                  progress=kill_one)
    assert killed
    assert tree(out) == tree(uninterrupted)


def _trim_threshold():
    import os
    return os.environ.get("MALLOC_TRIM_THRESHOLD_")


def test_the_executors_dask_workers_keep_glibcs_adaptive_memory_mapping(monkeypatch):
    # a nanny's default MALLOC_TRIM_THRESHOLD_ made every point 20-40% slower
    pytest.importorskip("dask.distributed")
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_", raising=False)
    with DaskExecutor(workers=1) as executor:
        assert list(executor.client.run(_trim_threshold).values()) == [None]


def test_missing_dask_is_a_clear_input_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask.distributed", None)
    with pytest.raises(InputError, match="distributed"), DaskExecutor(workers=1):
        pass


def test_common_random_numbers_pair_the_points(tmp_path):
    path = write(tmp_path, SMALL.format(extra="common_random_numbers = true"))
    result = run_sweep(path, tmp_path / "crn")
    r = result.results
    # with no budget every strategy is the same scenario: identical results, not just close
    zero = r[r["china.budget"] == 0.0]
    assert zero["p_adopted"].nunique() == 1 and zero["n_adopted"].nunique() == 1
    # and every point reuses the base experiment's random numbers (point 0)
    plan = plan_sweep(path)
    direct = run_experiment(plan.point_spec(4), point=0)
    assert r.loc[4, "p_adopted"] == direct.summary["p_adopted"]


# --- declaring sweeps -------------------------------------------------------------------------

BAD = [
    ('[sweep]\ndesgin = "grid"\n[sweep.parameters]\n"china.budget" = [0, 1]\n', "sweep.desgin"),
    ('[sweep]\ndesign = "factorial"\n[sweep.parameters]\n"china.budget" = [0, 1]\n',
     "sweep.design"),
    ('[sweep]\n[sweep.parameters]\n"china.budgte" = [0, 1]\n', "sweep.parameters.china.budgte"),
    ('[sweep]\n[sweep.parameters]\n"china.strategy" = ["bribery"]\n',
     "sweep.parameters.china.strategy"),
    ('[sweep]\n[sweep.parameters]\nrule = ["qmv", "majority"]\n', "sweep.parameters.rule"),
    ('[sweep]\n[sweep.parameters]\n"china.budget" = [-1, 1]\n', "sweep.parameters.china.budget"),
    ('[sweep]\n[sweep.parameters]\n"china.budget" = ["a lot"]\n', "sweep.parameters.china.budget"),
    ('[sweep]\n[sweep.parameters]\n"china.budget" = [1, 1]\n', "sweep.parameters.china.budget"),
    ('[sweep]\n[sweep.parameters]\nbeta_pressure = {low = 0.5, high = 2}\n',
     "sweep.parameters.beta_pressure"),
    ('[sweep]\n[sweep.parameters]\nbeta_pressure = {low = 2, high = 1, levels = 3}\n',
     "sweep.parameters.beta_pressure"),
    ('[sweep]\n[sweep.parameters]\nbeta_pressure = {low = 1, high = 2, steps = 3}\n',
     "sweep.parameters.beta_pressure.steps"),
    ('[sweep]\ndesign = "lhs"\n[sweep.parameters]\nbeta_pressure = {low = 1, high = 2}\n',
     "sweep.samples"),
    ('[sweep]\ndesign = "sobol"\nsamples = 12\n[sweep.parameters]\n'
     'beta_pressure = {low = 1, high = 2}\n', "sweep.samples"),
    ('[sweep]\nsamples = 8\n[sweep.parameters]\n"china.budget" = [0, 1]\n', "sweep.samples"),
    ('[sweep]\nchunk = 0\n[sweep.parameters]\n"china.budget" = [0, 1]\n', "sweep.chunk"),
    ('[sweep]\ncommon_random_numbers = "yes"\n[sweep.parameters]\n"china.budget" = [0, 1]\n',
     "sweep.common_random_numbers"),
    ('[sweep]\n[sweep.parameters]\n"lever.crma_stockpile.strength" = [0.5, 1.5]\n',
     "sweep.parameters.lever.crma_stockpile.strength"),
    ('[sweep]\n[sweep.parameters]\ncut_low = [0.5, 1.5]\n', "sweep.parameters.cut_low"),
    ('[sweep]\ndesign = "grid"\n', "sweep.parameters"),
]


@pytest.mark.parametrize("table, field", BAD)
def test_bad_sweep_tables_name_file_and_field(tmp_path, table, field):
    base = 'name = "x"\nmeasure = "aci_determination"\nreplications = 250\nrounds = 2\n'
    path = write(tmp_path, base + table)
    with pytest.raises(InputError) as exc:
        plan_sweep(path)
    assert str(exc.value).startswith(str(path))
    assert f"field '{field}'" in str(exc.value)
    assert not (tmp_path / "out").exists()


def test_nested_tables_and_quoted_names_are_the_same_parameter():
    a = parse_sweep({"parameters": {"china": {"budget": [0, 1]}, "exposure": {"magnets": [1, 2]}}})
    b = parse_sweep({"parameters": {"china.budget": [0, 1], "exposure.magnets": [1, 2]}})
    assert a == b


def test_command_line_parameters_replace_the_table(small_file):
    params = parse_param_options(["china.budget=0.25,0.75", "rule=qmv,simple"])
    plan = plan_sweep(small_file, params=params)
    assert [p.name for p in plan.sweep.parameters] == ["china.budget", "rule"]
    assert plan.n_points == 4
    with pytest.raises(InputError, match="--param rule"):
        plan_sweep(small_file, params=parse_param_options(["rule=qmv,majority"]))
    with pytest.raises(InputError, match="--param"):
        parse_param_options(["china.budget"])
    with pytest.raises(InputError, match="--design"):
        plan_sweep(small_file, design="random")


def test_grid_is_the_full_product_in_declared_order():
    s = parse_sweep({"parameters": {"china.budget": [0, 0.5, 1],
                                    "beta_pressure": {"low": 1, "high": 2, "levels": 3},
                                    "china.strategy": ["none", "uniform"]}})
    d = build_design(s)
    assert len(d) == 18 and list(d["point"]) == list(range(18))
    assert list(d.columns) == ["point", "china.budget", "beta_pressure", "china.strategy"]
    assert list(d["china.strategy"][:4]) == ["none", "uniform", "none", "uniform"]
    assert sorted(set(d["beta_pressure"])) == [1.0, 1.5, 2.0]
    assert len(d.drop(columns="point").drop_duplicates()) == 18


def test_latin_hypercube_is_stratified_and_seeded():
    table = {"design": "lhs", "samples": 10, "seed": 3,
             "parameters": {"beta_pressure": {"low": 0, "high": 1},
                            "exposure.magnets": {"low": 0.5, "high": 1.5},
                            "china.strategy": ["none", "uniform"]}}
    d = build_design(parse_sweep(table))
    for name, low in (("beta_pressure", 0.0), ("exposure.magnets", 0.5)):
        bins = np.floor((d[name] - low) * 10).astype(int)
        assert sorted(bins) == list(range(10))             # one point in every tenth
    assert set(d["china.strategy"]) == {"none", "uniform"}
    assert (d["china.strategy"] == "none").sum() == 5      # stratified levels too
    pd.testing.assert_frame_equal(d, build_design(parse_sweep(table)))
    other = build_design(parse_sweep({**table, "seed": 4}))
    assert not other["beta_pressure"].equals(d["beta_pressure"])


def test_sobol_design_has_the_saltelli_structure():
    s = parse_sweep({"design": "sobol", "samples": 8,
                     "parameters": {"beta_pressure": {"low": 0, "high": 1},
                                    "china.budget": {"low": 0, "high": 2}}})
    d = build_design(s)
    assert len(d) == 8 * 4
    A = d[d["sobol_matrix"] == 0].set_index("sobol_row")
    B = d[d["sobol_matrix"] == 1].set_index("sobol_row")
    for i, name in enumerate(["beta_pressure", "china.budget"]):
        AB = d[d["sobol_matrix"] == i + 2].set_index("sobol_row")
        other = "china.budget" if i == 0 else "beta_pressure"
        assert (AB[name] == B[name]).all() and (AB[other] == A[other]).all()


def test_apply_point_sets_categoricals_and_overrides():
    spec = load_spec(FLAGSHIP)
    p = apply_point(spec, {"china.strategy": "uniform", "rule": "rqmv", "china.budget": 2.0,
                           "exposure.magnets": 0.5})
    assert p.china.strategy == "uniform" and p.rule == "rqmv"
    assert p.overrides["china.budget"] == 2.0 and p.overrides["exposure.magnets"] == 0.5
    assert p.sweep is None and spec.china.strategy == "divide_and_rule"


# --- sensitivity -------------------------------------------------------------------------------

def test_sensitivity_of_a_known_linear_response():
    s = parse_sweep({"parameters": {"china.budget": [0, 0.5, 1], "beta_pressure": [1, 2],
                                    "china.strategy": ["none", "uniform"]}})
    d = build_design(s)
    d["p_adopted"] = 0.8 - 0.6 * d["china.budget"] + 0.0 * d["beta_pressure"]
    t = sensitivity(d, s).set_index("parameter")
    assert t.loc["china.budget", "src"] == pytest.approx(-1.0)
    assert t.loc["beta_pressure", "src"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["china.budget", "main_effect"] == pytest.approx(1.0)
    assert t.loc["china.strategy", "main_effect"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["china.budget", "range_of_means"] == pytest.approx(0.6)
    assert t.attrs["r2"] == pytest.approx(1.0)
    assert t.index[0] == "china.budget"


def test_continuous_ranges_are_read_by_regression_not_by_group_means():
    s = parse_sweep({"design": "lhs", "samples": 12, "seed": 1,
                     "parameters": {"beta_pressure": {"low": 0.5, "high": 2},
                                    "exposure.magnets": {"low": 0.5, "high": 1.5}}})
    d = build_design(s)
    d["p_adopted"] = 0.5 - 0.2 * d["beta_pressure"]
    t = sensitivity(d, s).set_index("parameter")
    assert t.loc["beta_pressure", "main_effect"] == pytest.approx(1.0)      # src^2
    assert t.loc["exposure.magnets", "main_effect"] == pytest.approx(
        t.loc["exposure.magnets", "src"] ** 2)
    assert abs(t.loc["exposure.magnets", "src"]) < 1e-9
    assert t["range_of_means"].isna().all() and (t["highest_at"] == "").all()


def test_sobol_indices_of_an_additive_function():
    """y = 3 u1 + 1 u2 (+ nothing from u3): S1 = ST = (9/10, 1/10, 0)."""
    s = parse_sweep({"design": "sobol", "samples": 1024, "seed": 5,
                     "parameters": {"beta_stance": {"low": 0, "high": 1},
                                    "beta_peer": {"low": 0, "high": 1},
                                    "beta_backlash": {"low": 0, "high": 1}}})
    d = build_design(s)
    d["p_adopted"] = 3 * d["beta_stance"] + d["beta_peer"]
    t = sensitivity(d, s).set_index("parameter")
    for name, truth in (("beta_stance", 0.9), ("beta_peer", 0.1), ("beta_backlash", 0.0)):
        assert t.loc[name, "main_effect"] == pytest.approx(truth, abs=0.03)
        assert t.loc[name, "total_effect"] == pytest.approx(truth, abs=0.03)
        # the bootstrap intervals bracket the estimate and, here, the truth
        for key in ("main_effect", "total_effect"):
            lo, hi = t.loc[name, f"{key}_lo"], t.loc[name, f"{key}_hi"]
            assert lo <= t.loc[name, key] <= hi
            assert lo - 0.02 <= truth <= hi + 0.02
    again = sensitivity(d, s).set_index("parameter")
    assert again.equals(t)                     # the bootstrap is seeded by the design seed


def test_sweep_summary_reports_the_sensitivity_table(uninterrupted):
    summary = json.loads((uninterrupted / "sweep.json").read_text())
    table = pd.read_csv(uninterrupted / "sensitivity.csv")
    assert [r["parameter"] for r in summary["sensitivity"]] == list(table["parameter"])
    assert summary["p_adopted_min"]["p_adopted"] <= summary["p_adopted_max"]["p_adopted"]


# --- shipped example and command line ---------------------------------------------------------

def test_shipped_sweep_experiment_is_valid():
    plan = plan_sweep(SHIPPED)
    raw = tomllib.loads(SHIPPED.read_text())
    assert plan.n_points == len(raw["sweep"]["parameters"]["china.budget"]) * len(
        raw["sweep"]["parameters"]["china.strategy"])
    assert {p.name for p in plan.sweep.parameters} == {"china.budget", "china.strategy"}


def test_cli_local_sweep_takes_a_number_of_workers(small_file, uninterrupted, tmp_path, cli):
    proc = cli("sweep", str(small_file), "--workers", "2", "--out", str(tmp_path / "w2"))
    assert proc.code == 0, proc.stderr
    assert tree(tmp_path / "w2") == tree(uninterrupted)
    proc = cli("sweep", str(small_file), "--workers", "0", "--out", str(tmp_path / "w0"))
    assert proc.code == 2 and "--workers" in proc.stderr
    assert proc.stderr.strip().count("\n") == 0


def test_cli_sweep_json_and_bad_param(small_file, uninterrupted, tmp_path, cli):
    out = tmp_path / "cli"
    proc = cli("sweep", str(small_file), "--param", "china.budget=1", "--param",
                "china.strategy=uniform", "--out", str(out), "--json")
    assert proc.code == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["points"] == 1 and summary == json.loads((out / "sweep.json").read_text())
    # the same scenario as point 5 of the file's own sweep, but it runs as point 0 here
    plan = plan_sweep(small_file)
    direct = run_experiment(plan.point_spec(5), point=0)
    assert summary["p_adopted_max"]["p_adopted"] == direct.summary["p_adopted"]
    proc = cli("sweep", str(small_file), "--param", "china.budget=0,-1",
                "--out", str(tmp_path / "x"))
    assert proc.code == 2
    assert proc.stderr.strip().count("\n") == 0 and "--param china.budget" in proc.stderr
    proc = cli("sweep", str(small_file), "--executor", "spark", "--out", str(tmp_path / "y"))
    assert proc.code == 2 and "--executor" in proc.stderr
