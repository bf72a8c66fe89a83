"""Running an engine over a stream of jobs with a ledger: what ``submit`` and
``resubmit`` share.

:func:`launch` opens the target and the ledger (bound to that target), runs the engine
under signal handling and the progress display, and returns a :class:`Summary`. The
callers decide which jobs: every planned job, or the next attempts of failed ones.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO, cast

import anyio

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.connect import Connection, connect
from sagesweep.commands.hints import hint
from sagesweep.commands.loadreport import LoadRun, LoadSettings, measuring
from sagesweep.commands.parts import Parts
from sagesweep.driving.driver import Driver, DriveSettings
from sagesweep.driving.limits import Limits, SpendSettings
from sagesweep.driving.pruning import Pruning, PruningSettings
from sagesweep.driving.view import DriveView, print_drive_summary
from sagesweep.ledger import JobRecord, stop_requested_by
from sagesweep.ledger.members import CREATED, read_members
from sagesweep.logs import get_logger
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.config import SweepConfig
from sagesweep.planning.planner import JobSpec
from sagesweep.search.stop_when import SearchStop
from sagesweep.search.tpe import TpeRun, asked_record
from sagesweep.submitting.counters import Counters
from sagesweep.submitting.display import live_progress, print_summary
from sagesweep.submitting.engine import (
    DEFAULT_CAPACITY_WAIT,
    DEFAULT_GRACE,
    Engine,
    EngineSettings,
    Recorder,
)
from sagesweep.submitting.outage import DEFAULT_OUTAGE_WAIT
from sagesweep.version import __version__

__all__ = ["LaunchKeywords", "LaunchSettings", "Summary", "launch", "launch_options"]

log = get_logger("sagesweep.submit")

_SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass(frozen=True, slots=True)
class Summary:
    """How a submit or resubmit run ended."""

    counts: Mapping[str, int]
    ledger: Path
    interrupted_by: int | None = None  #: the signal that stopped the run, if any
    warnings: tuple[str, ...] = field(default=())
    #: Why a driven run stopped dispatching before the end ("budget reached: ..."), if so.
    stopped_by: str | None = None
    #: A driven run's jobs by final status (each job once, as its last attempt).
    ended: Mapping[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """130/143 if interrupted; 1 if a create failed (now or before) or, in a driven
        run, a job ended Failed (or is not found); else 0."""
        if self.interrupted_by is not None:
            return _SIGNAL_EXIT.get(signal.Signals(self.interrupted_by), 130)
        unsettled = ("failed", "failed_earlier", "conflict", "unknown")
        if any(self.counts.get(key, 0) for key in unsettled):
            return 1
        return 1 if self.ended.get("Failed") or self.ended.get("NotFound") else 0


@asynccontextmanager
async def _signals(engine: Engine, grace: float, stopped: list[int]) -> AsyncIterator[None]:
    """First SIGINT/SIGTERM: stop dispatching, then cancel after ``grace``; second: now."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    async with anyio.create_task_group() as tg:

        async def watch() -> None:
            with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for signum in signals:
                    if stopped:
                        log.warning("submit.cancelled", signal=signum)
                        engine.cancel()
                        return
                    stopped.append(signum)
                    log.warning("submit.stopping", signal=signum, grace=grace)
                    engine.stop()
                    tg.start_soon(cancel_after_grace)

        async def cancel_after_grace() -> None:
            await anyio.sleep(grace)
            log.warning("submit.grace_expired", grace=grace)
            engine.cancel()

        tg.start_soon(watch)
        try:
            yield
        finally:
            tg.cancel_scope.cancel()


@asynccontextmanager
async def _connected(
    target: Target, parts: Parts, ledger: Path, connection: Connection | None
) -> AsyncIterator[Connection]:
    if connection is not None:
        yield connection
        return
    async with connect(target, parts, ledger) as opened:
        yield opened


class LaunchKeywords(TargetKeywords, total=False):
    """The Python API's keywords of a run that creates jobs: its target's, and how it
    waits and reports (:class:`LaunchSettings`)."""

    capacity_wait: float
    outage_wait: float
    grace: float
    progress: bool | None
    summary: bool
    summary_stream: TextIO | None


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchSettings:
    """How a run waits and reports (its pace is its target's); the defaults are the CLI's."""

    capacity_wait: float = DEFAULT_CAPACITY_WAIT
    outage_wait: float = DEFAULT_OUTAGE_WAIT
    grace: float = DEFAULT_GRACE
    retry_failed: bool = False
    progress: bool | None = None
    summary: bool = True
    summary_stream: TextIO | None = None
    #: Run until every job has ended, under a cap on running jobs (None: until created).
    drive: DriveSettings | None = None
    #: Launch on although ``sagesweep stop`` stopped the sweep (and record that it did).
    resume_stopped: bool = False
    #: A driven run's budget and quota caps.
    spending: SpendSettings | None = None
    #: Measure the run as a load test (``--report``, ``--rate-stages``).
    load: LoadSettings | None = None


