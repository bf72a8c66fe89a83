"""Choosing what to resubmit: jobs whose newest attempt ended in a chosen status.

A job's attempts are ``{base}``, ``{base}-r1``, ``{base}-r2``... The newest attempt
decides: a job whose ``-r1`` is still running is not resubmitted again, and one whose
``-r1`` failed gets ``-r2``. Attempts the ledger lost (deleted, or written on another
machine) are found through ``Search`` on the sweep's tag and recorded as ``exists``, so
they are counted rather than made twice; should one be missed, its create meets
``ResourceInUse`` and is reconciled.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sagesweep.errors import InputError
from sagesweep.ledger import JobStatus
from sagesweep.ledger.members import STOPPED_EARLY, SweepMembers
from sagesweep.operating.observe import NOT_FOUND, JobState
from sagesweep.operating.select import Where, select

__all__ = [
    "DEFAULT_MAX_ATTEMPTS",
    "RESUBMITTABLE",
    "Pick",
    "Selection",
    "choose",
    "parse_reason",
    "parse_statuses",
]

DEFAULT_MAX_ATTEMPTS = 3
#: Statuses a job may be resubmitted from (``StoppedEarly``: only when named).
RESUBMITTABLE = ("Failed", "Stopped", STOPPED_EARLY, "Completed", NOT_FOUND)


@dataclass(frozen=True, slots=True)
class Pick:
    """A job to run again, and why."""

    base: str
    latest: str  #: the newest attempt's name
    status: str
    reason: str | None  #: its FailureReason
    attempt: int  #: the attempt to create
    fallback: int = 0  #: capacity_fallback steps the newest attempt applied


@dataclass(frozen=True, slots=True)
class Selection:
    picks: tuple[Pick, ...]
    capped: tuple[str, ...]  #: newest attempts that matched but reached --max-attempts


def parse_statuses(text: Iterable[str]) -> frozenset[str]:
    """``Failed,Stopped`` -> the statuses; an unknown one is bad input."""
    chosen = {part.strip() for item in text for part in item.split(",") if part.strip()}
    unknown = sorted(chosen - set(RESUBMITTABLE))
    if unknown:
        known = ", ".join(RESUBMITTABLE)
        raise InputError.one(
            "<cli>", "", "--status", f"unknown status {', '.join(unknown)} (one of: {known})"
        )
    return frozenset(chosen) or frozenset({"Failed"})


def parse_reason(text: str | None) -> re.Pattern[str] | None:
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise InputError.one("<cli>", "", "--reason", f"not a valid regex: {exc}") from None


def choose(
    members: SweepMembers,
    states: Mapping[str, JobState],
    *,
    statuses: frozenset[str],
    reason: re.Pattern[str] | None = None,
    wheres: Sequence[Where] = (),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Selection:
    """The jobs whose newest attempt matches; each with the attempt to create next."""
    picks: list[Pick] = []
    capped: list[str] = []
    for member in members.latest():
        state = states.get(member.name)
        if state is None or member.status not in (JobStatus.SUBMITTED, JobStatus.EXISTS):
            continue  # never created: that is --retry-failed's business, not ours
        status = members.shown_status(member.name, state.status)
        if status not in statuses or not select(member.params, wheres):
            continue
        if reason is not None and not reason.search(state.failure_reason or ""):
            continue
        if member.attempt + 1 > max_attempts:
            capped.append(member.name)
            continue
        picks.append(
            Pick(
                member.base,
                member.name,
                status,
                state.failure_reason,
                member.attempt + 1,
                member.fallback,
            )
        )
    return Selection(tuple(picks), tuple(capped))
