"""Warm pools as the driver sees them: which pools are Available, and which pending job
should take one.

A job whose request has ``ResourceConfig.KeepAlivePeriodInSeconds`` leaves its instances
in a warm pool when it completes; the next job with the same configuration (SPEC Part
III's list: role, instance type and count, volume size and key, VPC, inter-container
encryption, network isolation) starts on it in seconds instead of minutes. SageMaker
moves a pool to a matching job by itself; what the driver adds is the *choice*: when a
place frees up and a pool is Available, it hands over a pending job that matches it,
looking a few jobs ahead in the plan, instead of the next one in plan order.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagesweep.planning.planner import JobSpec

__all__ = ["LOOKAHEAD", "Pools", "keep_alive", "pool_key"]

#: How many pending jobs the driver looks through for one that matches a pool.
LOOKAHEAD = 64
#: Seconds before a pool's keep-alive ends from which it is no longer counted on.
EXPIRY_MARGIN = 5.0
_RESOURCES = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")
_MEMBERS = (
    "RoleArn",
    "VpcConfig",
    "EnableInterContainerTrafficEncryption",
    "EnableNetworkIsolation",
)


def keep_alive(request: Mapping[str, Any]) -> int:
    """The request's ``KeepAlivePeriodInSeconds`` (0: it leaves no warm pool)."""
    resources = request.get("ResourceConfig")
    value = resources.get("KeepAlivePeriodInSeconds") if isinstance(resources, Mapping) else 0
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def pool_key(request: Mapping[str, Any]) -> str:
    """What two jobs must share for one to start on the other's warm pool, as one text.

    Members left out count as their defaults (flags false), as the service reads them.
    """
    resources = request.get("ResourceConfig")
    resources = resources if isinstance(resources, Mapping) else {}
    parts: list[object] = [resources.get(name) for name in _RESOURCES]
    parts += [request.get(name) for name in _MEMBERS[:2]]
    parts += [bool(request.get(name)) for name in _MEMBERS[2:]]
    return json.dumps(parts, sort_keys=True, default=str)


@dataclass(slots=True)
class _Pool:
    key: str
    until: float  #: when its keep-alive ends, less a margin (the driver's clock)


class Pools:
    """The warm pools this run saw become Available, oldest first."""

    def __init__(self) -> None:
        self._pools: deque[_Pool] = deque()
        self.seen = False  #: some job of this run has a keep-alive
        self.chosen = 0  #: jobs handed over because they matched an Available pool

    def note_job(self, job: JobSpec) -> None:
        """A job about to be considered: from the first with a keep-alive on, the driver
        looks ahead for matching jobs."""
        if not self.seen and keep_alive(job.request):
            self.seen = True

    def available(self, job: JobSpec, now: float) -> None:
        """``job`` completed and its pool is Available from ``now``."""
        period = keep_alive(job.request)
        if period:
            self._pools.append(_Pool(pool_key(job.request), now + period - EXPIRY_MARGIN))

    def lookahead(self) -> int:
        """How many ready jobs to hold before choosing one: 1 without warm pools."""
        return LOOKAHEAD if self.seen else 1

    def choose(self, ready: deque[JobSpec], now: float) -> JobSpec:
        """The job to hand over next from ``ready`` (taken out of it): the first that
        matches the oldest Available pool, else the first."""
        while self._pools and self._pools[0].until <= now:
            self._pools.popleft()
        for index, pool in enumerate(self._pools):
            for position, job in enumerate(ready):
                if pool_key(job.request) == pool.key:
                    del ready[position]
                    del self._pools[index]
                    self.chosen += 1
                    return job
        return ready.popleft()
