"""``submit``: plan, validate, then submit a sweep with a ledger — the Python API.

The CLI's ``submit`` command is a thin wrapper around :func:`submit`; notebooks call
it directly (``await sagesweep.submit(...)``) or through :func:`submit_sync`.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import anyio
import structlog

from sagesweep.aws.client import ClientSettings, check_endpoint_url, sagemaker_client
from sagesweep.ledger import Ledger, default_ledger_path
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
from sagesweep.submitting.pacing import DEFAULT_RATE, AdaptiveRate, Backoff, CapacityProbe
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
        return 1 if self.counts.get("failed", 0) else 0


def _validated_size(planner: Planner) -> int:
    """Plan once completely so that nothing is sent unless every job is valid."""
    for _ in planner.jobs():
        pass
    planner.check()
    return planner.stats.jobs


@contextmanager
def _endpoint(mock: bool, endpoint_url: str | None) -> Iterator[str | None]:
    if not mock:
        yield endpoint_url
        return
    from sagesweep.mock import MockServer

    with MockServer() as server:
        log.info("submit.mock_started", url=server.url)
        yield server.url


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
    grace: float = DEFAULT_GRACE,
    progress: bool | None = None,
    summary: bool = True,
    summary_stream: TextIO | None = None,
    backoff: Backoff | None = None,
    capacity_probe: Callable[[], CapacityProbe] = CapacityProbe,
) -> Summary:
    """Submit every job of ``sweep`` exactly once; resumable from the ledger.

    ``summary`` prints the summary table on ``summary_stream`` (default stderr); the
    ``submit.finished`` log event carries the same counts either way.
    ``backoff`` and ``capacity_probe`` tune the waits between retries and capacity
    probes (tests and benchmarks shorten them).
    """
    sweep = Path(sweep)
    if endpoint_url is not None:
        check_endpoint_url(endpoint_url)  # before planning, and before a ledger is made
    config = load_config(sweep)
    total = _validated_size(first := Planner(config, max_jobs=max_jobs))
    for warning in first.stats.warnings:
        log.warning("plan.warning", detail=warning)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    stream = summary_stream or sys.stderr
    show_bar = stream.isatty() if progress is None else progress
    counters = Counters(total=total)
    stopped: list[int] = []
    async with Ledger.open(ledger_path, sweep=config.sweep, tool_version=__version__) as book:
        with _endpoint(mock, endpoint_url) as url:
            settings = ClientSettings(
                region=region,
                profile=profile,
                endpoint_url=url,
                mock=mock,
                concurrency=concurrency,
            )
            async with sagemaker_client(settings) as client:
                limiter = AdaptiveRate(rate=rate)
                engine = Engine(
                    client,
                    book,
                    limiter=limiter,
                    settings=EngineSettings(
                        concurrency=concurrency,
                        capacity_wait=capacity_wait,
                    ),
                    counters=counters,
                    backoff=backoff,
                    capacity_probe=capacity_probe,
                    skip=lambda name: book.state.done(name, retry_failed=retry_failed),
                )
                log.info("submit.started", sweep=config.sweep, jobs=total, ledger=str(ledger_path))
                async with (
                    _signals(engine, grace, stopped),
                    live_progress(counters, lambda: limiter.rate, enabled=show_bar, stream=stream),
                ):
                    # The first pass validated every job: this one only renders them again.
                    await engine.run(Planner(config, max_jobs=max_jobs).jobs(validate=False))
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
    return Summary(counters.as_dict(), ledger_path, interrupted, tuple(first.stats.warnings))


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
