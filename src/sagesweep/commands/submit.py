"""``submit``: plan and validate (in a child process), then submit with a ledger.

The CLI's ``submit`` command is a thin wrapper around :func:`submit`; notebooks call
it directly (``await sagesweep.submit(...)``) or through :func:`submit_sync`.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Unpack

from sagesweep.aws.target import Target
from sagesweep.commands.connect import connect
from sagesweep.commands.hints import hint
from sagesweep.commands.launch import LaunchKeywords, Summary, launch, launch_options
from sagesweep.commands.loadreport import LoadSettings
from sagesweep.commands.parts import Parts
from sagesweep.commands.preflight import preflight
from sagesweep.commands.sync import run_sync
from sagesweep.costs.budget import Budget, parse_budget
from sagesweep.costs.prices import read_prices_file
from sagesweep.driving.driver import DEFAULT_POLL, DEFAULT_POLL_READ_RATE, DriveSettings
from sagesweep.driving.pruning import DEFAULT_METRIC_POLL
from sagesweep.errors import InputError, SagesweepError
from sagesweep.ledger import (
    LedgerState,
    StopMark,
    check_binding,
    default_ledger_path,
    load_ledger,
)
from sagesweep.logs import get_logger
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.config import SweepConfig, load_config
from sagesweep.planning.naming import attempt_of
from sagesweep.planning.spool import plan_aside
from sagesweep.reporting.loadtest import check_report_path as check_load_report_path
from sagesweep.reporting.timeline import check_timeline_path
from sagesweep.resubmitting.choose import DEFAULT_MAX_ATTEMPTS, parse_reason
from sagesweep.search.tpe import METRIC_PROOF, TpeRun
from sagesweep.submitting.stages import parse_stages

__all__ = ["Summary", "load_settings", "submit", "submit_sync"]

log = get_logger("sagesweep.submit")


def _warn_of_stale_jobs(prior: LedgerState, in_ledger: int, warnings: list[str]) -> None:
    names = frozenset(prior.jobs)
    # Resubmissions (-r1, ...) are attempts of planned jobs, not jobs of another plan.
    jobs = sum(1 for name in names if attempt_of(name, names) is None)
    stale = jobs - in_ledger
    if stale > 0:
        message = (
            f"the ledger holds {stale} job(s) that are not in this plan "
            "(the sweep file changed since they were launched)"
        )
        log.warning("submit.stale_ledger", jobs=stale, detail=message)
        warnings.append(message)


def load_settings(
    report: Path | str | None, plot: Path | str | None, stages: str | None
) -> LoadSettings | None:
    """What ``--report``, ``--report-plot`` and ``--rate-stages`` ask, checked before any
    work (None: none of them)."""
    if report is None and plot is None and stages is None:
        return None
    if plot is not None and report is None:
        raise InputError.one("<cli>", "", "--report-plot", "draws a --report: give --report too")
    report_path = None if report is None else Path(report)
    if report_path is not None:
        check_load_report_path(report_path, "--report")
    plot_path = None if plot is None else Path(plot)
    if plot_path is not None:
        check_timeline_path(plot_path)
    parsed = () if stages is None else parse_stages(stages)
    return LoadSettings(report=report_path, plot=plot_path, stages=parsed)


async def submit(
    sweep: Path | str,
    *,
    ledger: Path | str | None = None,
    target: Target | None = None,
    max_jobs: int | None = None,
    retry_failed: bool = False,
    max_running: int | None = None,
    until_done: bool = False,
    resubmit_on: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    poll: float = DEFAULT_POLL,
    metric_poll: float = DEFAULT_METRIC_POLL,
    resume_stopped: bool = False,
    budget: str | None = None,
    prices: Path | str | None = None,
    report: Path | str | None = None,
    report_plot: Path | str | None = None,
    rate_stages: str | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[LaunchKeywords],
) -> Summary:
    """Submit every job of ``sweep`` exactly once; resumable from the ledger.

    Where to and how fast: ``target``, or its fields as keywords (``mock=True``,
    ``endpoint_url=``, ``region=``, ``profile=``, ``rate=``, ``read_rate=``,
    ``concurrency=``), laid over ``target`` when both are given; ``read_rate`` is the read
    calls per second a driven run's polls spend on average (default 1; the target's
    read ceiling stays its own, for bursts such as a resume's reads). How the run waits
    and reports: ``capacity_wait``, ``outage_wait``, ``grace``, ``progress``,
    ``summary`` and ``summary_stream`` (:class:`~sagesweep.commands.launch.LaunchSettings`).

    ``summary`` prints the summary table on ``summary_stream`` (default stderr); the
    ``submit.finished`` log event carries the same counts either way. ``parts``
    replaces the components the run is built from (see :class:`sagesweep.commands.parts.Parts`).

    ``max_running`` (default: the sweep file's ``max_running``) caps the sweep's running
    jobs and implies ``until_done``: the run lasts until every job has ended, polling as
    ``read_rate`` allows and at least every ``poll`` seconds; jobs that fail with a
    FailureReason matching ``resubmit_on`` are created again as their next attempt, up
    to ``max_attempts``.

    A sweep that ``sagesweep stop`` stopped is not launched on unless ``resume_stopped``.

    ``budget`` (``"250usd"``, ``"40h"``; default: the sweep file's ``budget``) makes the run
    driven and caps what it spends (docs/costs.md); ``prices`` is a CSV file of prices to
    use instead of the AWS Price List API.

    A sweep file with ``early_stopping`` makes the run driven: every ``metric_poll``
    seconds the running jobs' intermediate values are read from CloudWatch and the rule
    stops those that lag (docs/early-stopping.md).

    ``report`` (a JSON file) measures the run as a load test: every call's latency and
    outcome (docs/load-testing.md); ``report_plot`` draws its timeline (PNG);
    ``rate_stages`` (``"20:30s,50:30s"``) steps the rate ceiling over time.
    """
    load = load_settings(report, report_plot, rate_stages)
    read_rate = keywords.pop("read_rate", None)
    poll_read_rate = DEFAULT_POLL_READ_RATE if read_rate is None else read_rate
    if not poll_read_rate > 0:
        raise InputError.one(
            "<options>", "", "read_rate", f"must be more than 0 reads/s (got {poll_read_rate})"
        )
    target, settings = launch_options(
        target, keywords, retry_failed=retry_failed, resume_stopped=resume_stopped, load=load
    )
    parts = parts or Parts()
    sweep = Path(sweep)
    config = load_config(sweep)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    # Read (without the lock) before planning: a wrong ledger is refused before any work.
    prior = load_ledger(ledger_path)
    check_binding(ledger_path, prior, config.sweep, None, kind=target.kind)
    if prior.stopped is not None and not resume_stopped:
        raise _stopped(ledger_path, prior.stopped, hint("submit", sweep, ledger_path, target))
    cap = max_running if max_running is not None else config.max_running
    limit = _budget(budget, config)
    # Bad input is refused before anything starts (the planning process, the mock).
    table = None if prices is None else read_prices_file(Path(prices))
    adaptive = None
    if config.method == "tpe":
        # Each point is chosen when a place frees up: a tpe sweep is always driven.
        adaptive = TpeRun(config, parts.make_planner(config, max_jobs=max_jobs), max_running=cap)
        # Earlier sweeps' results first: bad input (another space) stops it here.
        adaptive.warm(config.warm_start)
    driven = (
        cap is not None
        or until_done
        or resubmit_on is not None
        or adaptive is not None
        or limit is not None
        or config.early_stopping is not None
        or config.stop_when is not None
    )
    if driven:
        drive = DriveSettings(
            max_running=cap,
            poll=poll,
            read_rate=poll_read_rate,
            resubmit_on=parse_reason(resubmit_on),
            max_attempts=max_attempts,
            fallback=config.capacity_fallback,
            metric_poll=metric_poll,
        )
        settings = replace(settings, drive=drive)
    async with (
        plan_aside(
            config, max_jobs=max_jobs, known=frozenset(prior.jobs), make_planner=parts.make_planner
        ) as plan,
        AsyncExitStack() as stack,
    ):
        # Nothing is sent before the planning process has validated every job; meanwhile
        # the client is made ready (credentials, endpoint). The embedded mock waits for
        # the verdict: it would create its state files for a plan that may be refused.
        if not target.mock:
            try:
                connection = await stack.enter_async_context(connect(target, parts, ledger_path))
            except SagesweepError:
                # The sweep file's problems come first (as they would without the
                # overlap): a user fixing credentials should not then meet them.
                await plan.ready()
                raise
        ready = await plan.ready()
        if target.mock:
            connection = await stack.enter_async_context(connect(target, parts, ledger_path))
        warnings = list(ready.warnings)
        for warning in warnings:
            log.warning("plan.warning", detail=warning)
        _warn_of_stale_jobs(prior, ready.in_ledger, warnings)
        calls = PacedCalls(parts.make_limiter(rate=target.read_rate), backoff=parts.backoff)
        spending, found = await preflight(
            connection,
            calls,
            ready.usage,
            max_running=cap,
            driven=driven,
            budget=limit,
            prices=table,
        )
        for warning in found:
            log.warning("submit.preflight", detail=warning)
        warnings.extend(found)
        settings = replace(settings, spending=spending)
        summary_of_run = await launch(
            config=config,
            ledger=ledger_path,
            jobs=plan.jobs,
            total=ready.total,
            target=target,
            settings=settings,
            parts=parts,
            warnings=tuple(warnings),
            adaptive=adaptive,
            connection=connection,
        )
    if adaptive is not None and adaptive.search.best() is None and adaptive.metrics_seen:
        seen = ", ".join(sorted(adaptive.metrics_seen))
        stopped = (
            f"; no more jobs were asked after the first {METRIC_PROOF} completed jobs lacked it"
            if adaptive.metric_missing and adaptive.remaining
            else ""
        )
        raise InputError.one(
            str(sweep),
            "",
            "objective.metric",
            f"no job reported {adaptive.metric!r}; the jobs report: {seen}{stopped}",
        )
    return summary_of_run


def _budget(text: str | None, config: SweepConfig) -> Budget | None:
    if text is not None:
        return parse_budget(text)
    return None if config.budget is None else Budget.from_config(config.budget)


def _stopped(ledger: Path, mark: StopMark, command: str) -> InputError:
    when = datetime.fromtimestamp(mark.ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    which = f" (--where {' '.join(mark.where)})" if mark.where else ""
    return InputError.one(
        str(ledger),
        "",
        "",
        f"this sweep was stopped by sagesweep stop{which} at {when}; to launch its jobs "
        f"again, add --resume-stopped: {command} --resume-stopped",
    )


def submit_sync(sweep: Path | str, **options: Any) -> Summary:
    """:func:`submit` for code that is not async (scripts, a notebook cell without await)."""
    return run_sync(lambda: submit(sweep, **options))
