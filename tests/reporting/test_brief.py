"""Briefings: markdown with its headline and tables, valid non-trivial PNG charts, provenance."""

from __future__ import annotations

import base64
import io
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest
from helpers import FLAGSHIP, NO_PRESSURE

from model.errors import InputError
from model.experiments.compare import compare
from model.experiments.results import write_outputs
from model.experiments.run import run_experiment
from model.experiments.spec import load_spec
from model.experiments.sweep import run_sweep
from model.inputs.council import EU27
from model.reporting.brief import brief
from model.reporting.charts import CMAP, TILE_GRID, sweep_chart
from model.reporting.load import load_result

SWEEP = """
name = "brief_sweep"
measure = "aci_determination"
rounds = 3
replications = 250
seed = 5

[china]
strategy = "divide_and_rule"

[[china.actions]]
instrument = "rare_earth_licence_slowdown"

[sweep]
chunk = 3

[sweep.parameters]
"china.budget" = [0.0, 0.5, 1.0]
"china.strategy" = ["uniform", "divide_and_rule"]
"""


def small(path, **update):
    spec = load_spec(path)
    return spec.model_copy(update={"replications": 250, "rounds": 4, **update})


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("results")
    write_outputs(run_experiment(small(FLAGSHIP, replications=2000)), root / "run")
    compare(small(FLAGSHIP), small(NO_PRESSURE), out=root / "cmp")
    exp = root / "sweep.toml"
    exp.write_text(SWEEP)
    run_sweep(exp, root / "sweep")
    return root


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def check_images(markdown: Path) -> list[Path]:
    from matplotlib.image import imread

    refs = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", markdown.read_text())
    assert refs
    images = []
    for ref in refs:
        path = markdown.parent / ref
        assert path.is_file(), ref
        width, height = png_size(path)
        assert width > 200 and height > 100
        pixels = imread(path)
        colours = np.unique(pixels.reshape(-1, pixels.shape[-1]), axis=0)
        assert pixels.ndim == 3 and len(colours) > 10
        images.append(path)
    return images


def test_brief_of_a_run(results, tmp_path):
    out = brief(results / "run", out=tmp_path / "run.md")
    text = out.read_text()
    summary = load_result(results / "run").data
    pct = f"{100 * summary['p_adopted']:.1f}%"
    lo, hi = (f"{100 * v:.1f}%" for v in summary["p_adopted_interval"]["total"])
    # the headline quotes the interval with parameter uncertainty, not Monte Carlo noise alone
    assert summary["p_adopted_interval"]["total"] != summary["p_adopted_interval"]["monte_carlo"]
    assert (f"**{pct}**" in text
            and f"95% interval with parameter uncertainty: {lo}-{hi}" in text)
    rows = [line for line in text.splitlines() if re.match(r"\| [A-Z]{2} ", line)]
    assert len(rows) == 27                                 # one row per member state
    assert "Provenance" in text and f"seed {summary['seed']}" in text
    assert "UNVERIFIED" in text
    assert "Populations (council2025): Council Rules of Procedure" in text   # data sources
    assert "confidence medium" in text and "Exposures (params/exposures.csv" in text
    names = {p.name for p in check_images(out)}
    assert any(n.endswith("-map.png") for n in names)
    assert any(n.endswith("-pivotal.png") for n in names)
    assert "run-adoption.png" in names


