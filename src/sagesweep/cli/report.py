"""``sagesweep report``: a launched sweep as one HTML file that opens offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, prices_option, run_async, target_options


@main.command()
@target_options(rate="read_rate", mock_help="The embedded mock (its account beside the ledger).")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    metavar="FILE.html",
    help="Where to write the page (replaced if it exists).",
)
@click.option(
    "--metric",
    default=None,
    metavar="METRIC",
    help="Judge jobs by this metric (default: the objective, or the only metric).",
)
@click.option(
    "--maximize/--minimize",
    "maximize",
    default=None,
    help="Direction of --metric (default: as results guesses from its name).",
)
@prices_option()
def report(
    sweep: Path, output: Path, metric: str | None, maximize: bool | None, **kwargs: Any
) -> None:
    """Write SWEEP's report: counts, spend and forecast, jobs over time, best so far, the
    objective against each parameter, parallel coordinates, failure reasons, top jobs."""
    from sagesweep.commands.report import check_report_path
    from sagesweep.commands.report import report as write_report
    from sagesweep.operating.results import Goal

    check_report_path(output)
    target = pop_target(kwargs)
    goal: Goal | None = None if maximize is None else ("maximize" if maximize else "minimize")
    facts = run_async(
        lambda: write_report(sweep, output, metric=metric, goal=goal, **kwargs, **target)
    )
    scored = "" if facts.metric is None else f", judged by {facts.metric}"
    click.echo(f"report of {len(facts.status.jobs)} jobs{scored} written to {output}", err=True)
