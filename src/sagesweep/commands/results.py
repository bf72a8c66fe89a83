"""``results``: one row per job of a launched sweep, its parameters and final metrics —
the Python API. The CLI's ``results`` is a thin wrapper."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Unpack

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.parts import Parts
from sagesweep.commands.session import open_session, read_status
from sagesweep.commands.sync import run_sync
from sagesweep.operating.results import Goal, Results, tabulate
from sagesweep.planning.config import load_config

__all__ = ["results", "results_sync"]


async def results(
    sweep: Path | str,
    *,
    sort: str | None = None,
    goal: Goal | None = None,
    top: int | None = None,
    ledger: Path | str | None = None,
    target: Target | None = None,
    prices: Path | str | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> Results:
    """One row per job (newest attempt): swept parameters and final metrics.

    ``sort`` defaults to the sweep file's objective. ``target`` and its fields as
    keywords are :func:`~sagesweep.commands.submit.submit`'s; reads go at ``read_rate``.
    """
    objective = load_config(Path(sweep)).objective
    if sort is None and objective is not None:
        sort = objective.metric  # the sweep file's objective is the default order
        goal = goal or objective.goal
    async with open_session(sweep, ledger, target_of(target, **keywords), parts, prices) as session:
        swept = session.members.swept_paths()
        return tabulate(await read_status(session), swept, sort=sort, goal=goal, top=top)


def results_sync(sweep: Path | str, **options: Any) -> Results:
    """:func:`results` for code that is not async (scripts, a notebook cell without await)."""
    return run_sync(lambda: results(sweep, **options))
