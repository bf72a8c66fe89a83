"""``sagesweep plan``: expand and validate a sweep file, sending nothing."""

from __future__ import annotations

from pathlib import Path

import click

from sagesweep.cli.app import main


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
def plan(sweep: Path, fmt: str, limit: int | None, max_jobs: int | None) -> None:
    """Expand and validate SWEEP without sending anything."""
    from sagesweep.planning.report import print_plan
    from sagesweep.search.study import planner_for

    print_plan(sweep, fmt=fmt, limit=limit, max_jobs=max_jobs, make_planner=planner_for)
