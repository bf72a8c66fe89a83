"""Waiting for capacity: jobs of an instance type at its quota are parked, not retried.

On ``ResourceLimitExceeded`` the job's instance type is *held*: its jobs are parked
while jobs of other types keep flowing. One parked job at a time probes the quota at
growing intervals; when a probe goes through, the hold is lifted and the parked jobs
are submitted. A job that waits longer than ``max_wait`` is given up as failed.
Parked jobs are bounded (``max_parked``): past that, workers wait, so memory stays flat.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import anyio
from anyio.abc import TaskGroup

from sagesweep.logs import get_logger
from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.pacing import CapacityProbe

__all__ = ["CapacityHolds"]

log = get_logger("sagesweep.submitting.capacity")

Submit = Callable[[JobSpec], Awaitable[bool]]
Fail = Callable[[JobSpec, float], Awaitable[None]]


@dataclass(slots=True)
class _Hold:
    probe: CapacityProbe
    next_probe: float
    #: (job, when it first waited), oldest first: the front holds the next deadline.
    parked: deque[tuple[JobSpec, float]] = field(default_factory=deque)
    probing: bool = False


class CapacityHolds:
    def __init__(
        self,
        *,
        submit: Submit,
        fail: Fail,
        max_wait: float,
        max_parked: int = 1024,
        clock: Callable[[], float] = time.monotonic,
        probe_factory: Callable[[], CapacityProbe] = CapacityProbe,
    ) -> None:
        self._submit = submit
        self._fail = fail
        self.max_wait = max_wait
        self.max_parked = max_parked
        self._clock = clock
        self._probe_factory = probe_factory
        self._holds: dict[str, _Hold] = {}
        self._since: dict[str, float] = {}  # job name -> when it first waited
        self._parked = 0
        self._busy = 0  # probes and released jobs in flight
        self._closed = False
        self._changed = anyio.Event()

    @property
    def parked(self) -> int:
        return self._parked

    def is_held(self, instance_type: str) -> bool:
        return instance_type in self._holds

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    def close(self) -> None:
        """Stop probing; parked jobs stay unrecorded (a resumed run picks them up)."""
        self._closed = True
        self._notify()

    def _add(self, job: JobSpec) -> None:
        kind = job.instance_type
        hold = self._holds.get(kind)
        now = self._clock()
        if hold is None:
            probe = self._probe_factory()
            hold = self._holds[kind] = _Hold(probe, now + probe.next_interval())
            log.info(
                "engine.capacity_wait", instance_type=kind, next_probe_in=hold.next_probe - now
            )
        since = self._since.setdefault(job.name, now)
        # A job parked again (its probe or resubmit met the quota) keeps its first
        # wait time, so it goes back in order rather than behind younger jobs.
        at = len(hold.parked)
        while at and hold.parked[at - 1][1] > since:
            at -= 1
        hold.parked.insert(at, (job, since))
        self._parked += 1
        self._notify()

    async def hold(self, job: JobSpec) -> None:
        """``job`` met the quota: hold its type and park it (never blocks)."""
        if not self._closed:
            self._add(job)

    async def park(self, job: JobSpec) -> None:
        """``job``'s type is held: park it, waiting for room if too many are parked."""
        while self._parked >= self.max_parked and not self._closed:
            await self._changed.wait()
        if not self._closed:
            self._add(job)

    async def drain(self) -> None:
        """Wait until no job is parked or in flight here, then stop."""
        while not self._closed and (self._parked or self._busy):
            await self._changed.wait()
        self.close()

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            while not self._closed:
                now = self._clock()
                wake: float | None = None
                for kind, hold in list(self._holds.items()):
                    self._expire(hold, now, tg)
                    if hold.parked:  # wake for the next deadline, not only the next probe
                        deadline = hold.parked[0][1] + self.max_wait
                        wake = deadline if wake is None else min(wake, deadline)
                    if hold.probing or not hold.parked:
                        continue
                    if now >= hold.next_probe:
                        hold.probing = True
                        self._busy += 1
                        tg.start_soon(self._probe, kind, hold, tg)
                    else:
                        wake = hold.next_probe if wake is None else min(wake, hold.next_probe)
                changed = self._changed
                with anyio.move_on_after(None if wake is None else max(0.0, wake - now)):
                    await changed.wait()

    def _expire(self, hold: _Hold, now: float, tg: TaskGroup) -> None:
        while hold.parked and now - hold.parked[0][1] >= self.max_wait:
            job, since = hold.parked.popleft()
            self._parked -= 1
            self._since.pop(job.name, None)
            self._busy += 1
            tg.start_soon(self._give_up, job, now - since)

    async def _give_up(self, job: JobSpec, waited: float) -> None:
        try:
            await self._fail(job, waited)
        finally:
            self._busy -= 1
            self._notify()

    async def _probe(self, kind: str, hold: _Hold, tg: TaskGroup) -> None:
        try:
            if not hold.parked:
                return
            job, _ = hold.parked.popleft()
            self._parked -= 1
            if await self._submit(job):  # a False re-parked the job through hold()
                self._since.pop(job.name, None)
                self._release(kind, hold, tg)
            else:
                hold.next_probe = self._clock() + hold.probe.next_interval()
        finally:
            hold.probing = False
            self._busy -= 1
            self._notify()

    def _release(self, kind: str, hold: _Hold, tg: TaskGroup) -> None:
        if self._holds.get(kind) is hold:
            del self._holds[kind]
        log.info("engine.capacity_released", instance_type=kind, parked=len(hold.parked))
        while hold.parked:
            job, _ = hold.parked.popleft()
            self._parked -= 1
            self._busy += 1
            tg.start_soon(self._resubmit, job)

    async def _resubmit(self, job: JobSpec) -> None:
        try:
            if await self._submit(job):
                self._since.pop(job.name, None)
        finally:
            self._busy -= 1
            self._notify()
