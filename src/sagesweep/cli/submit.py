"""Commands that plan and create jobs: ``plan``, ``submit``, ``resubmit``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import (
    create_target_options,
    run_async,
    target_kwargs,
)
from sagesweep.submitting.pacing import DEFAULT_MIN_RATE


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

    print_plan(sweep, fmt=fmt, limit=limit, max_jobs=max_jobs)


@main.command()
@click.argument("sweep", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--ledger",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="JSONL ledger; default <sweep>.ledger.jsonl beside the sweep file.",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=DEFAULT_MIN_RATE),
    default=None,
    help="Ceiling on AWS calls per second (default 2; adapts down on throttling).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 1024),
    default=None,
    help="Calls in flight at once (default 16).",
)
@click.option("--mock", is_flag=True, help="Submit to an embedded local mock; no AWS account.")
@click.option("--endpoint-url", default=None, help="Another SageMaker endpoint, e.g. a mock.")
@click.option("--region", default=None, help="AWS region.")
@click.option("--profile", default=None, help="AWS profile.")
@click.option("--max-jobs", type=click.IntRange(1), default=None, help="Override max_jobs.")
@click.option("--retry-failed", is_flag=True, help="Also resubmit jobs the ledger has as failed.")
@click.option(
    "--capacity-wait",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds a job may wait for instance quota (default 3600).",
)
@click.option(
    "--outage-wait",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds to wait for an unreachable endpoint before failing jobs (default 300).",
)
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds in-flight calls get after the first SIGINT/SIGTERM (default 30).",
)
@click.option(
    "--max-running",
    type=click.IntRange(1),
    default=None,
    help="At most N jobs of the sweep InProgress at once (default: the sweep file's "
    "max_running); implies --until-done.",
)
@click.option("--until-done", is_flag=True, help="Run until every job has ended, not created.")
@click.option(
    "--resubmit-on",
    default=None,
    metavar="REGEX",
    help="Run again jobs whose FailureReason matches, e.g. 'CapacityError|InternalServerError'.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Highest attempt number --resubmit-on creates.",
)
@click.option(
    "--poll",
    type=click.FloatRange(min=0.1),
    default=30.0,
    show_default=True,
    help="Seconds between status polls of a driven run.",
)
@click.option(
    "--resume-stopped",
    is_flag=True,
    help="Launch the jobs of a sweep that `sagesweep stop` stopped.",
)
@click.option(
    "--log-format", type=click.Choice(["console", "json"]), default="console", show_default=True
)
@click.option("--quiet", is_flag=True, help="Only warnings and the summary.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a TTY).")
def submit(
    sweep: Path,
    ledger: Path | None,
    rate: float | None,
    concurrency: int | None,
    mock: bool,
    endpoint_url: str | None,
    region: str | None,
    profile: str | None,
    max_jobs: int | None,
    retry_failed: bool,
    capacity_wait: float | None,
    outage_wait: float | None,
    grace: float | None,
    max_running: int | None,
    until_done: bool,
    resubmit_on: str | None,
    max_attempts: int,
    poll: float,
    resume_stopped: bool,
    log_format: str,
    quiet: bool,
    progress: bool | None,
) -> None:
    """Submit every job of SWEEP exactly once, recording each in the ledger."""
    if mock and endpoint_url:
        raise click.UsageError("--mock and --endpoint-url are exclusive: pick one target")
    from sagesweep.commands.submit import submit_sync
    from sagesweep.logs import configure_logging

    configure_logging("json" if log_format == "json" else "console", quiet=quiet)
    options: dict[str, Any] = {
        "ledger": ledger,
        "mock": mock,
        "endpoint_url": endpoint_url,
        "region": region,
        "profile": profile,
        "max_jobs": max_jobs,
        "retry_failed": retry_failed,
        "progress": progress,
        # JSON logs stay machine-readable: the counts are in the submit.finished event.
        "summary": log_format == "console",
        "max_running": max_running,
        "until_done": until_done,
        "resubmit_on": resubmit_on,
        "max_attempts": max_attempts,
        "poll": poll,
        "resume_stopped": resume_stopped,
    }
    for key, value in (
        ("rate", rate),
        ("concurrency", concurrency),
        ("capacity_wait", capacity_wait),
        ("outage_wait", outage_wait),
        ("grace", grace),
    ):
        if value is not None:
            options[key] = value
    summary = submit_sync(sweep, **options)
    sys.exit(summary.exit_code)


@main.command()
@create_target_options
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S,...",
    help="Newest-attempt statuses to resubmit (default Failed; also Stopped, ...).",
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

    target = target_kwargs(kwargs)
    outcome = run_async(
        lambda: run(
            sweep,
            statuses=statuses or ("Failed",),
            reason=reason,
            where=wheres,
            max_attempts=max_attempts,
            dry_run=dry_run,
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
