"""The status of a launched sweep: counts, failure reasons, cost so far, one row per job.

Each job appears once, as its newest attempt. A job whose create never succeeded (the
ledger has it ``failed``, ``unknown`` or ``conflict``, and AWS does not know it) is
``NotSubmitted``; one the ledger says was created and AWS does not know is ``NotFound``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.costs.spend import Spend
from sagesweep.ledger.members import CREATED, STOPPED_EARLY, Member, SweepMembers
from sagesweep.operating.observe import NOT_FOUND, JobState

__all__ = ["STATUSES", "JobRow", "SweepStatus", "WarmPools", "build_status"]

NOT_SUBMITTED = "NotSubmitted"
#: Every status a row can have, in the order counts are shown.
STATUSES = (
    "InProgress",
    "Completed",
    "Failed",
    "Stopping",
    "Stopped",
    STOPPED_EARLY,
    NOT_FOUND,
    NOT_SUBMITTED,
)
TERMINAL = frozenset({"Completed", "Failed", "Stopped", STOPPED_EARLY})


@dataclass(frozen=True, slots=True)
class JobRow:
    """One job of the sweep, as its newest attempt."""

    name: str
    base: str
    attempt: int
    status: str
    secondary_status: str | None
    failure_reason: str | None
    billable_seconds: int | None
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    ended: float | None = None  #: POSIX seconds
    instance_type: str = ""  #: what it runs on (SageMaker's pick from InstancePreferences)
    fallback: int = 0  #: capacity_fallback steps the attempt applied
    #: For a job an early-stopping rule stopped: (step, value) the rule decided on.
    stopped_at: tuple[int, float] | None = None

    def as_json(self) -> dict[str, Any]:
        early = (
            {}
            if self.stopped_at is None
            else {
                "stopped_step": self.stopped_at[0],
                "stopped_value": self.stopped_at[1],
            }
        )
        return {
            **early,
            "name": self.name,
            "base": self.base,
            "attempt": self.attempt,
            "status": self.status,
            "secondary_status": self.secondary_status,
            "failure_reason": self.failure_reason,
            "billable_seconds": self.billable_seconds,
            "instance_type": self.instance_type or None,
            "params": dict(self.params),
        }


@dataclass(frozen=True, slots=True)
class SweepStatus:
    """A sweep at one moment."""

    sweep: str
    counts: Mapping[str, int]
    billable_instance_seconds: int  #: all attempts, x instance count
    jobs: tuple[JobRow, ...]
    spend: Spend | None = None  #: billed so far and accruing, USD where prices are known
    planned: int | None = None  #: jobs in the plan, as the newest run said (None: unknown)
    ledger: Path | None = None
    #: Warm pools (jobs with a keep-alive), None if no job has one: jobs that started on
    #: another job's pool, and the instance-seconds pools were billed while retained.
    warm: WarmPools | None = None

    @property
    def created(self) -> int:
        """Jobs of the sweep with an attempt that was created."""
        return sum(1 for row in self.jobs if row.status != NOT_SUBMITTED)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "sweep": self.sweep,
            "planned": self.planned,
            "created": self.created,
            "counts": dict(self.counts),
            "billable_instance_seconds": self.billable_instance_seconds,
            "jobs": [row.as_json() for row in self.jobs],
        }
        if self.spend is not None:
            out["spend"] = self.spend.as_json()
        if self.warm is not None:
            out["warm_pools"] = {
                "warm_starts": self.warm.starts,
                "retained_instance_seconds": self.warm.retained_instance_seconds,
            }
        return out

    def failure_reasons(self) -> list[tuple[str, int]]:
        """Failure reasons of failed jobs, most frequent first (the text before a colon
        that carries per-job detail is what groups them)."""
        reasons = Counter(
            _reason_kind(row.failure_reason or "(no reason given)")
            for row in self.jobs
            if row.status == "Failed"
        )
        return reasons.most_common()

    @property
    def done(self) -> bool:
        """Every job that was created has ended."""
        return all(row.status in TERMINAL or row.status == NOT_SUBMITTED for row in self.jobs)


@dataclass(frozen=True, slots=True)
class WarmPools:
    """What a sweep's warm pools did: starts on a pool, and the retained time billed."""

    starts: int  #: jobs that started on another job's pool (its ``ReusedByJob``)
    retained_instance_seconds: int  #: ResourceRetainedBillableTimeInSeconds x instances

    @classmethod
    def of(cls, states: Mapping[str, JobState]) -> WarmPools | None:
        pooled = [state for state in states.values() if state.warm_pool is not None]
        if not pooled:
            return None
        return cls(
            starts=sum(1 for state in pooled if state.reused_by is not None),
            retained_instance_seconds=sum(
                (state.warm_retained_seconds or 0) * state.instance_count for state in pooled
            ),
        )


def _reason_kind(reason: str) -> str:
    # "AlgorithmError: ExecuteUserScriptError ... line 12" -> group by its first sentence.
    head = reason.split("\n", 1)[0]
    return head if len(head) <= 120 else head[:117] + "..."


def build_status(
    members: SweepMembers, states: Mapping[str, JobState], spend: Spend | None = None
) -> SweepStatus:
    """Combine the ledger's view (membership, params) with AWS's (what happened)."""
    rows = tuple(_row(members, member, states.get(member.name)) for member in members.latest())
    counts = dict.fromkeys(STATUSES, 0)
    counts.update(Counter(row.status for row in rows))
    planned = members.state.planned
    if planned is not None and planned > len(rows):
        counts[NOT_SUBMITTED] += planned - len(rows)  # never tried: not in the ledger at all
    billable = sum(
        (state.billable_seconds or 0) * state.instance_count for state in states.values()
    )
    return SweepStatus(
        members.sweep,
        counts,
        billable,
        rows,
        spend,
        planned,
        members.ledger,
        WarmPools.of(states),
    )


def _row(members: SweepMembers, member: Member, state: JobState | None) -> JobRow:
    if state is None or (state.status == NOT_FOUND and member.status not in CREATED):
        status = NOT_SUBMITTED
    else:
        status = members.shown_status(member.name, state.status)
    # A verdict that came after the job completed stopped nothing.
    pruned = members.pruned.get(member.name) if status == STOPPED_EARLY else None
    stopped_at = None
    if pruned is not None and isinstance(pruned.get("step"), int):
        value = pruned.get("value")
        stopped_at = (
            int(pruned["step"]),
            float(value) if isinstance(value, int | float) else math.nan,
        )
    return JobRow(
        name=member.name,
        base=member.base,
        attempt=member.attempt,
        status=status,
        secondary_status=None if state is None else state.secondary_status,
        failure_reason=None if state is None else state.failure_reason,
        billable_seconds=None if state is None else state.billable_seconds,
        params=member.params,
        metrics={} if state is None else state.metrics,
        ended=None if state is None else state.end_time,
        instance_type="" if state is None else state.instance_type,
        fallback=member.fallback,
        stopped_at=stopped_at,
    )
