"""Everything a hostile user tried: each ends in one clear line and a non-zero exit, with no
traceback and no half-written output (run in-process through the real entry point)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from helpers import EV_CASE, EXPERIMENTS, FLAGSHIP

from model.inputs.council import EU27, PARAMS_DIR
from model.io import atomic_write_text, file_sha256, locked


def one_line_error(result, code: int = 2, *needles: str) -> None:
    assert result.code == code, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


def experiment(tmp_path: Path, body: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(body)
    return path


TINY = 'measure = "aci_determination"\nrounds = 2\nreplications = 250\n'


# 1. usage errors ----------------------------------------------------------------------------

@pytest.mark.parametrize("args, needle", [
    (["vote"], "Missing option '--rule'"),
    (["run"], "Missing argument"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["vote", "--rule", "qmv", "--bogus"], "No such option: --bogus"),
    (["run", str(FLAGSHIP), "--replications", "many"], "--replications"),
    (["vote", "--rule", "majority"], "unknown rule 'majority'"),
    (["vote", "--rule", "qmv", "--for", "XX"], "unknown country code 'XX'"),
    (["run", "missing.toml"], "missing.toml: file not found"),
])
def test_usage_errors_are_one_line_and_exit_2(cli, args, needle):
    one_line_error(cli(*args), 2, needle)


# 2. Ctrl-C during a long run ------------------------------------------------------------------

def test_ctrl_c_during_run_says_what_was_saved_and_the_rerun_resumes(cli, tmp_path, monkeypatch):
    from model.abm.model import CouncilModel
    from model.experiments import run as run_module

    original_chunks, original_run = run_module._chunks, CouncilModel.run
    monkeypatch.setattr(run_module, "_chunks", lambda total, chunk: original_chunks(total, 250))
    calls = {"n": 0}

    def interrupted_second_chunk(self, on_round=None):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original_run(self, on_round)

    monkeypatch.setattr(CouncilModel, "run", interrupted_second_chunk)
    out = tmp_path / "run"
    result = cli("run", FLAGSHIP, "--replications", "1000", "--out", out)
    one_line_error(result, 130, "1 finished chunk", "rerun the same command to resume")
    assert not (out / "summary.json").exists()
    monkeypatch.setattr(CouncilModel, "run", original_run)
    resumed = cli("run", FLAGSHIP, "--replications", "1000", "--out", out, "--json").json()
    fresh = cli("run", FLAGSHIP, "--replications", "1000", "--out", tmp_path / "fresh",
                "--json").json()
    assert resumed == fresh
    assert not (out / ".partial").exists()


def test_ctrl_c_during_sweep_says_how_to_resume(cli, tmp_path, monkeypatch):
    from model.experiments import sweep as sweep_module

    def stop(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep_module, "evaluate_point", stop)
    path = experiment(tmp_path, 'name = "tiny"\n' + TINY + '[sweep.parameters]\n'
                                '"china.budget" = [0, 1]\n')
    one_line_error(cli("sweep", path, "--out", tmp_path / "sw"), 130,
                   "finished points are kept in", "rerun the same command to resume")


# 4. no run bigger than the machine --------------------------------------------------------------

def test_a_run_too_big_for_memory_is_refused_before_it_starts(cli, tmp_path):
    huge = experiment(tmp_path, 'name = "huge"\nmeasure = "ev_cvd"\n'
                                'replications = 10000000000000\n')
    one_line_error(cli("run", huge, "--out", tmp_path / "huge_out"), 2, "replications",
                   "GiB of memory")
    assert not (tmp_path / "huge_out" / "summary.json").exists()
    as_float = experiment(tmp_path, 'name = "f"\nmeasure = "ev_cvd"\nreplications = 1e13\n',
                          "f.toml")
    one_line_error(cli("run", as_float), 2, "replications", "valid integer")


# 5. incomplete tables --------------------------------------------------------------------------

def test_tables_that_leave_members_out_are_errors_naming_them(cli, tmp_path):
    three = tmp_path / "three.csv"
    three.write_text("iso2,population\nDE,83000000\nFR,68000000\nIT,59000000\n")
    one_line_error(cli("vote", "--rule", "qmv", "--for", "DE,FR,IT", "--population", three), 2,
                   "no figure for 24 member states", "AT")
    one_line_error(cli("power", "--population", three), 2, "no figure for 24 member states")
    # saying who takes part makes the same table usable
    out = cli("power", "--population", three, "--participating", "DE,FR,IT", "--json").json()
    assert len(out["states"]) == 3
    vote = cli("vote", "--rule", "qmv", "--for", "DE,FR,IT", "--others", "absent",
               "--population", three, "--json").json()
    assert vote["outcome"] == "adopted" and vote["tally"]["for"]["states"] == 3
    no_de = tmp_path / "no_de.csv"
    no_de.write_text("iso2,population\n" + "".join(f"{s},1000\n" for s in EU27 if s != "DE"))
    one_line_error(cli("vote", "--rule", "qmv", "--population", no_de), 2,
                   "no figure for 1 member state: DE")
    probs = tmp_path / "p.csv"
    probs.write_text("iso2,p_for,p_against,p_abstain\n" + "".join(
        f"{s},0.5,0.3,0.2\n" for s in EU27 if s != "MT"))
    one_line_error(cli("probability", "--rule", "qmv", "--probabilities", probs), 2,
                   "no row for MT")
    partial = cli("probability", "--rule", "qmv", "--probabilities", probs, "--participating",
                  ",".join(s for s in EU27 if s != "MT"), "--json").json()
    assert len(partial["states"]) == 26


# 6. an --out that cannot be written ----------------------------------------------------------

@pytest.mark.parametrize("command", ["run", "sweep", "compare", "brief", "calibrate"])
def test_an_out_that_is_a_file_is_refused_before_any_work(cli, tmp_path, command, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    sweep = experiment(tmp_path, 'name = "s"\n' + TINY + '[sweep.parameters]\n'
                                 '"china.budget" = [0, 1]\n')
    from model.validation import calibrate as calibrate_module

    monkeypatch.setattr(calibrate_module, "calibrate",
                        lambda *a, **k: pytest.fail("calibrate ran before checking --out"))
    args = {
        "run": ["run", FLAGSHIP, "--out", blocker / "sub"],
        "sweep": ["sweep", sweep, "--out", blocker],
        "compare": ["compare", FLAGSHIP, FLAGSHIP, "--out", blocker],
        "brief": ["brief", tmp_path, "--out", blocker / "x.md"],
        "calibrate": ["calibrate", EV_CASE, "--out", blocker / "behaviour.toml"],
    }[command]
    result = cli(*args)
    assert result.code == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "a_file" in result.stderr and "Traceback" not in result.stderr
    assert blocker.read_text() == "not a folder"


def test_an_unwritable_out_is_refused(cli, tmp_path):
    if os.geteuid() == 0:                  # root may write anywhere but in /proc
        one_line_error(cli("run", FLAGSHIP, "--out", "/proc/eucoalition_out"), 2, "cannot write")
        return
    read_only = tmp_path / "ro"
    read_only.mkdir()
    read_only.chmod(0o500)
    try:
        one_line_error(cli("run", FLAGSHIP, "--out", read_only / "x"), 2, "cannot write")
    finally:
        read_only.chmod(0o700)


# 7., 8., 12. bad experiment files -------------------------------------------------------------

@pytest.mark.parametrize("body, needles", [
    (b"\x89PNG\r\n\x1a\n\x00\xff\xfe binary", ["not a text file"]),
    (b'name = "../../x"\nmeasure = "ev_cvd"\n', ["field 'name'", "cannot name a results folder"]),
    (b'name = ""\nmeasure = "ev_cvd"\n', ["field 'name'"]),
    (b'name = "ok"\nmeasure = "ev_cvd"\nreplications = true\n', ["field 'replications'"]),
    (b'name = "ok"\nmeasure = "ev_cvd"\n[china]\nbudget = inf\n', ["field 'china.budget'"]),
    (b'name = "ok"\nmeasure = "ev_cvd"\nrounds = 2.5\n', ["field 'rounds'"]),
])
def test_bad_experiment_files_are_one_line(cli, tmp_path, body, needles):
    path = tmp_path / "bad.toml"
    path.write_bytes(body)
    result = cli("run", path, "--out", tmp_path / "out")
    one_line_error(result, 2, "bad.toml", *needles)
    assert not (tmp_path / "out" / "summary.json").exists()
    assert not (tmp_path.parent / "x").exists()


def test_two_runs_into_one_folder_at_once_are_refused(cli, tmp_path):
    out = tmp_path / "shared"
    with locked(out):
        result = cli("run", FLAGSHIP, "--replications", "250", "--out", out)
    one_line_error(result, 2, "another run is writing to")
    assert not (out / "summary.json").exists()


def test_compare_says_it_ran_both_scenarios_with_the_first_ones_settings(cli, tmp_path):
    other = tmp_path / "other.toml"
    text = (EXPERIMENTS / "aci_rare_earth_no_pressure.toml").read_text()
    other.write_text(text.replace("seed = 20251009", "seed = 5"))
    out = cli("compare", FLAGSHIP, other, "--replications", "250", "--out", tmp_path / "c")
    assert out.code == 0, out.stderr
    assert "note: both scenarios run with seed 20251009" in out.stdout
    assert "note: both scenarios run with 250 replications" in out.stdout


# 10. calibrate does not overwrite the shipped parameters by default -----------------------------

def test_calibrate_writes_under_results_unless_told_otherwise(cli, tmp_path, monkeypatch):
    shipped = file_sha256(PARAMS_DIR / "behaviour.toml")
    monkeypatch.chdir(tmp_path)
    result = cli("calibrate", EV_CASE, "--free", "cut_gap", "--replications", "20",
                 "--held-out", "none", "--json")
    assert result.code == 0, result.stderr
    written = Path(json.loads(result.stdout)["out"])
    assert written == Path("results") / "calibration" / "behaviour.toml"
    assert (tmp_path / written).is_file()
    assert file_sha256(PARAMS_DIR / "behaviour.toml") == shipped


# 11. output files get the usual permissions ------------------------------------------------------

def test_outputs_are_readable_by_others_as_the_umask_allows(cli, tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
        assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644
        assert cli("run", FLAGSHIP, "--replications", "250", "--out", tmp_path / "r").code == 0
        modes = {stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "r").iterdir()}
        assert modes == {0o644}
        os.umask(0o077)
        atomic_write_text(tmp_path / "b.txt", "x")
        assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o600
    finally:
        os.umask(old)


# 13. machine-readable outputs carry full precision ------------------------------------------------

def test_json_carries_full_precision(cli, tmp_path):
    summary = cli("run", FLAGSHIP, "--replications", "250", "--out", tmp_path / "r",
                  "--json").json()
    for row in summary["states"]:
        assert abs(row["p_for"] + row["p_abstain"] + row["p_against"] - 1.0) < 1e-12
    # the CSV holds the same numbers as the JSON, digit for digit
    import csv

    with open(tmp_path / "r" / "states.csv", newline="") as fh:
        rows = {r["iso2"]: r for r in csv.DictReader(fh)}
    for row in summary["states"]:
        assert float(rows[row["iso2"]]["p_for"]) == row["p_for"]
    vote = cli("vote", "--rule", "qmv", "--for", "DE,FR", "--json").json()
    assert sum(t["population_share"] for k, t in vote["tally"].items() if k != "absent") == \
        pytest.approx(1.0, abs=1e-15)
