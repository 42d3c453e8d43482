"""Command line for scenario work: ``compare``, ``sweep`` and ``brief``.

Parse, call model.compare / model.sweep / model.report, print rich tables or JSON; nothing
else. :func:`register` adds the commands to the main typer app (model.cli).
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from .cli_common import check_counts, console, emit_json, pct, progress_bar

__all__ = ["register"]


def _print_comparison(c: dict) -> None:

    lo, hi = c["difference_ci95"]
    ulo, uhi = c["difference_ci95_unpaired"]
    console.print(f"[bold]{c['b']}[/bold] vs [bold]{c['a']}[/bold]: {c['replications']:,} paired "
                  f"replications, seed {c['seed']}")
    console.print(f"P(adopted): {c['a']} {c['p_adopted_a']:.3f}, {c['b']} {c['p_adopted_b']:.3f}")
    console.print(f"difference (b - a) = {c['difference']:+.3f} (95% CI {lo:+.3f} to {hi:+.3f}, "
                  f"paired; unpaired would be {ulo:+.3f} to {uhi:+.3f})")
    table = Table(title="States whose positions shift most")
    for col in ("state", "P(for) a", "P(for) b", "Δ P(for)", "Δ P(abstain)", "Δ P(against)"):
        table.add_column(col, justify="left" if col == "state" else "right")
    for r in c["states"][:10]:
        table.add_row(r["iso2"], f"{r['p_for_a']:.2f}", f"{r['p_for_b']:.2f}",
                      f"{r['delta_p_for']:+.3f}", f"{r['delta_p_abstain']:+.3f}",
                      f"{r['delta_p_against']:+.3f}")
    console.print(table)
    co = c["coalitions"]
    table = Table(title="Most frequent minimal blocking coalitions (share of replications)")
    table.add_column("scenario")
    table.add_column("coalition")
    table.add_column("share", justify="right")
    for side in ("a", "b"):
        for x in co[side]["top"]:
            table.add_row(c[side], "+".join(x["states"]), pct(x["share"]))
    console.print(table)
    for side in ("a", "b"):
        only = co[f"only_in_{side}"]
        if only:
            console.print(f"only under {c[side]}: " + "; ".join(
                f"{'+'.join(x['states'])} ({pct(x['share'])})" for x in only))


def _print_sweep(summary: dict, out_dir: Path) -> None:

    lo, hi = summary["p_adopted_min"], summary["p_adopted_max"]

    def at(p: dict) -> str:
        values = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in p["values"].items())
        ties = p.get("points_with_this_value", 1)
        return f"{ties} points, e.g. {values}" if ties > 1 else values

    console.print(f"[bold]{summary['experiment']}[/bold]: {summary['design']} design, "
                  f"{summary['points']} points x {summary['replications_per_point']:,} "
                  "replications")
    console.print(f"P(adopted) from {lo['p_adopted']:.3f} ({at(lo)}) to "
                  f"{hi['p_adopted']:.3f} ({at(hi)})")
    table = Table(title="Sensitivity: what moves P(adopted)")
    sobol = summary["design"] == "sobol"
    cols = ["parameter", "std. coef.", "main effect", *(["total effect"] if sobol else []),
            "range", "highest at", "lowest at"]
    for col in cols:
        table.add_column(col, justify="left" if col == "parameter" else "right",
                         no_wrap=col in ("parameter", "highest at", "lowest at"))

    def f(v, fmt="{:.3f}"):
        return "" if v is None else fmt.format(v)

    for r in summary["sensitivity"]:
        table.add_row(r["parameter"], f(r["src"], "{:+.3f}"), f(r["main_effect"]),
                      *([f(r["total_effect"])] if sobol else []), f(r["range_of_means"]),
                      str(r["highest_at"]), str(r["lowest_at"]))
    console.print(table)
    if summary.get("sensitivity_r2") is not None:
        console.print(f"R^2 of the linear regression behind the coefficients: "
                      f"{summary['sensitivity_r2']:.3f}")
    console.print(f"written to {out_dir}/ (design.csv, chunks/*.parquet, points.csv, "
                  "sensitivity.csv, sweep.json, manifest.json)")


def register(app: typer.Typer) -> None:
    """Add the compare, sweep and brief commands to ``app``."""

    @app.command("compare")
    def compare_cmd(
        a: Path = typer.Argument(..., help="Scenario A (experiment TOML)."),
        b: Path = typer.Argument(..., help="Scenario B (experiment TOML)."),
        replications: Optional[int] = typer.Option(None, help="Replications of both "
                                                              "(default: A's)."),
        seed: Optional[int] = typer.Option(None, help="Common seed (default: A's)."),
        out: Optional[Path] = typer.Option(None, help="Output directory (default results/A_vs_B)."),
        as_json: bool = typer.Option(False, "--json", help="Print compare.json instead of tables."),
    ) -> None:
        """Compare two scenarios paired by common random numbers: difference, shifts, coalitions.

        Reports the paired difference in P(adopted) (B minus A) with its 95% interval, the
        states whose positions shift most and the blocking coalitions of each scenario.
        """
        from .compare import compare
        from .spec import load_spec

        check_counts(replications, seed)
        spec_a, spec_b = load_spec(a), load_spec(b)          # validate both before running
        out_dir = out or Path("results") / f"{spec_a.name}_vs_{spec_b.name}"
        with progress_bar("rounds") as bar:
            result = compare(a, b, replications=replications, seed=seed,
                             out=out_dir, progress=bar)
        if as_json:
            emit_json(result)
            return
        _print_comparison(result)
        console.print(f"written to {out_dir}/ (compare.json, manifest.json, a/, b/)")

    @app.command("sweep")
    def sweep_cmd(
        experiment: Path = typer.Argument(..., help="Experiment file (TOML), with a \\[sweep] table "
                                                    "unless --param is given."),
        param: Optional[list[str]] = typer.Option(
            None, "--param", help="name=v1,v2,... (levels), name=lo:hi (range, lhs/sobol) or "
                                  "name=lo:hi:n (range with n grid levels). Repeatable; replaces "
                                  "the file's \\[sweep.parameters]."),
        design: Optional[str] = typer.Option(None, help="grid, lhs or sobol (default: the file's, "
                                                        "else grid)."),
        samples: Optional[int] = typer.Option(None, help="Points of an lhs design; base sample "
                                                         "(a power of two) of a sobol design."),
        out: Optional[Path] = typer.Option(None, help="Output directory (default results/NAME)."),
        executor: str = typer.Option("local", help="local or dask."),
        scheduler: Optional[str] = typer.Option(None, help="Address of a running dask scheduler "
                                                           "(default: start a LocalCluster)."),
        workers: Optional[int] = typer.Option(None, help="Workers of the LocalCluster "
                                                         "(default: CPU count)."),
        replications: Optional[int] = typer.Option(None, help="Replications per design point."),
        chunk: Optional[int] = typer.Option(None, help="Design points per results file."),
        as_json: bool = typer.Option(False, "--json", help="Print sweep.json instead of tables."),
    ) -> None:
        """Sweep parameters (grid, Latin hypercube or Sobol design), locally or on Dask.

        Results stream to --out in Parquet chunks; rerunning an interrupted sweep resumes it.
        """
        from .design import parse_param_options
        from .spec import load_spec
        from .sweep import run_sweep

        check_counts(replications)
        params = parse_param_options(param) if param else None
        spec = load_spec(experiment)
        out_dir = out or Path("results") / spec.name
        try:
            with progress_bar("points") as bar:
                result = run_sweep(experiment, out_dir, params=params, design=design,
                                   samples=samples, replications=replications, chunk=chunk,
                                   executor=executor, workers=workers, scheduler=scheduler,
                                   progress=bar)
        except KeyboardInterrupt:
            typer.echo(f"sweep interrupted; finished points are kept in {out_dir}/ - rerun the "
                       "same command to resume", err=True)
            raise
        if as_json:
            emit_json(result.summary)
            return
        _print_sweep(result.summary, out_dir)

    @app.command("brief")
    def brief_cmd(
        results_dirs: list[Path] = typer.Argument(..., help="Output directories of run, compare "
                                                            "or sweep."),
        out: Optional[Path] = typer.Option(None, help="Markdown file to write (default "
                                                      "FIRST_DIR/brief.md); charts go beside it."),
        html: bool = typer.Option(False, "--html", help="Also write an HTML version."),
    ) -> None:
        """Write a briefing (Markdown, optionally HTML) from run, compare or sweep outputs.

        A headline with its interval, per-state table, charts (PNG) and a provenance box.
        """
        from .report import brief

        target = out or Path(results_dirs[0]) / "brief.md"
        path = brief(results_dirs, out=target, html=html)
        import re

        charts = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", path.read_text())
        console.print(f"wrote {path}" + (f" and {path.with_suffix('.html')}" if html else ""))
        console.print("charts:")
        for chart in charts:
            console.print(f"  {path.parent / chart}")
