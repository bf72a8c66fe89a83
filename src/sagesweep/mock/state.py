"""The mock's own job table: uniqueness, lifecycle and instance quotas.

moto stores the jobs, but it overwrites duplicates, creates them ``Completed`` and
knows nothing of quotas or stopping. This table is the authority on all of that and
pushes each status change into moto's job object, so moto's Describe/List (and its
``StatusEquals`` filter) answer with the status this table decided.

Not thread-safe on its own: the middleware calls it under its one lock, together
with the moto call it belongs to.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sagesweep.mock.bucket import Clock

__all__ = ["JobTable", "MockJob", "MotoTrainingJob", "QuotaRejection"]

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
STOPPING = "Stopping"
STOPPED = "Stopped"
#: Statuses whose instances are still allocated, so they count against a quota.
HOLDS_INSTANCES = frozenset({IN_PROGRESS, STOPPING})


class MotoTrainingJob(Protocol):
    """The attributes of moto's ``FakeTrainingJob`` that the lifecycle rewrites."""

    training_job_status: str
    secondary_status: str
    last_modified_time: datetime
    # moto declares it a plain datetime; None (omitted from the response) is what
    # AWS shows while a job runs, so the protocol leaves the type open.
    training_end_time: Any


@dataclass(slots=True)
class MockJob:
    """One job as the mock sees it (mutable: its status moves on)."""

    region: str
    name: str
    arn: str
    instance_type: str
    instance_count: int
    status: str
    moto_job: MotoTrainingJob | None


@dataclass(frozen=True, slots=True)
class QuotaRejection:
    """Why a create would exceed the instance quota of its type."""

    instance_type: str
    limit: int
    current: int
    delta: int


def _utcnow() -> datetime:
    # moto keeps naive UTC datetimes; mixing in aware ones would break its sorting.
    return datetime.now(UTC).replace(tzinfo=None)


class JobTable:
    """Jobs by (region, name), with timed status transitions and quota accounting."""

    def __init__(
        self,
        *,
        quotas: dict[str, int],
        job_seconds: float,
        stopping_seconds: float,
        clock: Clock = time.monotonic,
    ) -> None:
        self._quotas = quotas
        self._job_seconds = job_seconds
        self._stopping_seconds = stopping_seconds
        self._clock = clock
        self._jobs: dict[tuple[str, str], MockJob] = {}
        # (due time, sequence, key, status it must still have, status it moves to).
        # The sequence keeps ordering total without comparing records.
        self._due: list[tuple[float, int, tuple[str, str], str, str]] = []
        self._seq = 0
        self._in_use: dict[tuple[str, str], int] = {}

    def advance(self) -> None:
        """Apply every transition that is due by now. Cheap when none is."""
        now = self._clock()
        while self._due and self._due[0][0] <= now:
            _, _, key, expected, target = heapq.heappop(self._due)
            record = self._jobs.get(key)
            # A stop may have overtaken a scheduled completion: skip stale entries.
            if record is not None and record.status == expected:
                self._set_status(record, target)

    def get(self, region: str, name: str) -> MockJob | None:
        return self._jobs.get((region, name))

    def check_quota(self, region: str, instance_type: str, count: int) -> QuotaRejection | None:
        """The rejection a new job of this type would get, or None if it fits."""
        limit = self._quotas.get(instance_type)
        if limit is None:
            return None
        current = self._in_use.get((region, instance_type), 0)
        if current + count > limit:
            return QuotaRejection(instance_type, limit, current, count)
        return None

    def add(
        self,
        *,
        region: str,
        name: str,
        arn: str,
        instance_type: str,
        instance_count: int,
        moto_job: MotoTrainingJob | None,
    ) -> MockJob:
        """Record a job moto has just created and start its lifecycle."""
        record = MockJob(
            region=region,
            name=name,
            arn=arn,
            instance_type=instance_type,
            instance_count=instance_count,
            status=COMPLETED,
            moto_job=moto_job,
        )
        self._jobs[(region, name)] = record
        if self._job_seconds > 0:
            self._set_status(record, IN_PROGRESS)
            self._schedule(record, self._job_seconds, IN_PROGRESS, COMPLETED)
        else:
            self._set_status(record, COMPLETED)
        return record

    def stop(self, record: MockJob) -> None:
        """InProgress -> Stopping now, -> Stopped after the stopping delay."""
        self._set_status(record, STOPPING)
        if self._stopping_seconds > 0:
            self._schedule(record, self._stopping_seconds, STOPPING, STOPPED)
        else:
            self._set_status(record, STOPPED)

    def statuses(self, region: str) -> dict[str, str]:
        return {name: r.status for (reg, name), r in self._jobs.items() if reg == region}

    def clear(self) -> None:
        self._jobs.clear()
        self._due.clear()
        self._in_use.clear()

    def _schedule(self, record: MockJob, delay: float, expected: str, target: str) -> None:
        self._seq += 1
        key = (record.region, record.name)
        heapq.heappush(self._due, (self._clock() + delay, self._seq, key, expected, target))

    def _set_status(self, record: MockJob, status: str) -> None:
        held_before = record.status in HOLDS_INSTANCES
        held_after = status in HOLDS_INSTANCES
        if held_before != held_after:
            key = (record.region, record.instance_type)
            delta = record.instance_count if held_after else -record.instance_count
            self._in_use[key] = self._in_use.get(key, 0) + delta
        record.status = status
        job = record.moto_job
        if job is None:
            return
        now = _utcnow()
        job.training_job_status = status
        # SecondaryStatus tells the finer story; these are the values AWS reports.
        job.secondary_status = "Starting" if status == IN_PROGRESS else status
        job.last_modified_time = now
        job.training_end_time = None if status in HOLDS_INSTANCES else now
