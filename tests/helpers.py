"""Helpers every test folder shares (importable as ``helpers``: pytest puts tests/ on the path):
paths of the shipped files, the recorded October 2024 vote, small experiments, and the command
line run in-process."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
EXPERIMENTS = ROOT / "experiments"
FLAGSHIP = EXPERIMENTS / "aci_rare_earth_divide_and_rule.toml"
NO_PRESSURE = EXPERIMENTS / "aci_rare_earth_no_pressure.toml"
EV = EXPERIMENTS / "ev_duties_2024.toml"
EV_CASE = ROOT / "params" / "votes" / "ev_cvd_2024_10_04.toml"
EV_FOR = "IT,FR,PL,NL,IE,LV,LT,EE,BG,DK"
EV_AGAINST = "DE,HU,MT,SI,SK"


@dataclass
class CliResult:
    """What one in-process run of the command line printed and returned."""

    code: int
    stdout: str
    stderr: str

    def json(self):
        assert self.code == 0, self.stderr
        return json.loads(self.stdout)


def run_cli(*args: str) -> CliResult:
    """Run ``eucoalition ARGS`` in this process through :func:`model.cli.main` (the entry point,
    with its error handling), capturing output with typer's CliRunner."""
    from model.cli import main

    runner = CliRunner()
    with runner.isolation() as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout, stderr = out.getvalue().decode(), err.getvalue().decode()
    return CliResult(code, stdout, stderr)


def ev_vote() -> dict[str, str]:
    """The recorded positions of 4 October 2024 (tests/fixtures/votes_2024_10_04.csv)."""
    with open(FIXTURES / "votes_2024_10_04.csv", newline="") as fh:
        return {r["iso2"]: r["position"] for r in csv.DictReader(fh)}


def small_spec(path: Path = FLAGSHIP, **update):
    """An experiment file's spec with fewer replications and rounds (fast)."""
    from model.experiments.spec import load_spec

    base = {"replications": 500, "rounds": 6}
    base.update(update)
    return load_spec(path).model_copy(update=base)


def with_china(spec, **china):
    """A copy of ``spec`` with China's settings changed."""
    return spec.model_copy(update={"china": spec.china.model_copy(update=china)})


def assert_split_independent(spec) -> None:
    """A run of ``spec`` in one chunk, in chunks of one block and in chunks of one block run
    by two worker processes give the same summary, replications and rounds.csv bytes (same
    seed, same bytes, however the work is split)."""
    import pandas as pd

    from model.experiments.results import csv_text
    from model.experiments.run import run_experiment

    whole = run_experiment(spec, chunk=spec.replications, workers=1)
    for pieces in (run_experiment(spec, chunk=250, workers=1),
                   run_experiment(spec, chunk=250, workers=2)):
        assert whole.summary == pieces.summary
        pd.testing.assert_frame_equal(whole.replications, pieces.replications)
        pd.testing.assert_frame_equal(whole.rounds, pieces.rounds, check_exact=True)
        assert csv_text(whole.rounds) == csv_text(pieces.rounds)
