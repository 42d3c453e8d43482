"""The installed entry point as a separate process, where a subprocess is the point: exit codes
seen by a shell, what the solver writes to the real standard output, and a real Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from helpers import FLAGSHIP, ROOT

from model.inputs.council import EU27


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "model", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, **kwargs)


def test_help_and_a_usage_error_as_a_shell_sees_them():
    assert run("--help").returncode == 0
    proc = run("vote")
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "--rule" in proc.stderr


def test_blocking_json_is_pure_json_even_when_the_solver_talks(tmp_path):
    costs = tmp_path / "costs.csv"
    costs.write_text("iso2,cost\n" + "".join(f"{s},{i + 1}\n" for i, s in enumerate(EU27)))
    for rule in ("qmv", "rqmv", "comitology"):
        proc = run("blocking", "--rule", rule, "--costs", costs, "--json")
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["rule"] == rule       # nothing before or after the JSON


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_real_ctrl_c_saves_the_finished_chunks_and_exits_130(tmp_path, workers):
    """In one process and with two worker processes. The signal goes to the whole process
    group, as a terminal sends it: the workers ignore it (else each would print its own
    traceback) and the run's own process stops them."""
    out = tmp_path / "run"
    # 20 chunks of 10,000: the run is still going when the first chunk is on disk, however
    # fast the machine (6 chunks once finished inside the signal's window on a CI run)
    proc = subprocess.Popen([sys.executable, "-m", "model", "run", str(FLAGSHIP),
                             "--replications", "200000", "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "EUCOALITION_WORKERS": workers},
                            start_new_session=True)
    partial = out / ".partial"
    deadline = time.monotonic() + 120
    while not list(partial.glob("chunk_*.npz")) and time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGINT)     # as a terminal does: the run and its workers
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, (stdout, stderr)
    assert stderr.count("\n") == 1 and "saved in" in stderr and "resume" in stderr
    assert "Traceback" not in stderr and not (out / "summary.json").exists()
    saved = len(list(partial.glob("chunk_*.npz")))
    assert saved >= 1 and f"{saved} finished chunk" in stderr
