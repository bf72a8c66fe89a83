"""Commands that act on a launched sweep: ``status``, ``stop``, ``results``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import (
    run_async,
    target_kwargs,
    target_options,
)


@main.command()
@target_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--watch",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Refresh in place every SECONDS until Ctrl-C (table format).",
)
def status(sweep: Path, fmt: str, watch: float | None, **kwargs: Any) -> None:
    """Where every job of SWEEP stands: counts, failure reasons, billable time."""
    from sagesweep.commands import status as operate
    from sagesweep.operating.status_view import render_table, write_csv, write_json

    target = target_kwargs(kwargs)
    if watch is not None:
        _watch(sweep, watch, target)
        return
    result = run_async(lambda: operate.status(sweep, **target))
    if fmt == "json":
        write_json(result, sys.stdout)
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    else:
        from rich.console import Console

        Console().print(render_table(result))


def _watch(sweep: Path, every: float, target: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.live import Live

    from sagesweep.commands import status as operate
    from sagesweep.commands.connect import TargetOptions
    from sagesweep.operating.status import SweepStatus
    from sagesweep.operating.status_view import render_table

    options = TargetOptions(
        mock=target["mock"],
        endpoint_url=target["endpoint_url"],
        region=target["region"],
        profile=target["profile"],
        concurrency=target["concurrency"],
    )
    with Live(console=Console(), auto_refresh=False) as live:

        def show(current: SweepStatus) -> None:
            live.update(render_table(current), refresh=True)

        try:
            run_async(
                lambda: operate.watch(
                    sweep,
                    every=every,
                    show=show,
                    ledger=target["ledger"],
                    options=options,
                    rate=target["rate"],
                )
            )
        except KeyboardInterrupt:
            return


@main.command()
@target_options
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="PATH=VALUE",
    help="Only jobs whose swept parameter PATH has VALUE (repeatable: all must match).",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def stop(sweep: Path, wheres: tuple[str, ...], yes: bool, **kwargs: Any) -> None:
    """Stop SWEEP: its running submitter on this host, then its InProgress jobs."""
    from sagesweep.commands import status as operate

    def confirm(count: int) -> bool:
        if yes or not sys.stdin.isatty():
            return True
        return click.confirm(f"Stop {count} InProgress job(s) of {sweep}?", default=False)

    target = target_kwargs(kwargs)
    report = run_async(lambda: operate.stop(sweep, where=wheres, confirm=confirm, **target))
    if report.submitter:
        click.echo(f"sagesweep: {report.submitter}", err=True)
    if report.recorded:
        click.echo(f"sagesweep: {report.recorded}", err=True)
    already = ", ".join(f"{n} {s}" for s, n in sorted(report.already.items())) or "none"
    click.echo(
        f"stopped {len(report.stopped)} of {report.selected} selected job(s); left alone: {already}"
    )
    for name, why in sorted(report.failed.items()):
        click.echo(f"{name}: could not stop: {why}", err=True)
    sys.exit(report.exit_code)


@main.command()
@target_options
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "jsonl"]),
    default="table",
    show_default=True,
)
@click.option("--sort", default=None, metavar="METRIC", help="Best first by this metric.")
@click.option(
    "--maximize/--minimize",
    "maximize",
    default=None,
    help="Direction of --sort (default: maximize for scores such as auc, accuracy, f1, "
    "precision, recall, map, ndcg, r2; else minimize).",
)
@click.option("--top", type=click.IntRange(1), default=None, help="Only the best N rows.")
@click.option(
    "--plot",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE.png",
    help="Plot the --sort metric against each swept parameter.",
)
def results(
    sweep: Path,
    fmt: str,
    sort: str | None,
    maximize: bool | None,
    top: int | None,
    plot: Path | None,
    **kwargs: Any,
) -> None:
    """One row per job of SWEEP: swept parameters and final metrics."""
    from sagesweep.commands import status as operate
    from sagesweep.operating.results import Goal
    from sagesweep.operating.results_view import print_table, write_csv, write_jsonl

    target = target_kwargs(kwargs)
    if plot is not None:
        from sagesweep.operating.plot import check_plot_path

        check_plot_path(plot)
    goal: Goal | None = None if maximize is None else ("maximize" if maximize else "minimize")
    everything = run_async(lambda: operate.results(sweep, sort=sort, goal=goal, **target))
    if plot is not None:
        from sagesweep.operating.plot import plot_progress, plot_results
        from sagesweep.planning.config import load_config

        if load_config(sweep).method == "tpe":
            plot_progress(everything, plot)  # the curve people expect from a tuner
        else:
            plot_results(everything, plot)  # every job, whatever --top shows
        click.echo(f"plot written to {plot}", err=True)
    table = everything.head(top)
    if fmt == "csv":
        write_csv(table, sys.stdout)
    elif fmt == "jsonl":
        write_jsonl(table, sys.stdout)
    else:
        print_table(table)
