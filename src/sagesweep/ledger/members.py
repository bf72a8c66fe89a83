"""Which jobs belong to a sweep: the names in its ledger, and their attempts.

Never a name prefix: ``xgb`` is a prefix of every job of a sweep named ``xgb-2``. The
ledger is read without its lock, so this works while a submit is running.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError
from sagesweep.ledger.read import LedgerScan, read_scan
from sagesweep.ledger.records import JobStatus, Member
from sagesweep.ledger.state import LedgerState, check_binding

__all__ = [
    "CREATED",
    "STOPPED_EARLY",
    "Member",
    "SweepMembers",
    "read_members",
    "read_other_sweep",
]

#: Ledger statuses of a job that was created on AWS.
CREATED = frozenset({JobStatus.SUBMITTED, JobStatus.EXISTS})
OBSERVABLE = CREATED | {JobStatus.UNKNOWN}
#: The status shown for a job an early-stopping rule stopped (AWS says ``Stopped``).
STOPPED_EARLY = "StoppedEarly"


@dataclass(frozen=True, slots=True)
class SweepMembers:
    sweep: str
    ledger: Path
    #: The ledger as loaded for resume (its sweep and target), read once with the members.
    state: LedgerState
    jobs: Mapping[str, Member] = field(default_factory=dict)
    #: name -> the last ``end`` record (status, metrics...) a driven run wrote for it.
    endings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: name -> params of every ``asked`` record: jobs an adaptive search chose to run.
    asked: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: name -> the ``pruned`` record of each job an early-stopping rule stopped.
    pruned: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: name -> the objective's intermediate values a driven run recorded, as
    #: [[epoch seconds, value], ...].
    curves: Mapping[str, Sequence[Any]] = field(default_factory=dict)

    def latest(self) -> list[Member]:
        """One member per job: its newest attempt, in ledger order of the first attempt."""
        newest: dict[str, Member] = {}
        for member in self.jobs.values():
            seen = newest.get(member.base)
            if seen is None or member.attempt > seen.attempt:
                newest[member.base] = member
        return list(newest.values())

    def shown_status(self, name: str, status: str) -> str:
        """``status`` as AWS gives it, or ``StoppedEarly`` for a job a rule stopped."""
        return STOPPED_EARLY if status == "Stopped" and name in self.pruned else status

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
    """The sweep's jobs from its ledger, in one pass; a missing ledger or another sweep's
    is bad input."""
    if not ledger.is_file():
        raise InputError.one(
            str(ledger), "", "", "no ledger here: submit the sweep first, or pass --ledger"
        )
    scan = read_scan(ledger, detail=True)
    check_binding(ledger, scan.state(), sweep, None)
    return _members(ledger, scan, sweep)


def read_other_sweep(ledger: Path) -> SweepMembers:
    """The jobs of whichever sweep ``ledger`` holds (another sweep's, read for what its
    results can teach: no binding to check)."""
    scan = read_scan(ledger, detail=True)
    return _members(ledger, scan, scan.state().sweep or "")


def _members(ledger: Path, scan: LedgerScan, sweep: str) -> SweepMembers:
    return SweepMembers(
        sweep=sweep,
        ledger=ledger,
        state=scan.state(),
        jobs=_with_true_bases(scan.members),
        endings=scan.endings,
        asked=scan.asked,
        pruned=scan.pruned,
        curves=scan.curves,
    )


def _with_true_bases(jobs: Mapping[str, Member]) -> dict[str, Member]:
    """Each member with the attempt-0 name as its base.

    Earlier versions recorded an attempt made from another attempt's request with that
    attempt as its base (``x-r2`` with base ``x-r1``): follow such a base back to its job.
    """
    fixed: dict[str, Member] = {}
    for name, member in jobs.items():
        base, seen = member.base, {name}
        while base in jobs and jobs[base].base != base and base not in seen:
            seen.add(base)
            base = jobs[base].base
        fixed[name] = member if base == member.base else replace(member, base=base)
    return fixed
