"""``sagesweep status``: where every job of a launched sweep stands (``--watch``: live)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, prices_option, run_async, target_options


@main.command()
@target_options(rate="read_rate", mock_help="The embedded mock (its account beside the ledger).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@prices_option("instance_type,usd_per_hour lines for the spend, instead of the AWS Price List API.")
@click.option(
    "--watch",
    type=click.FloatRange(min=1),
    default=None,
    metavar="SECONDS",
    help="Refresh in place every SECONDS until Ctrl-C (table format).",
)
def status(sweep: Path, fmt: str, watch: float | None, **kwargs: Any) -> None:
    """Where every job of SWEEP stands: counts, failure reasons, billable time."""
    from sagesweep.commands.status import status as read_status
    from sagesweep.operating.status_view import render_table, write_csv, write_json

    target = pop_target(kwargs)
    if watch is not None:
        _watch(sweep, watch, {**kwargs, **target})
        return
    result = run_async(lambda: read_status(sweep, **kwargs, **target))
    if fmt == "json":
        write_json(result, sys.stdout)
    elif fmt == "csv":
        write_csv(result, sys.stdout)
    else:
        from rich.console import Console

        Console().print(render_table(result))
        if result.counts.get("Stopped") and result.ledger is not None:
            from sagesweep.aws.target import target_of
            from sagesweep.commands.hints import hint

            # print: a hint wrapped at the terminal's width cannot be pasted.
            again = hint("resubmit", sweep, result.ledger, target_of(**target))
            print("to run the stopped jobs again:")
            print(f"{again} --status Stopped")


def _watch(sweep: Path, every: float, options: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.live import Live

    from sagesweep.commands.status import watch
    from sagesweep.operating.status import SweepStatus
    from sagesweep.operating.status_view import render_table

    with Live(console=Console(), auto_refresh=False) as live:

        def show(current: SweepStatus) -> None:
            live.update(render_table(current), refresh=True)

        try:
            run_async(lambda: watch(sweep, every=every, show=show, **options))
        except KeyboardInterrupt:
            return
