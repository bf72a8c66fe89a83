"""``submit``: plan, validate, then submit a sweep with a ledger — the Python API.

The CLI's ``submit`` command is a thin wrapper around :func:`submit`; notebooks call
it directly (``await sagesweep.submit(...)``) or through :func:`submit_sync`.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import anyio
import structlog

from sagesweep.connect import TargetOptions, connect
from sagesweep.ledger import (
    JobStatus,
    LedgerState,
    check_binding,
    default_ledger_path,
    load_ledger,
)
from sagesweep.parts import Parts
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.submitting.counters import Counters
from sagesweep.submitting.display import live_progress, print_summary
from sagesweep.submitting.engine import (
    DEFAULT_CAPACITY_WAIT,
    DEFAULT_CONCURRENCY,
    DEFAULT_GRACE,
    Engine,
    EngineSettings,
)
from sagesweep.submitting.outage import DEFAULT_OUTAGE_WAIT
from sagesweep.submitting.pacing import DEFAULT_RATE
from sagesweep.version import __version__

__all__ = ["Summary", "submit", "submit_sync"]

log = structlog.get_logger("sagesweep.submit")

_SIGNAL_EXIT = {signal.SIGINT: 130, signal.SIGTERM: 143}


@dataclass(frozen=True, slots=True)
class Summary:
    """How a submit run ended."""

    counts: Mapping[str, int]
    ledger: Path
    interrupted_by: int | None = None  #: the signal that stopped the run, if any
    warnings: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        if self.interrupted_by is not None:
            return _SIGNAL_EXIT.get(signal.Signals(self.interrupted_by), 130)
        unsettled = ("failed", "failed_earlier", "conflict", "unknown")
        return 1 if any(self.counts.get(key, 0) for key in unsettled) else 0


def _validated_size(planner: Planner, prior: LedgerState) -> tuple[int, int]:
    """Plan once completely so that nothing is sent unless every job is valid.

    Returns the plan's size and how many of its jobs the ledger already knows.
    """
    known = prior.jobs
    in_ledger = 0
    for job in planner.jobs():
        if job.name in known:
            in_ledger += 1
    planner.check()
    return planner.stats.jobs, in_ledger


def _warn_of_stale_jobs(prior: LedgerState, in_ledger: int, warnings: list[str]) -> None:
    stale = len(prior.jobs) - in_ledger
    if stale > 0:
        message = (
            f"the ledger holds {stale} job(s) that are not in this plan "
            "(the sweep file changed since they were launched)"
        )
        log.warning("submit.stale_ledger", jobs=stale, detail=message)
        warnings.append(message)


def _already_done(state: LedgerState, name: str, retry_failed: bool, counters: Counters) -> bool:
    """Whether the ledger settles ``name``; failures left alone are counted, not hidden."""
    entry = state.jobs.get(name)
    if entry is None:
        return False
    if entry.status is JobStatus.UNKNOWN:
        return False
    if entry.status in (JobStatus.FAILED, JobStatus.CONFLICT):
        if retry_failed:
            return False
        counters.failed_earlier += 1
    return True


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


async def submit(
    sweep: Path | str,
    *,
    ledger: Path | str | None = None,
    rate: float = DEFAULT_RATE,
    concurrency: int = DEFAULT_CONCURRENCY,
    mock: bool = False,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    max_jobs: int | None = None,
    retry_failed: bool = False,
    capacity_wait: float = DEFAULT_CAPACITY_WAIT,
    outage_wait: float = DEFAULT_OUTAGE_WAIT,
    grace: float = DEFAULT_GRACE,
    progress: bool | None = None,
    summary: bool = True,
    summary_stream: TextIO | None = None,
    parts: Parts | None = None,
) -> Summary:
    """Submit every job of ``sweep`` exactly once; resumable from the ledger.

    ``summary`` prints the summary table on ``summary_stream`` (default stderr); the
    ``submit.finished`` log event carries the same counts either way. ``parts``
    replaces the components the run is built from (see :class:`sagesweep.parts.Parts`).
    """
    options = TargetOptions(
        mock=mock,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        concurrency=concurrency,
    )
    parts = parts or Parts()
    sweep = Path(sweep)
    config = load_config(sweep)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    # Read (without the lock) before planning: a wrong ledger is refused before any work.
    prior = load_ledger(ledger_path)
    check_binding(ledger_path, prior, config.sweep, None)
    first = parts.make_planner(config, max_jobs=max_jobs)
    total, in_ledger = _validated_size(first, prior)
    warnings = list(first.stats.warnings)
    for warning in warnings:
        log.warning("plan.warning", detail=warning)
    _warn_of_stale_jobs(prior, in_ledger, warnings)
    stream = summary_stream or sys.stderr
    show_bar = stream.isatty() if progress is None else progress
    counters = Counters(total=total)
    stopped: list[int] = []
    async with connect(options, parts, ledger_path) as connection:
        client = connection.client
        book_cm = parts.open_ledger(
            ledger_path, sweep=config.sweep, tool_version=__version__, target=connection.target
        )
        async with book_cm as book:
            limiter = parts.make_limiter(rate=rate)
            engine = Engine(
                client,
                book,
                limiter=limiter,
                settings=EngineSettings(
                    concurrency=concurrency,
                    capacity_wait=capacity_wait,
                    outage_wait=outage_wait,
                ),
                counters=counters,
                backoff=parts.backoff,
                capacity_probe=parts.capacity_probe,
                skip=lambda name: _already_done(book.state, name, retry_failed, counters),
            )
            log.info("submit.started", sweep=config.sweep, jobs=total, ledger=str(ledger_path))
            async with (
                _signals(engine, grace, stopped),
                live_progress(counters, lambda: limiter.rate, enabled=show_bar, stream=stream),
            ):
                # The first pass validated every job: this one only renders them again.
                planner = parts.make_planner(config, max_jobs=max_jobs)
                await engine.run(planner.jobs(validate=False))
            book.set_end_counts(counters.as_dict())
    interrupted = stopped[0] if stopped else None
    reason = signal.Signals(interrupted).name if interrupted else ""
    log.info(
        "submit.finished",
        ledger=str(ledger_path),
        interrupted=reason or None,
        seconds=round(counters.elapsed, 3),
        **counters.as_dict(),
    )
    if summary:
        print_summary(counters, stream=stream, ledger=str(ledger_path), interrupted=reason)
    return Summary(counters.as_dict(), ledger_path, interrupted, tuple(warnings))


def submit_sync(sweep: Path | str, **options: Any) -> Summary:
    """:func:`submit` for code that is not async (scripts, a notebook cell without await).

    Runs on uvloop where it is installed: the client is CPU-bound at high rates, and
    uvloop's event loop leaves more of the CPU to the HTTP path.
    """
    try:
        import uvloop  # noqa: F401
    except ImportError:
        backend_options: dict[str, Any] = {}
    else:
        backend_options = {"use_uvloop": True}
    return anyio.run(lambda: submit(sweep, **options), backend_options=backend_options)
