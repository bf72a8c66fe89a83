"""The mock's account: its training jobs, their status and the instances they hold.

The mock owns its training jobs outright (moto keeps every other SageMaker resource):
moto overwrites duplicates, creates jobs already ``Completed``, cannot stop or delete
them and rewrites the caller's metric definitions. A job here is the request it was
created with plus what :mod:`sagesweep.mock.lifecycle` derives from timestamps.

:class:`JobTable` keeps each job's TrainingJobStatus current through a heap of due
transitions, so the counts that need it -- instances in use per type, jobs in
progress and their peak -- are exact without scanning every job. Not thread-safe on
its own: the caller holds one lock around a check and the change it guards.
"""

from __future__ import annotations

import heapq
import json
import math
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from sagesweep.mock.bucket import Clock
from sagesweep.mock.fate import Fate
from sagesweep.mock.lifecycle import (
    COMPLETED,
    HOLDS_INSTANCES,
    IN_PROGRESS,
    STOPPED,
    STOPPING,
    TERMINAL,
    Step,
    history,
    natural_end,
    to_ms,
)

__all__ = ["WARM_START_SECONDS", "JobTable", "MockJob", "QuotaRejection", "WarmPool"]

#: How long ``Starting`` lasts for a job that reuses a warm pool.
WARM_START_SECONDS = 0.5
#: The ResourceConfig and job members a job must share with a warm pool to reuse it.
_POOL_RESOURCES = ("InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")
_POOL_MEMBERS = (
    "RoleArn",
    "VpcConfig",
    "EnableInterContainerTrafficEncryption",
    "EnableNetworkIsolation",
)


