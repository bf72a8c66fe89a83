"""``status``: where every job of a launched sweep stands — the Python API.

The CLI's ``status`` (and ``status --watch``) is a thin wrapper.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Unpack

import anyio

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.parts import Parts
from sagesweep.commands.session import open_session, read_status
from sagesweep.commands.sync import run_sync
from sagesweep.operating.status import SweepStatus

__all__ = ["status", "status_sync", "watch"]


async def status(
    sweep: Path | str,
    *,
    ledger: Path | str | None = None,
    target: Target | None = None,
    prices: Path | str | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> SweepStatus:
    """Where every job of the sweep stands: counts, failure reasons, cost, one row per job.

    ``target`` and its fields as keywords are :func:`~sagesweep.commands.submit.submit`'s;
    reads go at ``read_rate``.
    """
    async with open_session(sweep, ledger, target_of(target, **keywords), parts, prices) as session:
        return await read_status(session)


async def watch(
    sweep: Path | str,
    *,
    every: float,
    show: Callable[[SweepStatus], None],
    ledger: Path | str | None = None,
    target: Target | None = None,
    prices: Path | str | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> None:
    """Call ``show`` with a fresh status every ``every`` seconds until cancelled."""
    async with open_session(sweep, ledger, target_of(target, **keywords), parts, prices) as session:
        while True:
            show(await read_status(session))
            await anyio.sleep(every)


def status_sync(sweep: Path | str, **options: Any) -> SweepStatus:
    """:func:`status` for code that is not async (scripts, a notebook cell without await)."""
    return run_sync(lambda: status(sweep, **options))
