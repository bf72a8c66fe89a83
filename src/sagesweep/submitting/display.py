"""The live progress bar and the final summary of a submit run.

Workers only bump integers in :class:`~sagesweep.submitting.counters.Counters`; the bar
reads them a few times a second, so showing progress costs the submit path nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Protocol, TextIO

import anyio

from sagesweep.submitting.counters import Counters

__all__ = ["ProgressView", "live_progress", "print_summary"]

REFRESH_SECONDS = 0.25


class ProgressView(Protocol):
    """What the bar shows: how far, out of how much, and a line of detail."""

    def done(self) -> int: ...

    def total(self) -> int: ...

    def detail(self) -> str: ...

    @property
    def estimates(self) -> bool:
        """The detail carries its own time estimate (so the bar shows none)."""
        ...


class _SubmitView:
    estimates = False  # the bar's own estimate (from the rate so far) is shown

    def __init__(self, counters: Counters, rate: Callable[[], float]) -> None:
        self._c = counters
        self._rate = rate

    def done(self) -> int:
        return self._c.done

    def total(self) -> int:
        return self._c.total

    def detail(self) -> str:
        c = self._c
        return (
            f"new {c.submitted} · exists {c.exists} · failed {c.failed} · "
            f"throttled {c.throttled} · {self._rate():.1f}/s"
        )


@asynccontextmanager
async def live_progress(
    counters: Counters,
    rate: Callable[[], float],
    *,
    enabled: bool,
    stream: TextIO,
    view: ProgressView | None = None,
) -> AsyncIterator[None]:
    """A rich progress bar while the body runs (only if ``enabled``, i.e. on a TTY)."""
    async with _live(view or _SubmitView(counters, rate), enabled=enabled, stream=stream):
        yield


@asynccontextmanager
async def _live(view: ProgressView, *, enabled: bool, stream: TextIO) -> AsyncIterator[None]:
    if not enabled:
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = [
        BarColumn(bar_width=24),
        MofNCompleteColumn(),
        TextColumn("{task.fields[detail]}"),
        TimeElapsedColumn(),
    ]
    if not view.estimates:
        columns += [TextColumn("eta"), TimeRemainingColumn()]
    progress = Progress(*columns, console=Console(file=stream), transient=False)

    task = progress.add_task("submit", total=view.total() or None, detail=view.detail())
    with progress:
        async with anyio.create_task_group() as tg:

            async def refresh() -> None:
                while True:
                    progress.update(
                        task, completed=view.done(), total=view.total(), detail=view.detail()
                    )
                    await anyio.sleep(REFRESH_SECONDS)

            tg.start_soon(refresh)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
        progress.update(task, completed=view.done(), detail=view.detail())


def print_summary(
    counters: Counters,
    *,
    stream: TextIO,
    ledger: str,
    interrupted: str = "",
    command: str = "submit",
    retry_hint: str = "",
) -> None:
    """The summary table; ``retry_hint``: the command that submits earlier failures again."""
    from rich.console import Console
    from rich.table import Table

    c = counters
    elapsed = max(c.elapsed, 1e-9)
    table = Table(title=f"sagesweep {command}" + (f" ({interrupted})" if interrupted else ""))
    table.add_column("jobs", justify="left")
    table.add_column("count", justify="right")
    rows = [
        ("planned", c.total),
        ("created now (submitted)", c.submitted),
        ("already existed (exists)", c.exists),
        ("create failed", c.failed),
        ("name taken by another job (conflict)", c.conflict),
        ("outcome unknown (rerun to settle)", c.unknown),
        ("skipped (in ledger)", c.skipped),
        ("  of which failed earlier", c.failed_earlier),
        ("not reached", max(0, c.total - c.done)),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    console = Console(file=stream)
    console.print(table)
    console.print(
        f"{c.calls} calls, {c.throttled} throttled, {c.retries} retried, "
        f"{(c.submitted + c.exists) / elapsed:.1f} jobs/s over {elapsed:.1f}s; ledger: {ledger}",
        highlight=False,
    )
    if c.failed_earlier:
        console.print(
            f"{c.failed_earlier} job(s) failed in an earlier run and were not retried; "
            "to submit them again:",
            highlight=False,
        )
        print(retry_hint or "rerun with --retry-failed", file=stream)
