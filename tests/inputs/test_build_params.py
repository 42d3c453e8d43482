"""scripts/build_params.py: a source it cannot read stops the build with one line and leaves
params/ as it was (the tables are built in a scratch folder and moved in only when all are)."""

from __future__ import annotations

import importlib.util
import shutil

from helpers import ROOT


def _build_module():
    spec = importlib.util.spec_from_file_location("build_params", ROOT / "scripts" /
                                                  "build_params.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def test_a_broken_source_leaves_params_as_it_was(tmp_path, monkeypatch, capsys):
    build = _build_module()
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "params" / "sources", sources)
    params = tmp_path / "params"
    params.mkdir()
    for name in ("member_states.csv", "exposures.csv", "schedules.csv", "alignment.csv"):
        shutil.copy(ROOT / "params" / name, params / name)
    before = {p.name: p.read_bytes() for p in params.iterdir()}
    # the exposures step fails: a research table loses its value column
    table = sources / "research" / "car_production.csv"
    lines = table.read_text().splitlines()
    table.write_text("\n".join(",".join(c for c in ln.split(",")[:3]) for ln in lines) + "\n")
    monkeypatch.setattr(build, "PARAMS", params)
    assert build.main(sources) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("build_params: build_exposures:")
    assert {p.name: p.read_bytes() for p in params.iterdir()} == before   # nothing half-built


def test_a_whole_build_replaces_the_tables(tmp_path, monkeypatch):
    build = _build_module()
    params = tmp_path / "params"
    params.mkdir()
    monkeypatch.setattr(build, "PARAMS", params)
    assert build.main(ROOT / "params" / "sources") == 0
    for name in ("member_states.csv", "exposures.csv", "schedules.csv", "alignment.csv"):
        assert (params / name).read_bytes() == (ROOT / "params" / name).read_bytes(), name
    assert sorted(p.name for p in params.iterdir() if p.is_dir()) == []   # no scratch left