_SETTINGS = frozenset(LaunchKeywords.__annotations__) - frozenset(TargetKeywords.__annotations__)


def launch_options(
    target: Target | None, keywords: LaunchKeywords, **settings: Any
) -> tuple[Target, LaunchSettings]:
    """The run's target and settings from the API's keywords (and ``settings`` of its own)."""
    given = {key: value for key, value in keywords.items() if key in _SETTINGS}
    rest = {key: value for key, value in keywords.items() if key not in _SETTINGS}
    chosen = target_of(target, **cast(TargetKeywords, rest))
    return chosen, LaunchSettings(**{**given, **settings})


def _search_stop(config: SweepConfig) -> SearchStop | None:
    """The sweep file's ``stop_when``, told every final ending."""
    if config.stop_when is None or config.objective is None:
        return None
    objective = config.objective
    return SearchStop(
        config.stop_when, maximize=objective.goal == "maximize", metric=objective.metric
    )


def _described(connection: Connection) -> dict[str, str | None]:
    """Where a load report's calls went."""
    binding = connection.binding
    return {
        "kind": binding.kind,
        "region": binding.region,
        "endpoint": connection.settings.endpoint_url,
    }


async def launch(
    *,
    config: SweepConfig,
    ledger: Path,
    jobs: Callable[[], Iterable[JobSpec]],
    total: int,
    target: Target,
    settings: LaunchSettings,
    parts: Parts,
    warnings: tuple[str, ...] = (),
    command: str = "submit",
    connection: Connection | None = None,
    known: Sequence[JobRecord] = (),
    adaptive: TpeRun | None = None,
) -> Summary:
    """Create every job ``jobs()`` yields that the ledger does not settle; record each.

    ``connection``: an open one to use (the caller read the sweep's state through it).
    ``known``: jobs found on AWS that the ledger lacks, recorded before anything is sent.
    ``adaptive``: a search that picks each job when a place frees up (``method: tpe``);
    it needs ``settings.drive``.
    """
    stream = settings.summary_stream or sys.stderr
    show_bar = stream.isatty() if settings.progress is None else settings.progress
    counters = Counters(total=total)
    stopped: list[int] = []
    load_lines: list[str] = []
    async with _connected(target, parts, ledger, connection) as connection:
        book_cm = parts.open_ledger(
            ledger,
            sweep=config.sweep,
            tool_version=__version__,
            binding=connection.binding,
            command=command,
        )
        async with book_cm as book, AsyncExitStack() as stack:
            if settings.resume_stopped and book.state.stopped is not None:
                await book.note({"event": "resume"}, durable=True)
            for record in known:
                await book.record(record)
                counters.count(record.status)
                counters.reconciled += 1
            load = None
            if settings.load is not None:
                load = LoadRun(
                    settings.load,
                    sweep=config.sweep,
                    target=_described(connection),
                    rate=target.rate,
                )
            stages = () if settings.load is None else settings.load.stages
            limiter = parts.make_limiter(rate=stages[0].rate if stages else target.rate)
            call_log = None if load is None else load.calls
            engines: list[Engine] = []
            driver = None
            recorder: Recorder = book
            if settings.drive is not None:
                pruning = None
                if config.early_stopping is not None and config.objective is not None:
                    watcher = await stack.enter_async_context(connection.open("cloudwatch"))
                    pruning = Pruning(
                        PruningSettings(
                            rule=config.early_stopping,
                            metric=config.objective.metric,
                            maximize=config.objective.goal == "maximize",
                            metric_poll=settings.drive.metric_poll,
                            sweep=config.sweep,
                        ),
                        watcher,
                        # Reads of their own, paced apart from the polls and the creates.
                        PacedCalls(
                            parts.make_limiter(rate=target.read_rate),
                            backoff=parts.backoff,
                            call_log=call_log,
                        ),
                    )
                driver = Driver(
                    sweep=config.sweep,
                    client=connection.client,
                    calls=PacedCalls(
                        # The polls spend read_rate on average; this is the ceiling.
                        parts.make_limiter(rate=max(target.read_rate, settings.drive.read_rate)),
                        backoff=parts.backoff,
                        call_log=call_log,
                    ),
                    settings=settings.drive,
                    note=book.note,
                    stopping=lambda: any(e.stopping for e in engines),
                    on_end=None if adaptive is None else adaptive.ended,
                    limits=None if settings.spending is None else Limits(settings.spending),
                    pruning=pruning,
                    search_stop=_search_stop(config),
                )
                recorder = driver.recorder(book)
                if book.state.sweep is not None:  # a ledger of earlier runs: resume
                    members = read_members(ledger, config.sweep)
                    if adaptive is not None:
                        adaptive.rebuild(members)
                    if pruning is not None:
                        # Numbered as the run before numbered them: the created jobs.
                        created = [n for n, m in members.jobs.items() if m.status in CREATED]
                        pruning.adopt(members.curves, members.pruned, order=created)
                    await driver.adopt(members, frozenset(members.endings), book.record)

            def skip(name: str) -> bool:
                """Whether the ledger settles ``name``; failures left alone are counted."""
                verdict = book.state.settled(name, retry_failed=settings.retry_failed)
                if verdict == "failed":
                    counters.failed_earlier += 1
                if verdict is not None and driver is not None:
                    driver.skipped(name)
                return verdict is not None

            engine = Engine(
                connection.client,
                recorder,
                limiter=limiter,
                settings=EngineSettings(
                    concurrency=target.concurrency,
                    capacity_wait=settings.capacity_wait,
                    outage_wait=settings.outage_wait,
                ),
                counters=counters,
                backoff=parts.backoff,
                capacity_probe=parts.capacity_probe,
                skip=skip,
                call_log=call_log,
            )
            engines.append(engine)
            log.info(f"{command}.started", sweep=config.sweep, jobs=total, ledger=str(ledger))
            view = None
            if driver is not None and settings.drive is not None:
                view = DriveView(driver.counts, counters, settings.drive.max_running)
            async with (
                _signals(engine, settings.grace, stopped),
                live_progress(
                    counters, lambda: limiter.rate, enabled=show_bar, stream=stream, view=view
                ),
                measuring(load, limiter),
            ):
                if driver is None:
                    await engine.run(jobs())
                else:

                    def done(name: str) -> bool:
                        return book.state.done(name, retry_failed=settings.retry_failed)

                    source = (
                        driver.jobs(jobs, done, total)
                        if adaptive is None
                        else driver.asked(
                            adaptive.next_job,
                            adaptive.remaining,
                            adaptive.replan,
                            before=lambda job: book.note(asked_record(job), durable=True),
                        )
                    )
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(driver.watch)
                        await engine.run(source)
            book.set_end_counts(counters.as_dict())
            if load is not None:
                load.created = counters.submitted
                load_lines = await load.finish(connection.settings.endpoint_url)
    interrupted = stopped[0] if stopped else None
    reason = signal.Signals(interrupted).name if interrupted else ""
    log.info(
        f"{command}.finished",
        ledger=str(ledger),
        interrupted=reason or None,
        seconds=round(counters.elapsed, 3),
        **counters.as_dict(),
    )
    stopper = stop_requested_by(ledger) if interrupted else None
    if settings.summary:
        retry = hint("submit", config.source, ledger, target, ["--retry-failed"])
        print_summary(
            counters,
            stream=stream,
            ledger=str(ledger),
            interrupted=reason,
            command=command,
            retry_hint=retry,
        )
        if driver is not None:
            stop = "" if stopper else hint("stop", config.source, ledger, target)
            print_drive_summary(driver.counts, stream=stream, sweep=config.sweep, stop_hint=stop)
            if driver.stopped_by is not None:
                print(driver.stopped_by, file=stream)
    if stopper is not None:
        log.info(f"{command}.stopped_by", pid=stopper)
        if settings.summary:
            print(
                f"stopped by sagesweep stop (pid {stopper}), which stops the sweep's running "
                "jobs; to launch the rest later:",
                file=stream,
            )
            print(hint("submit", config.source, ledger, target, ["--resume-stopped"]), file=stream)
    if settings.summary:
        for line in load_lines:
            print(line, file=stream)
    stopped_by = None if driver is None else driver.stopped_by
    ended = {} if driver is None else dict(driver.counts.ended)
    return Summary(counters.as_dict(), ledger, interrupted, warnings, stopped_by, ended)
