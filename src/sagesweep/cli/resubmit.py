"""``sagesweep resubmit``: the next attempt of every job whose newest attempt failed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, run_async, target_options


@main.command()
@target_options(rate="rate", mock_help="The embedded mock (its account beside the ledger).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S,...",
    help="Newest-attempt statuses to resubmit (default Failed; also Stopped, StoppedEarly, "
    "Completed, NotFound).",
)
@click.option(
    "--reason",
    default=None,
    metavar="REGEX",
    help="Only jobs whose FailureReason matches, e.g. 'CapacityError|InternalServerError'.",
)
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="PATH=VALUE",
    help="Only jobs whose swept parameter PATH has VALUE (repeatable).",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Highest attempt number to create (-r1, -r2, ...).",
)
@click.option("--dry-run", is_flag=True, help="List what would be resubmitted, and why.")
def resubmit(
    sweep: Path,
    statuses: tuple[str, ...],
    reason: str | None,
    wheres: tuple[str, ...],
    max_attempts: int,
    dry_run: bool,
    **kwargs: Any,
) -> None:
    """Run again the jobs of SWEEP whose newest attempt failed, as attempt -r1, -r2, ..."""
    from sagesweep.commands.resubmit import resubmit as run

    target = pop_target(kwargs)
    outcome = run_async(
        lambda: run(
            sweep,
            statuses=statuses or ("Failed",),
            reason=reason,
            where=wheres,
            max_attempts=max_attempts,
            dry_run=dry_run,
            **kwargs,
            **target,
        )
    )
    for pick in outcome.picks if dry_run else ():
        why = f": {pick.reason.splitlines()[0]}" if pick.reason else ""
        click.echo(f"{pick.latest} -> {pick.base}-r{pick.attempt} ({pick.status}{why})")
    if outcome.capped:
        click.echo(
            f"sagesweep: {len(outcome.capped)} job(s) matched but reached "
            f"--max-attempts {max_attempts}",
            err=True,
        )
    for base in outcome.not_in_plan:
        click.echo(
            f"sagesweep: {base}: no longer in the sweep file's plan; not resubmitted", err=True
        )
    if not outcome.picks:
        click.echo("nothing to resubmit", err=True)
    elif dry_run:
        click.echo(f"{len(outcome.picks)} job(s) would be resubmitted", err=True)
    sys.exit(outcome.exit_code)
