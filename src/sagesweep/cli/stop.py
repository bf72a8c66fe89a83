"""``sagesweep stop``: a sweep's running submitter on this host, then its running jobs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, run_async, target_options


@main.command()
@target_options(rate="read_rate", mock_help="The embedded mock (its account beside the ledger).")
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
    from sagesweep.commands.stop import stop as stop_sweep

    def confirm(count: int) -> bool:
        if yes or not sys.stdin.isatty():
            return True
        return click.confirm(f"Stop {count} InProgress job(s) of {sweep}?", default=False)

    target = pop_target(kwargs)
    report = run_async(lambda: stop_sweep(sweep, where=wheres, confirm=confirm, **kwargs, **target))
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
