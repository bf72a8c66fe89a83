"""Which jobs belong to a sweep: the names in its ledger, and their attempts.

Never a name prefix: ``xgb`` is a prefix of every job of a sweep named ``xgb-2``. The
ledger is read without its lock, so this works while a submit is running.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError
from sagesweep.ledger import JobStatus, LedgerState, load_ledger

__all__ = ["CREATED", "Member", "SweepMembers", "read_asked", "read_endings", "read_members"]

#: Ledger statuses of a job that was created on AWS.
CREATED = frozenset({JobStatus.SUBMITTED, JobStatus.EXISTS})
OBSERVABLE = CREATED | {JobStatus.UNKNOWN}
_STATUSES = {status.value: status for status in JobStatus}


@dataclass(frozen=True, slots=True)
class Member:
    """One job name of the sweep, as its ledger last recorded it."""

    name: str
    base: str  #: the attempt-0 name; equal to ``name`` for attempt 0
    attempt: int
    status: JobStatus  #: the ledger's status (did the create succeed?)
    params: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SweepMembers:
    sweep: str
    ledger: Path
    #: The ledger as loaded for resume (its sweep and target), read once with the members.
    state: LedgerState
    jobs: Mapping[str, Member] = field(default_factory=dict)

    def latest(self) -> list[Member]:
        """One member per job: its newest attempt, in ledger order of the first attempt."""
        newest: dict[str, Member] = {}
        for member in self.jobs.values():
            seen = newest.get(member.base)
            if seen is None or member.attempt > seen.attempt:
                newest[member.base] = member
        return list(newest.values())

    def observable(self) -> set[str]:
        """Names AWS may know: created ones, and those whose create had no clear answer."""
        return {m.name for m in self.jobs.values() if m.status in OBSERVABLE}

    def swept_paths(self) -> list[str]:
        """The parameter paths the sweep varies, in first-seen order."""
        paths: dict[str, None] = {}
        for member in self.jobs.values():
            paths.update(dict.fromkeys(member.params))
        return list(paths)


def read_members(ledger: Path, sweep: str) -> SweepMembers:
    """The sweep's jobs from its ledger; a missing ledger or another sweep's is bad input."""
    if not ledger.is_file():
        raise InputError.one(
            str(ledger), "", "", "no ledger here: submit the sweep first, or pass --ledger"
        )
    state = load_ledger(ledger)  # validates the file, says which sweep it belongs to
    if state.sweep is not None and state.sweep != sweep:
        raise InputError.one(
            str(ledger), "", "", f"this ledger belongs to sweep {state.sweep!r}, not {sweep!r}"
        )
    jobs: dict[str, Member] = {}
    with ledger.open("rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                continue  # a torn last line: load_ledger already said so
            try:
                record = json.loads(line)
            except ValueError:
                continue  # load_ledger would have refused a bad line other than the last
            if not isinstance(record, dict) or record.get("event") != "job":
                continue
            member = _member(record)
            if member is not None:
                jobs[member.name] = member
    return SweepMembers(sweep=sweep, ledger=ledger, jobs=jobs, state=state)


def _member(record: dict[str, Any]) -> Member | None:
    name, status = record.get("name"), record.get("status")
    if not isinstance(name, str) or status not in _STATUSES:
        return None
    base = record.get("base")
    attempt = record.get("attempt")
    params = record.get("params")
    return Member(
        name=name,
        base=base if isinstance(base, str) else name,
        attempt=attempt if isinstance(attempt, int) else 0,
        status=_STATUSES[status],
        params=params if isinstance(params, dict) else {},
    )


def _events(ledger: Path, event: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, record) of each whole ``event`` record of ``ledger`` that names a job."""
    if not ledger.is_file():
        return
    marker = f'"event":"{event}"'.encode()
    with ledger.open("rb") as handle:
        for line in handle:
            if marker not in line or not line.endswith(b"\n"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and isinstance(record.get("name"), str):
                yield record["name"], record


def read_asked(ledger: Path) -> dict[str, dict[str, Any]]:
    """Name -> params of every ``asked`` record: jobs an adaptive search chose to run."""
    return {
        name: record["params"]
        for name, record in _events(ledger, "asked")
        if isinstance(record.get("params"), dict)
    }


def read_endings(ledger: Path) -> dict[str, dict[str, Any]]:
    """Name -> the last ``end`` record (status, metrics...) a driven run wrote for it."""
    return dict(_events(ledger, "end"))
