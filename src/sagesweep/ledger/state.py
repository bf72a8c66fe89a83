"""The ledger as loaded: each job's last entry, and what the ledger says as a whole.

:class:`LedgerState` is what resume and every reader decide on: which jobs are created
(:meth:`LedgerState.settled`), the sweep and target it is bound to, and whether
``sagesweep stop`` stopped it. :mod:`~sagesweep.ledger.read` makes one;
:func:`check_binding` refuses one of another sweep or target.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sagesweep.aws.target import TargetKind
from sagesweep.errors import InputError
from sagesweep.ledger.binding import Binding, describe_kind
from sagesweep.ledger.records import JobStatus

__all__ = [
    "JobIndex",
    "LedgerEntry",
    "LedgerState",
    "Raw",
    "Settled",
    "StopMark",
    "check_binding",
]

#: Why a job is skipped on resume: created, or left failed (see LedgerState.settled).
Settled = Literal["done", "failed"]


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What resume needs to know about one job: its last record."""

    status: JobStatus
    arn: str | None
    attempts: int


Raw = tuple[JobStatus, str | None, int]


class JobIndex(Mapping[str, LedgerEntry]):
    """Name -> last entry, kept as tuples and turned into entries when looked up.

    Building a million frozen dataclasses would be a large share of loading a
    million-line ledger; a resume only looks up each planned name once.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Raw]) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> LedgerEntry:
        return LedgerEntry(*self._raw[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def statuses(self) -> Iterator[JobStatus]:
        return (raw[0] for raw in self._raw.values())


@dataclass(frozen=True, slots=True)
class StopMark:
    """``sagesweep stop`` stopped the sweep, and no run has resumed it since."""

    ts: float  #: Unix time of the stop
    where: tuple[str, ...] = ()  #: the stop's ``--where`` filters (none: every job)


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The ledger as loaded: the last record per job name."""

    jobs: Mapping[str, LedgerEntry]
    repaired: bool  #: a torn tail was found (and, when opened for writing, cut off)
    sweep: str | None = None  #: the sweep the ledger belongs to; None for an empty ledger
    binding: Binding | None = None  #: where its newest run that says so sent jobs
    stopped: StopMark | None = None  #: the sweep was stopped and not resumed since
    planned: int | None = None  #: jobs in the plan, as the newest run that planned said

    def settled(self, name: str, *, retry_failed: bool = False) -> Settled | None:
        """Why the engine should skip ``name``: it was created (``"done"``), or its create
        failed and is left failed (``"failed"``); None: send it."""
        entry = self.jobs.get(name)
        if entry is None or entry.status is JobStatus.UNKNOWN:
            return None
        if entry.status in (JobStatus.FAILED, JobStatus.CONFLICT):
            return None if retry_failed else "failed"
        return "done"

    def done(self, name: str, *, retry_failed: bool = False) -> bool:
        """Whether the engine should skip ``name``."""
        return self.settled(name, retry_failed=retry_failed) is not None

    def counts(self) -> dict[str, int]:
        """Jobs per last status."""
        jobs = self.jobs
        statuses = (
            jobs.statuses() if isinstance(jobs, JobIndex) else (e.status for e in jobs.values())
        )
        tally = collections.Counter(status.value for status in statuses)
        return {status.value: tally[status.value] for status in JobStatus}


def check_binding(
    path: Path,
    state: LedgerState,
    sweep: str,
    binding: Binding | None,
    *,
    kind: TargetKind | None = None,
) -> None:
    """Refuse a ledger written for another sweep, or against another target.

    ``kind`` checks the kind of target alone, before anything (an embedded mock and its
    state file, say) is started for the run.
    """
    if state.sweep is not None and state.sweep != sweep:
        raise InputError.one(
            str(path),
            "",
            "",
            f"this ledger belongs to sweep {state.sweep!r}, not {sweep!r}: "
            "pass the right sweep file or another --ledger",
        )
    if binding is not None and state.binding is not None and state.binding != binding:
        raise InputError.one(
            str(path),
            "",
            "",
            f"this ledger records jobs sent to {state.binding}; this run targets {binding}. "
            "Its jobs do not exist there: use another --ledger",
        )
    if kind is not None and state.binding is not None and state.binding.kind != kind:
        raise InputError.one(
            str(path),
            "",
            "",
            f"this ledger records jobs sent to {state.binding}; this run targets "
            f"{describe_kind(kind)}. Its jobs do not exist there: use another --ledger",
        )
