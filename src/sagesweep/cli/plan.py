"""``sagesweep plan``: expand and validate a sweep file, and forecast it; nothing is sent
to SageMaker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, prices_option, run_async, target_options


@main.command()
@click.argument("sweep", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="table: summary and preview; jsonl: one job per line on stdout.",
)
@click.option("--limit", type=click.IntRange(0), default=None, help="Show at most N jobs.")
@click.option("--max-jobs", type=click.IntRange(1), default=None, help="Override max_jobs.")
@prices_option(
    "Prices for the forecast: instance_type,usd_per_hour lines (else the AWS Price "
    "List API when a target is given).",
    dest="prices_file",
)
@target_options(
    rate="read_rate",
    sweep=False,
    mock_help="Price the forecast from the embedded mock's (illustrative) Price List.",
)
def plan(sweep: Path, fmt: str, limit: int | None, max_jobs: int | None, **kwargs: Any) -> None:
    """Expand and validate SWEEP and forecast its cost, without creating anything.

    Prices come from --prices FILE, or from the AWS Price List API when a target
    (--region, --profile, --endpoint-url, --mock) is given; else instance-hours only.
    """
    from sagesweep.commands.plan import plan as run

    target = pop_target(kwargs)
    run_async(lambda: run(sweep, fmt=fmt, limit=limit, max_jobs=max_jobs, **kwargs, **target))