def test_brief_of_compare_and_sweep_with_html(results, tmp_path):
    out = brief([results / "cmp", results / "sweep"], out=tmp_path / "b" / "brief.md", html=True)
    text = out.read_text()
    c = load_result(results / "cmp").data
    assert f"{100 * c['difference']:+.1f} pp" in text
    assert "paired over 250 replications" in text
    assert "Sweep: brief_sweep" in text and "china.budget" in text
    assert "main effect" in text
    images = check_images(out)
    assert any(p.name.endswith("-sweep.png") for p in images)
    html = out.with_suffix(".html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "Provenance" in html
    # one self-contained file: every chart embedded, byte for byte, no file or web reference
    embedded = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert sorted(base64.b64decode(e) for e in embedded) == sorted(p.read_bytes() for p in images)
    assert not re.findall(r'src="(?!data:)', html)
    assert "http://" not in html and "https://" not in html.split("<body>")[0]


def test_brief_is_reproducible(results, tmp_path):
    a = brief(results / "run", out=tmp_path / "a" / "x.md")
    b = brief(results / "run", out=tmp_path / "b" / "x.md")
    assert a.read_text() == b.read_text()
    for p in sorted(a.parent.glob("*.png")):
        assert p.read_bytes() == (b.parent / p.name).read_bytes()


def test_brief_rejects_what_is_not_a_results_directory(tmp_path, results):
    with pytest.raises(InputError, match="not a results directory"):
        brief(tmp_path, out=tmp_path / "x.md")
    with pytest.raises(InputError, match="not a directory"):
        brief(tmp_path / "missing", out=tmp_path / "x.md")
    with pytest.raises(InputError, match="--out"):
        brief(results / "run", out=tmp_path / "x.txt")
    unfinished = tmp_path / "unfinished"
    unfinished.mkdir()
    (unfinished / "design.csv").write_text("point\n0\n")
    with pytest.raises(InputError, match="not finished"):
        brief(unfinished, out=tmp_path / "y.md")


@pytest.mark.parametrize("parameters, column", [
    ([{"name": "rule", "kind": "categorical"}, {"name": "measure", "kind": "categorical"}], "rule"),
    ([{"name": "china.budget", "kind": "numeric"}], "china.budget"),
])
def test_sweep_chart_handles_certain_outcomes(tmp_path, parameters, column):
    """Points adopted in every replication or in none (intervals touching 0 or 1) still chart."""
    import pandas as pd

    table = pd.DataFrame({
        "rule": ["qmv", "qmv", "comitology", "comitology"],
        "measure": ["ev_cvd", "aci_determination"] * 2,
        "china.budget": [0.0, 0.5, 1.0, 1.5],
        "n_adopted": [0, 250, 3, 250], "replications": [250] * 4,
        "p_adopted": [0.0, 1.0, 0.012, 1.0]})
    path = sweep_chart(table, parameters, tmp_path / "s.png")
    assert png_size(path)[0] > 200


def test_tile_grid_places_the_27_states_on_distinct_tiles():
    assert set(TILE_GRID) == set(EU27)
    assert len(set(TILE_GRID.values())) == 27
    # neighbours on the grid are neighbours on the map (a few spot checks)
    assert TILE_GRID["DE"][1] == TILE_GRID["PL"][1] and TILE_GRID["PL"][0] == TILE_GRID["DE"][0] + 1
    assert TILE_GRID["PT"][0] < TILE_GRID["ES"][0] < TILE_GRID["IT"][0]
    assert TILE_GRID["EE"][1] < TILE_GRID["LV"][1] < TILE_GRID["LT"][1]


def test_colour_map_reads_in_grey_scale():
    """The probability colour map's luminance rises monotonically, so a grey-scale print keeps
    the order of the tiles."""
    from matplotlib import colormaps

    rgb = colormaps[CMAP](np.linspace(0, 1, 64))[:, :3]
    luminance = rgb @ np.array([0.2126, 0.7152, 0.0722])
    assert np.all(np.diff(luminance) > 0)


def test_scenarios_sharing_a_name_stay_apart_in_the_chart(results, tmp_path, monkeypatch):
    """Three runs of one experiment with different seeds: three rows in the adoption chart,
    told apart by their folders (they used to collapse into one)."""
    folders = []
    for seed in (1, 2, 3):
        folder = tmp_path / f"seed{seed}"
        write_outputs(run_experiment(small(FLAGSHIP), seed=seed), folder)
        folders.append(folder)
    from model.reporting import brief as brief_module

    captured = {}
    original = brief_module.adoption_chart

    def spy(rows, path):
        captured["rows"] = rows
        return original(rows, path)

    monkeypatch.setattr(brief_module, "adoption_chart", spy)
    brief(folders, out=tmp_path / "three.md")
    labels = [row[0] for row in captured["rows"]]
    assert len(labels) == 3 and len(set(labels)) == 3
    assert all(label.startswith("aci_rare_earth_divide_and_rule (seed") for label in labels)


def test_cli_brief(results, tmp_path, cli):
    out = tmp_path / "cli" / "brief.md"
    proc = cli("brief", results / "run", "--out", out, "--html")
    assert proc.code == 0, proc.stderr
    assert out.exists() and out.with_suffix(".html").exists()
    check_images(out)
    proc = cli("brief", tmp_path / "nothing")
    assert proc.code == 2 and proc.stderr.count("\n") == 1


def test_brief_writes_the_headline_and_state_tables_for_spreadsheets(results, tmp_path):
    import pandas as pd

    out = brief([results / "run", results / "cmp", results / "sweep"], out=tmp_path / "t" / "b.md")
    head = pd.read_csv(out.parent / "b-headline.csv")
    states = pd.read_csv(out.parent / "b-states.csv", keep_default_na=False)
    run = json.loads((results / "run" / "summary.json").read_text())
    row = head[head["kind"] == "run"].iloc[0]
    assert row["scenario"] == run["experiment"] and row["p_adopted"] == run["p_adopted"]
    assert [row["total_lo"], row["total_hi"]] == run["p_adopted_interval"]["total"]
    assert [row["monte_carlo_lo"], row["monte_carlo_hi"]] == run["p_adopted_ci95"]
    cmp = json.loads((results / "cmp" / "compare.json").read_text())
    diff = head[head["kind"] == "difference (b - a)"].iloc[0]
    assert diff["p_adopted"] == cmp["difference"]
    assert [diff["total_lo"], diff["total_hi"]] == cmp["difference_interval"]["total"]
    assert (head["kind"] == "sweep point").sum() == 6          # 3 budgets x 2 strategies
    assert (head["kind"] == "run").sum() == 3                  # the run and both sides
    mine = states[states["scenario"] == run["experiment"]].set_index("iso2")
    assert len(mine) == 27 and mine.loc["DE", "state"] == "Germany"
    de = next(x for x in run["states"] if x["iso2"] == "DE")
    assert mine.loc["DE", "p_for"] == de["p_for"] and mine.loc["DE", "p_pivotal"] == de["p_pivotal"]
    book = pd.read_excel(io.BytesIO((out.parent / "b.xlsx").read_bytes()), sheet_name=None)
    assert set(book) == {"headline", "states"}
    pd.testing.assert_frame_equal(book["states"], states, check_dtype=False)
    assert book["headline"]["p_adopted"].tolist() == head["p_adopted"].tolist()


def test_pivotal_chart_rows_are_sorted_by_what_it_plots():
    from model.reporting.charts import pivotal_order

    states = [{"iso2": "DE", "p_pivotal": 0.10, "targeted_share": 0.5},
              {"iso2": "IT", "p_pivotal": 0.30, "targeted_share": 0.5},
              {"iso2": "FR", "p_pivotal": 0.20, "targeted_share": 0.0},
              {"iso2": "MT", "p_pivotal": 0.00, "targeted_share": 0.0}]
    # China's spending brings DE in; the order (bottom to top) is P(pivotal), largest on top
    assert pivotal_order([("a", states)], top=3) == ["DE", "FR", "IT"]


def test_sweep_labels_read_as_an_analyst_writes_them():
    from model.reporting.labels import parameter_label, value_label

    assert parameter_label("china.strategy") == "China's strategy"
    assert parameter_label("china.budget") == "China's budget per round"
    assert value_label("divide_and_rule") == "divide and rule"
    assert value_label("crma_stockpile") == "CRMA stockpile"
    assert value_label("wang_yi_berlin_paris") == "Wang Yi in Berlin and Paris"
