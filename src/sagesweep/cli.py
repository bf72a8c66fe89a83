"""The commands. Thin: parse, call, print. Heavy imports happen inside commands."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sagesweep.errors import InputError, SagesweepError
from sagesweep.version import __version__

_T = TypeVar("_T")
_R = TypeVar("_R")


class _Group(click.Group):
    """Turns our errors into one line per problem and an exit code, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except InputError as exc:
            for line in exc.lines():
                click.echo(line, err=True)
            ctx.exit(exc.exit_code)
        except SagesweepError as exc:
            click.echo(f"sagesweep: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("sagesweep: interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `sagesweep plan ... | head`: the reader left; that is not an error of ours.
            sys.stderr.close()
            ctx.exit(0)
        except OSError as exc:
            # Disk full, unreadable ledger directory...: say it in one line. Jobs
            # created but not recorded are reconciled by name on the next run.
            click.echo(f"sagesweep: {exc}", err=True)
            ctx.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sagesweep")
def main() -> None:
    """Launch thousands of SageMaker training jobs, exactly once."""


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
    type=click.FloatRange(min=0.01),
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
    log_format: str,
    quiet: bool,
    progress: bool | None,
) -> None:
    """Submit every job of SWEEP exactly once, recording each in the ledger."""
    if mock and endpoint_url:
        raise click.UsageError("--mock and --endpoint-url are exclusive: pick one target")
    from sagesweep.api import submit_sync
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


