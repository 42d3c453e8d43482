"""``eucoalition explore``: serves the page and prints its address; one-line errors (exit 2)
for a bad file, a bad or busy port, and a missing [explore] extra."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import urllib.request

import pytest
from helpers import ROOT


def test_without_the_extra_it_says_how_to_install_it(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "dash", None)           # import dash fails
    out = cli("explore")
    assert out.code == 2
    assert out.stderr.count("\n") == 1 and "pip install -e '.[explore]'" in out.stderr


def test_a_bad_experiment_file_is_one_line(cli, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nmeasure = "no_such_measure"\n')
    out = cli("explore", bad)
    assert out.code == 2 and out.stderr.count("\n") == 1
    assert str(bad) in out.stderr and "measure" in out.stderr


def test_a_bad_or_busy_port_is_one_line(cli):
    out = cli("explore", "--port", "70000")
    assert out.code == 2 and "--port" in out.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        out = cli("explore", "--port", str(busy.getsockname()[1]))
    assert out.code == 2 and out.stderr.startswith("error: field '--port': cannot serve on")


def test_it_serves_the_page_and_prints_the_address(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "model", "explore", "--port", "0"],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={"PYTHONUNBUFFERED": "1", "COLUMNS": "200",
                                            "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().startswith("running the starting scenario")
        line = proc.stdout.readline()
        found = re.search(r"explorer running at (http://127\.0\.0\.1:\d+/)", line)
        if found is None:
            pytest.fail(f"no address in {line!r}; stderr: {proc.stderr.read()}")
        with urllib.request.urlopen(found.group(1), timeout=30) as page:
            assert page.status == 200 and "eucoalition explorer" in page.read().decode()
        with urllib.request.urlopen(found.group(1) + "_dash-layout", timeout=30) as layout:
            assert '"budget"' in layout.read().decode()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