@dataclass(slots=True)
class MockJob:
    """One training job (mutable: it can be stopped and retagged)."""

    region: str
    name: str
    arn: str
    #: Creation order within the account; never reused, so it tells jobs of one name apart.
    seq: int
    #: Epoch seconds.
    created: float
    #: The CreateTrainingJob request, less TrainingJobName and Tags.
    request: dict[str, Any]
    tags: list[dict[str, str]]
    instance_type: str
    instance_count: int
    fate: Fate
    #: (metric name, value) reported once the job has completed.
    metrics: tuple[tuple[str, float], ...]
    stop_requested: float | None = None
    stopped_at: float | None = None
    #: The job whose warm pool this one started on, if any.
    warm_from: str | None = None
    #: The job that took this job's warm pool, and when.
    reused_by: str | None = None
    reused_at: float | None = None
    #: TrainingJobStatus as of the table's last advance().
    status: str = IN_PROGRESS
    #: The job's state-file line, cached until the job changes.
    line: bytes | None = field(default=None, repr=False, compare=False)
    _history: list[Step] | None = field(default=None, repr=False, compare=False)

    def steps(self) -> list[Step]:
        """Every step of the run, future ones included (cached until a stop)."""
        if self._history is None:
            self._history = history(self.created, self.fate, self.stop_requested, self.stopped_at)
        return self._history

    def changed(self) -> None:
        """Forget what was derived from the job: call after changing it."""
        self.line = None
        self._history = None

    @property
    def keep_alive(self) -> int:
        """``ResourceConfig.KeepAlivePeriodInSeconds`` (0: no warm pool)."""
        resources = self.request.get("ResourceConfig")
        value = resources.get("KeepAlivePeriodInSeconds") if isinstance(resources, dict) else 0
        return value if isinstance(value, int) and value > 0 else 0

    def pool_key(self) -> str:
        """What a job must share with this one's warm pool to reuse it."""
        return pool_key(self.region, self.instance_type, self.request)

    def warm_pool(self, now: float) -> WarmPool | None:
        """The job's WarmPoolStatus at ``now``; None without a keep-alive period."""
        keep = self.keep_alive
        if not keep:
            return None
        if self.status not in TERMINAL:
            return WarmPool("InUse", None, None)
        end, final = natural_end(self.created, self.fate)
        if self.status != COMPLETED or final != COMPLETED:
            return WarmPool("Terminated", 0, None)  # only a completed job keeps its pool
        if self.reused_at is not None:
            return WarmPool("Reused", math.ceil(max(0.0, self.reused_at - end)), self.reused_by)
        if now < end + keep:
            return WarmPool("Available", math.ceil(max(0.0, now - end)), None)
        return WarmPool("Terminated", keep, None)

    def to_json(self) -> dict[str, Any]:
        fate = self.fate
        return {
            "region": self.region,
            "name": self.name,
            "arn": self.arn,
            "seq": self.seq,
            "created": self.created,
            "request": self.request,
            "tags": self.tags,
            "instance_type": self.instance_type,
            "instance_count": self.instance_count,
            "fate": [fate.duration, fate.failure, fate.fail_point, fate.spot_savings, fate.start],
            "metrics": [list(metric) for metric in self.metrics],
            "stop_requested": self.stop_requested,
            "stopped_at": self.stopped_at,
            "warm_from": self.warm_from,
            "reused_by": self.reused_by,
            "reused_at": self.reused_at,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MockJob:
        """The job ``to_json`` wrote; KeyError/TypeError/ValueError if it is not one."""
        duration, failure, fail_point, savings, *rest = data["fate"]
        job = cls(
            region=str(data["region"]),
            name=str(data["name"]),
            arn=str(data["arn"]),
            seq=int(data["seq"]),
            created=float(data["created"]),
            request=dict(data["request"]),
            tags=[{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in data["tags"]],
            instance_type=str(data["instance_type"]),
            instance_count=int(data["instance_count"]),
            fate=Fate(
                duration=float(duration),
                failure=None if failure is None else str(failure),
                fail_point=float(fail_point),
                spot_savings=float(savings),
                start=float(rest[0]) if rest else 0.0,
            ),
            metrics=tuple((str(name), float(value)) for name, value in data["metrics"]),
            stop_requested=_optional_float(data["stop_requested"]),
            stopped_at=_optional_float(data["stopped_at"]),
            warm_from=_optional_str(data.get("warm_from")),
            reused_by=_optional_str(data.get("reused_by")),
            reused_at=_optional_float(data.get("reused_at")),
        )
        return job


@dataclass(frozen=True, slots=True)
class WarmPool:
    """A job's WarmPoolStatus: Status, ResourceRetainedBillableTimeInSeconds, ReusedByJob."""

    status: str
    retained_seconds: int | None
    reused_by: str | None


def pool_key(region: str, instance_type: str, request: dict[str, Any]) -> str:
    """The configuration a warm pool is matched on (SPEC Part III's list), as one text."""
    resources = request.get("ResourceConfig")
    resources = resources if isinstance(resources, dict) else {}
    parts: list[object] = [region, instance_type]
    parts += [resources.get(name) for name in _POOL_RESOURCES]
    parts += [request.get(name) for name in _POOL_MEMBERS]
    return json.dumps(parts, sort_keys=True, default=str)


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


def _optional_float(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class QuotaRejection:
    """Why a create would exceed the instance quota of its type."""

    instance_type: str
    limit: int
    current: int
    delta: int


_Key = tuple[str, str]
#: The status of a job the table has not counted yet: neither running nor holding.
_UNCOUNTED = ""


class JobTable:
    """Jobs by (region, name), with timed status transitions and quota accounting."""

    def __init__(
        self,
        *,
        quotas: dict[str, int],
        stopping_seconds: float,
        clock: Clock = time.time,
        capacity: dict[str, int] | None = None,
    ) -> None:
        self._quotas = quotas
        self._capacity = capacity or {}
        # Instances per (region, type) held by jobs that got capacity: a job failing
        # with a CapacityError never had any, whatever its status says meanwhile.
        self._granted: dict[_Key, int] = {}
        self._stopping_seconds = stopping_seconds
        self._clock = clock
        self._jobs: dict[_Key, MockJob] = {}
        # (due time, tie-break, key, job seq, status it must still have, next status):
        # the seq skips entries of a job that was deleted and whose name was reused.
        self._due: list[tuple[float, int, _Key, int, str, str]] = []
        self._ties = 0
        self._next_seq = 0
        self._in_use: dict[_Key, int] = {}
        self._in_progress = 0
        self._peak = 0
        # Completed jobs with a keep-alive, oldest first, per pool key: the pools that
        # may be Available (expired or reused ones are dropped when looked at).
        self._pools: dict[str, deque[MockJob]] = {}

    @property
    def in_progress(self) -> int:
        return self._in_progress

    @property
    def peak_in_progress(self) -> int:
        return self._peak

    def now(self) -> float:
        return self._clock()

    def advance(self) -> float:
        """Apply every transition that is due; return the time it brought the table to."""
        now = self._clock()
        while self._due and self._due[0][0] <= now:
            _, _, key, seq, expected, target = heapq.heappop(self._due)
            record = self._jobs.get(key)
            # A stop may have overtaken a completion, or the name been reused: skip those.
            if record is not None and record.seq == seq and record.status == expected:
                self._set_status(record, target)
        return now

    def get(self, region: str, name: str) -> MockJob | None:
        return self._jobs.get((region, name))

    def jobs(self) -> Iterator[MockJob]:
        """Every job, oldest first."""
        return iter(self._jobs.values())

    def statuses(self, region: str) -> dict[str, str]:
        return {name: r.status for (reg, name), r in self._jobs.items() if reg == region}

    def check_quota(self, region: str, instance_type: str, count: int) -> QuotaRejection | None:
        """The rejection a new job of this type would get, or None if it fits."""
        limit = self._quotas.get(instance_type)
        if limit is None:
            return None
        current = self._in_use.get((region, instance_type), 0)
        if current + count > limit:
            return QuotaRejection(instance_type, limit, current, count)
        return None

    def take_pool(self, key: str) -> MockJob | None:
        """The oldest Available warm pool matching ``key``, now marked as reused (by the
        caller's job, which it names with :meth:`reuse`); None if there is none."""
        now = self._clock()
        found = self._pools.get(key)
        while found:
            pool = found.popleft()
            state = pool.warm_pool(now)
            if state is not None and state.status == "Available":
                return pool
        return None

    def reuse(self, pool: MockJob, job: MockJob) -> None:
        """``job`` took ``pool``'s warm pool now."""
        pool.reused_by = job.name
        pool.reused_at = job.created
        pool.changed()

    def warm_instances(self, region: str, instance_type: str) -> int:
        """Instances of the type in warm pools: InUse by a job with a keep-alive, or
        Available. What ``--warm-pool-quota`` limits."""
        now = self._clock()
        held = 0
        for record in self._jobs.values():
            if record.region != region or record.instance_type != instance_type:
                continue
            state = record.warm_pool(now)
            if state is not None and state.status in ("InUse", "Available"):
                held += record.instance_count
        return held

    def has_capacity(self, region: str, instance_type: str, count: int) -> bool:
        """Whether ``count`` more instances of the type can run now (``--capacity``)."""
        limit = self._capacity.get(instance_type)
        return limit is None or self._granted.get((region, instance_type), 0) + count <= limit

    def add(
        self,
        *,
        region: str,
        name: str,
        arn: str,
        instance_type: str,
        instance_count: int,
        fate: Fate,
        request: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        metrics: tuple[tuple[str, float], ...] = (),
        pool: MockJob | None = None,
    ) -> MockJob:
        """Record a new job, created now, and start its run (on ``pool``'s warm pool, if
        given: its Starting phase is then :data:`WARM_START_SECONDS`)."""
        if pool is not None:
            fate = replace(fate, start=WARM_START_SECONDS)
        record = MockJob(
            region=region,
            name=name,
            arn=arn,
            seq=self._next_seq,
            created=to_ms(self._clock()),
            request=request or {},
            tags=tags or [],
            instance_type=instance_type,
            instance_count=instance_count,
            fate=fate,
            metrics=metrics,
            status=_UNCOUNTED,
            warm_from=None if pool is None else pool.name,
        )
        self._next_seq += 1
        self._jobs[(region, name)] = record
        if pool is not None:
            self.reuse(pool, record)
        self._start(record, record.created)
        return record

    def restore(self, records: Iterable[MockJob]) -> None:
        """Take back jobs from a state file, each where wall-clock time has taken it."""
        now = self._clock()
        for record in records:
            record.status = _UNCOUNTED
            self._jobs[(record.region, record.name)] = record
            self._next_seq = max(self._next_seq, record.seq + 1)
            if record.stop_requested is not None and record.stopped_at is not None:
                self._set_status(record, STOPPING)
                self._schedule(record, record.stopped_at, STOPPING, STOPPED)
            else:
                self._start(record, now)
        self.advance()
        # Jobs that ran while no process did are not evidence of a peak seen here.
        self._peak = self._in_progress

    def stop(self, record: MockJob) -> None:
        """InProgress -> Stopping now, -> Stopped after the stopping delay."""
        now = self._clock()
        record.stop_requested = to_ms(now)
        record.stopped_at = to_ms(now + self._stopping_seconds)
        record.changed()
        self._set_status(record, STOPPING)
        if self._stopping_seconds > 0:
            self._schedule(record, record.stopped_at, STOPPING, STOPPED)
        else:
            self._set_status(record, STOPPED)

    def delete(self, record: MockJob) -> None:
        """Forget a job (the caller checked it is terminal); its name is free again."""
        if self._jobs.get((record.region, record.name)) is record:
            del self._jobs[(record.region, record.name)]

    def clear(self) -> None:
        self._jobs.clear()
        self._due.clear()
        self._in_use.clear()
        self._granted.clear()
        self._pools.clear()
        self._in_progress = self._peak = 0

    def _start(self, record: MockJob, now: float) -> None:
        end, final = natural_end(record.created, record.fate)
        if end <= now:
            self._set_status(record, final)
            return
        self._set_status(record, IN_PROGRESS)
        self._schedule(record, end, IN_PROGRESS, final)

    def _schedule(self, record: MockJob, due: float, expected: str, target: str) -> None:
        self._ties += 1
        key = (record.region, record.name)
        heapq.heappush(self._due, (due, self._ties, key, record.seq, expected, target))

    def _set_status(self, record: MockJob, status: str) -> None:
        held_before = record.status in HOLDS_INSTANCES
        held_after = status in HOLDS_INSTANCES
        if held_before != held_after:
            key = (record.region, record.instance_type)
            delta = record.instance_count if held_after else -record.instance_count
            self._in_use[key] = self._in_use.get(key, 0) + delta
            if not record.fate.short_of_capacity:
                self._granted[key] = self._granted.get(key, 0) + delta
        self._in_progress += (status == IN_PROGRESS) - (record.status == IN_PROGRESS)
        self._peak = max(self._peak, self._in_progress)
        record.status = status
        if status == COMPLETED and record.keep_alive and record.reused_at is None:
            self._pools.setdefault(record.pool_key(), deque()).append(record)
