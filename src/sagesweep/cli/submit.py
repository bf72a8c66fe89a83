"""``sagesweep submit``: plan, validate, then create every job once, recording each."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import pop_target, prices_option, target_options


@main.command()
@target_options(rate="rate", mock_help="Submit to an embedded local mock; no AWS account.")
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
    help="Longest wait in seconds between status polls of a driven run.",
)
@click.option(
    "--read-rate",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Read calls per second a driven run's polls spend on average (default 1); "
    "polls adapt to what runs within it.",
)
@click.option(
    "--metric-poll",
    type=click.FloatRange(min=0.1),
    default=None,
    metavar="SECONDS",
    help="With early_stopping: seconds between reads of the running jobs' intermediate "
    "values from CloudWatch (default 60; each read of N jobs is N metrics billed).",
)
@click.option(
    "--budget",
    default=None,
    metavar="AMOUNT",
    help="Cap what the run spends: 250usd or 40h (instance-hours); makes the run driven. "
    "Default: the sweep file's budget.",
)
@prices_option()
@click.option(
    "--report",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE.json",
    help="Measure the run as a load test: each operation's latency histogram, outcomes "
    "per second, in-flight calls, the limiter's rate (docs/load-testing.md).",
)
@click.option(
    "--report-plot",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE.png",
    help="Also draw the --report's timeline: calls/s by outcome, latency percentiles.",
)
@click.option(
    "--rate-stages",
    default=None,
    metavar="RATE:DURATION,...",
    help="Step the create rate ceiling over time, e.g. 20:30s,50:30s,100:60s "
    "(the last stage's rate holds to the end).",
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
    log_format: str,
    quiet: bool,
    **kwargs: Any,
) -> None:
    """Submit every job of SWEEP exactly once, recording each in the ledger."""
    from sagesweep.commands.submit import submit_sync
    from sagesweep.logs import configure_logging

    configure_logging("json" if log_format == "json" else "console", quiet=quiet)
    target = pop_target(kwargs)
    # Options not given keep the Python API's defaults (defined once, there).
    options = {key: value for key, value in kwargs.items() if value is not None}
    # JSON logs stay machine-readable: the counts are in the submit.finished event.
    options["summary"] = log_format == "console"
    summary = submit_sync(sweep, ledger=ledger, **target, **options)
    sys.exit(summary.exit_code)