def _parsed(option: str, parse: Callable[[_T], _R], value: _T) -> _R:
    """``parse(value)``, a ValueError becoming a usage error that names the option."""
    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option(
    "--throttle-rate",
    type=float,
    default=None,
    help="Token refill per second of the bucket every call draws on, unless its family "
    "has a bucket of its own (--read-rate, --stop-rate).",
)
@click.option("--throttle-burst", type=int, default=None, help="Token bucket size.")
@click.option("--read-rate", type=float, default=None, help="Own bucket for Describe/List/Search.")
@click.option("--read-burst", type=int, default=None, help="Size of the read bucket.")
@click.option("--stop-rate", type=float, default=None, help="Own bucket for StopTrainingJob.")
@click.option("--stop-burst", type=int, default=None, help="Size of the stop bucket.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="P(HTTP 500).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="P(create, then drop).")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added to every call.")
@click.option("--quota", "quotas", multiple=True, metavar="INSTANCE_TYPE=N")
@click.option(
    "--job-seconds",
    default="0",
    metavar="SECONDS|MIN-MAX",
    help="How long a job runs; a MIN-MAX range is drawn per job. 0: done at once.",
)
@click.option("--fail-rate", type=click.FloatRange(0, 1), default=0.0, help="P(a job fails).")
@click.option(
    "--fail-reasons",
    default=None,
    metavar="KIND=W,...",
    help="Mix of failures, e.g. CapacityError=2,AlgorithmError=1 (also InternalServerError).",
)
@click.option("--seed", type=int, default=None, help="Seed for faults, fates and metric noise.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the account in this file between runs (FILE and FILE.journal).",
)
def mock(
    host: str,
    port: int,
    throttle_rate: float | None,
    throttle_burst: int | None,
    read_rate: float | None,
    read_burst: int | None,
    stop_rate: float | None,
    stop_burst: int | None,
    error_rate: float,
    drop_rate: float,
    latency_ms: float,
    quotas: tuple[str, ...],
    job_seconds: str,
    fail_rate: float,
    fail_reasons: str | None,
    seed: int | None,
    state_file: Path | None,
) -> None:
    """Run the realistic local SageMaker mock until SIGINT/SIGTERM."""
    from sagesweep.mock import (
        MockConfig,
        StateFileError,
        parse_fail_reasons,
        parse_job_seconds,
        parse_quotas,
        serve_forever,
    )

    optional: dict[str, Any] = {}
    if fail_reasons is not None:
        optional["fail_reasons"] = _parsed("--fail-reasons", parse_fail_reasons, fail_reasons)
    try:
        config = MockConfig(
            host=host,
            port=port,
            throttle_rate=throttle_rate,
            throttle_burst=throttle_burst,
            read_rate=read_rate,
            read_burst=read_burst,
            stop_rate=stop_rate,
            stop_burst=stop_burst,
            error_rate=error_rate,
            drop_rate=drop_rate,
            latency_ms=latency_ms,
            quotas=_parsed("--quota", parse_quotas, quotas),
            job_seconds=_parsed("--job-seconds", parse_job_seconds, job_seconds),
            fail_rate=fail_rate,
            seed=seed,
            state_file=state_file,
            **optional,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        serve_forever(config)
    except StateFileError as exc:
        field = "" if exc.line is None else f"line {exc.line}"
        raise InputError.one(exc.file, "", field, exc.reason) from None


# -- operating a launched sweep ---------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def _target_options(command: F, *, rate: float = 5.0) -> F:
    """The options every command that reads or acts on AWS takes."""
    options = [
        click.argument("sweep", type=click.Path(path_type=Path, dir_okay=False)),
        click.option(
            "--ledger",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="The sweep's ledger; default <sweep>.ledger.jsonl beside the sweep file.",
        ),
        click.option(
            "--mock", is_flag=True, help="The embedded mock (its account beside the ledger)."
        ),
        click.option("--endpoint-url", default=None, help="Another SageMaker endpoint."),
        click.option("--region", default=None, help="AWS region."),
        click.option("--profile", default=None, help="AWS profile."),
        click.option(
            "--rate",
            type=click.FloatRange(min=0.5),
            default=rate,
            show_default=True,
            help="Ceiling on AWS calls per second (adapts down on throttling).",
        ),
        click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _target(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("ledger", "mock", "endpoint_url", "region", "profile", "rate", "concurrency")
    if kwargs.get("mock") and kwargs.get("endpoint_url"):
        raise click.UsageError("--mock and --endpoint-url are exclusive: pick one target")
    return {key: kwargs[key] for key in keys}


def _run(function: Callable[[], Awaitable[T]]) -> T:
    import anyio

    from sagesweep.logs import configure_logging

    configure_logging("console", quiet=True)
    return anyio.run(function)


@main.command()
@_target_options
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
    from sagesweep import operate
    from sagesweep.operating.status_view import render_table, write_csv, write_json

    target = _target(kwargs)
    if watch is not None:
        _watch(sweep, watch, target)
        return
    result = _run(lambda: operate.status(sweep, **target))
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

    from sagesweep import operate
    from sagesweep.connect import TargetOptions
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
            _run(
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
@_target_options
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
    from sagesweep import operate

    def confirm(count: int) -> bool:
        if yes or not sys.stdin.isatty():
            return True
        return click.confirm(f"Stop {count} InProgress job(s) of {sweep}?", default=False)

    target = _target(kwargs)
    report = _run(lambda: operate.stop(sweep, where=wheres, confirm=confirm, **target))
    if report.submitter:
        click.echo(f"sagesweep: {report.submitter}", err=True)
    already = ", ".join(f"{n} {s}" for s, n in sorted(report.already.items())) or "none"
    click.echo(
        f"stopped {len(report.stopped)} of {report.selected} selected job(s); left alone: {already}"
    )
    for name, why in sorted(report.failed.items()):
        click.echo(f"{name}: could not stop: {why}", err=True)
    sys.exit(report.exit_code)


@main.command()
@_target_options
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
    help="Direction of --sort (default: maximize for auc/acc/f1/precision/recall).",
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
    from sagesweep import operate
    from sagesweep.operating.results import Goal
    from sagesweep.operating.results_view import print_table, write_csv, write_jsonl

    target = _target(kwargs)
    goal: Goal | None = None if maximize is None else ("maximize" if maximize else "minimize")
    everything = _run(lambda: operate.results(sweep, sort=sort, goal=goal, **target))
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


@main.command()
@_target_options
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
    from sagesweep.resubmission import resubmit as run

    target = _target(kwargs)
    outcome = _run(
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


def _clone_target_options(command: F) -> F:
    """The target options of a command that reads jobs not launched by a sweep."""
    options = [
        # The embedded mock keeps its account beside a sweep's ledger; a clone has
        # none, so it would start empty. Say where the jobs are instead.
        click.option("--mock", is_flag=True, hidden=True),
        click.option(
            "--endpoint-url",
            default=None,
            help="Another SageMaker endpoint, e.g. a `sagesweep mock --state FILE`.",
        ),
        click.option("--region", default=None, help="AWS region."),
        click.option("--profile", default=None, help="AWS profile."),
        click.option(
            "--rate",
            type=click.FloatRange(min=0.5),
            default=5.0,
            show_default=True,
            help="Ceiling on AWS calls per second (adapts down on throttling).",
        ),
        click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@main.command()
@_clone_target_options
@click.option("--name", "names", multiple=True, metavar="NAME", help="A job (repeatable).")
@click.option(
    "--names-file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    metavar="FILE",
    help="Jobs named one per line ('#' starts a comment).",
)
@click.option("--name-contains", default=None, metavar="TEXT", help="Jobs whose name has TEXT.")
@click.option("--tuning-job", default=None, metavar="NAME", help="Jobs a tuning job started.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    metavar="S,...",
    help="Only jobs in these statuses, e.g. Failed,Stopped.",
)
@click.option(
    "--created-after",
    default=None,
    metavar="ISO",
    help="Only jobs created after this time, e.g. 2024-05-01T12:00:00Z (UTC if no zone).",
)
@click.option("--sweep", required=True, metavar="NAME", help="The new sweep's name.")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="The sweep file to write (.yaml, .yml or .json); an existing non-empty file is "
    "refused, never replaced.",
)
def clone(
    names: tuple[str, ...],
    names_file: Path | None,
    name_contains: str | None,
    tuning_job: str | None,
    statuses: tuple[str, ...],
    created_after: str | None,
    sweep: str,
    output: Path,
    **kwargs: Any,
) -> None:
    """Write existing training jobs, launched by anything, as a sweep file.

    The file's template is what the jobs share and each trial what one job sets
    differently; `sagesweep plan FILE` remakes every request under new names.
    """
    from sagesweep.cloning import clone as run
    from sagesweep.operating.roundtrip import NotReproducible

    if kwargs.pop("mock"):
        raise click.UsageError(
            "clone reads jobs that exist already, and the embedded mock starts empty; "
            "run `sagesweep mock --state FILE` and pass its --endpoint-url"
        )
    try:
        cloned = _run(
            lambda: run(
                sweep,
                output,
                names=names,
                names_file=names_file,
                name_contains=name_contains,
                tuning_job=tuning_job,
                statuses=statuses,
                created_after=created_after,
                **kwargs,
            )
        )
    except NotReproducible as exc:
        for line in exc.lines:
            click.echo(f"sagesweep: {line}", err=True)
        click.echo("sagesweep: no sweep file written", err=True)
        sys.exit(exc.exit_code)
    for key, count in sorted(cloned.removed.items()):
        click.echo(f"removed hyperparameter {key} from {count} job(s)", err=True)
    if cloned.duplicates:
        click.echo(
            f"{cloned.duplicates} job(s) repeat another's request exactly; the plan makes "
            "each request once",
            err=True,
        )
    swept = ", ".join(cloned.swept) or "nothing"
    click.echo(
        f"wrote {len(cloned.jobs)} job(s) to {cloned.path}; they differ in: {swept}", err=True
    )
    if cloned.problems:
        click.echo("sagesweep plan refuses the file as it is; fix these in it:", err=True)
        for line in cloned.problems:
            click.echo(line, err=True)
    sys.exit(cloned.exit_code)
