"""Exporting what is on the page: the scenario as an experiment file, and a briefing.

The experiment file is the page's experiment dict written as TOML (:func:`model.io.toml_dumps`):
``eucoalition run`` on it validates and runs the same spec, so it reproduces the page's numbers
exactly. The briefing is what ``eucoalition brief --html`` writes (:func:`model.reporting.brief.
brief`) for the current run, and for its comparison with the saved scenario when there is one,
as one self-contained HTML file.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..experiments.compare import Comparison, write_comparison
from ..experiments.results import ExperimentResult, write_outputs
from ..io import toml_dumps
from ..reporting.brief import brief
from ..version import __version__

__all__ = ["experiment_toml", "briefing_html"]


def experiment_toml(raw: dict) -> str:
    """The experiment file of the page's scenario.

    >>> print(experiment_toml({"name": "x", "measure": "ev_cvd", "seed": 1}), end="")
    # Scenario exported from the eucoalition explorer; `eucoalition run` on this file
    # reproduces the numbers shown on the page.
    <BLANKLINE>
    name = "x"
    measure = "ev_cvd"
    seed = 1
    """
    return toml_dumps(raw, header="Scenario exported from the eucoalition explorer; "
                                  "`eucoalition run` on this file\nreproduces the numbers shown "
                                  "on the page.")


def briefing_html(result: ExperimentResult, comparison: tuple[dict, ExperimentResult,
                                                              ExperimentResult] | None = None
                  ) -> str:
    """The HTML briefing of ``result`` and, if given, of the comparison (report, a, b)."""
    with tempfile.TemporaryDirectory(prefix="eucoalition-explorer-") as tmp:
        folders = [Path(tmp) / result.spec.name]
        write_outputs(result, folders[0])
        if comparison is not None:
            report, a, b = comparison
            folders.append(Path(tmp) / f"{report['a']}_vs_{report['b']}")
            manifest = {"kind": "compare", "a": a.manifest, "b": b.manifest,
                        "seed": report["seed"], "replications": report["replications"],
                        "version": __version__}
            write_comparison(Comparison(report, a, b, manifest), folders[1])
        out = brief(folders, out=Path(tmp) / "brief" / "brief.md", html=True)
        return out.with_suffix(".html").read_text()
