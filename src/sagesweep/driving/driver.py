"""The driver: at most N of a sweep's jobs running at once, and a run that lasts until
every job has ended, failed capacity retried.

The engine creates jobs as fast as pacing allows; the driver decides *when* a job may be
handed to it. It counts locally: a place is taken when a job is handed over, kept when
the job is created, given back when its create fails, and when a poll sees the job
ended (:mod:`~sagesweep.driving.endings` says which did, at a bounded cost).

A job that ends ``Failed`` with a ``FailureReason`` matching ``--resubmit-on`` is created
again as its next attempt, up to ``--max-attempts``. Every ending is written to the ledger
as an ``end`` record (status, reason, metrics, billable time).

A rerun takes nothing from the memory of the run before it: :meth:`Driver.adopt` reads
each job's newest attempt from the ledger and from AWS (attempts the ledger lost are
recorded first) and decides again which jobs still need their next attempt. So a kill at
any moment -- between a decision and the attempt it asks for, or between a create and
its record -- loses no attempt and makes none twice. Every job handed to the engine comes
back as a record or as a skip, so a place taken is always given back.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from sagesweep.driving.endings import ENDED, Endings, end_record
from sagesweep.driving.limits import Admission, Limits
from sagesweep.ledger import JobRecord
from sagesweep.ledger.members import CREATED, SweepMembers
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.operating.lost import observe_members
from sagesweep.operating.observe import JobState, account_usage
from sagesweep.planning.planner import JobSpec
from sagesweep.resubmitting.attempts import attempt_spec, fallback_steps
from sagesweep.resubmitting.choose import DEFAULT_MAX_ATTEMPTS
from sagesweep.submitting.engine import Recorder

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["DEFAULT_POLL", "DriveCounts", "DriveSettings", "Driver"]

log = get_logger("sagesweep.driver")

#: seconds between polls: a 5,000-job sweep with 50 running costs ~2 reads a minute.
DEFAULT_POLL = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class DriveSettings:
    max_running: int | None = None  #: None: no cap, but still run until done
    poll: float = DEFAULT_POLL
    resubmit_on: re.Pattern[str] | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: The sweep file's capacity_fallback: attempt n after a CapacityError applies n steps.
    fallback: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class _Run:
    """A job of the sweep that runs: how it was made, and since when."""

    spec: JobSpec | None  #: None for a job of an earlier run
    base: str
    attempt: int
    fallback: int  #: capacity_fallback steps its request applies
    since: float


@dataclass(slots=True)
class DriveCounts:
    """What the display and the final summary show."""

    pending: int = 0  #: planned jobs not handed over yet, and attempts waiting
    running: int = 0
    ended: dict[str, int] = field(default_factory=dict)  #: final status -> jobs (not retried)
    resubmitted: int = 0  #: attempts made by --resubmit-on
    billable_instance_seconds: int = 0
    seconds_run: float = 0.0  #: observed durations of jobs that ended here
    seen_ended: int = 0
    polls: int = 0

    def mean_duration(self) -> float | None:
        return self.seconds_run / self.seen_ended if self.seen_ended else None


class _Recording:
    """The ledger, as the engine sees it, telling the driver what became of each job."""

    def __init__(self, inner: Recorder, driver: Driver) -> None:
        self._inner = inner
        self._driver = driver

    async def record(self, rec: JobRecord) -> None:
        await self._inner.record(rec)
        self._driver.settled(rec)


class Driver:
    """See the module docstring. Build, :meth:`adopt`, then run :meth:`jobs` and :meth:`watch`."""

    def __init__(
        self,
        *,
        sweep: str,
        client: SageMakerClient,
        calls: PacedCalls,
        settings: DriveSettings,
        note: Callable[[Mapping[str, Any]], Awaitable[None]],
        stopping: Callable[[], bool],
        on_end: Callable[[str, JobState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        limits: Limits | None = None,
    ) -> None:
        self.sweep = sweep
        self.client = client
        self.calls = calls
        self.settings = settings
        self.counts = DriveCounts()
        self._note = note
        self._stopping = stopping
        self._on_end = on_end  # told each job's final ending (an adaptive search learns)
        self._clock = clock
        self._handed: dict[str, JobSpec] = {}  # given to the engine, outcome unknown
        # name -> (spec, base, attempt, since): spec None for a job of an earlier run
        self._running: dict[str, _Run] = {}
        self._queue: deque[JobSpec] = deque()  # next attempts to create
        # base name -> (attempt to make when planned, its capacity_fallback steps)
        self._wanted: dict[str, tuple[int, int]] = {}
        self._done = False  # the source has handed over everything it will
        self._endings = Endings(client, calls, sweep)
        self._changed = anyio.Event()
        self.limits = limits  #: the budget and the quota caps, if the run has them
        self.stopped_by: str | None = None  #: why dispatching ended early ("budget reached")

    # -- bookkeeping ------------------------------------------------------------

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()
        self.counts.running = len(self._running)

    def recorder(self, inner: Recorder) -> Recorder:
        """Wrap the ledger so each recorded outcome frees or keeps a place."""
        return _Recording(inner, self)

    def settled(self, rec: JobRecord) -> None:
        spec = self._handed.pop(rec.name, None)
        if rec.status in CREATED:
            run = _Run(spec, rec.base or rec.name, rec.attempt, rec.fallback, self._clock())
            self._running[rec.name] = run
        elif self.limits is not None:
            self.limits.release(rec.name)
        self._notify()

    def skipped(self, name: str) -> None:
        """The engine skipped a job the ledger settles: give its place back."""
        if self._handed.pop(name, None) is not None:
            if self.limits is not None:
                self.limits.release(name)
            self._notify()

    @property
    def _busy(self) -> int:
        return len(self._running) + len(self._handed)

    async def adopt(
        self,
        members: SweepMembers,
        recorded: frozenset[str],
        record: Callable[[JobRecord], Awaitable[None]],
    ) -> None:
        """Before the run: the state of every job of earlier runs, from the ledger and AWS.

        Attempts AWS has and the ledger lacks are recorded (``record``) as ``exists``;
        jobs still running take their places; endings no run saw are written; and each
        job whose newest attempt ended as ``--resubmit-on`` asks gets its next attempt,
        whether or not an earlier run had decided so. ``recorded``: names whose ending
        the ledger already has (not told or written again).
        """
        created = {m.name for m in members.jobs.values() if m.status in CREATED}
        if created:
            observed = await observe_members(self.client, self.calls, members, created)
            for rec in observed.found:
                await record(rec)
            members, states = observed.members, observed.states
        else:
            states = {}
        newest = {member.base: member for member in members.latest()}
        for member in members.jobs.values():
            state = states.get(member.name)
            if state is None or member.status not in CREATED:
                continue
            if state.status not in ENDED:
                self._running[member.name] = _Run(
                    None, member.base, member.attempt, member.fallback, self._clock()
                )
                if self.limits is not None:
                    self.limits.found_running(member.name, state)
                continue
            if self.limits is not None:
                self.limits.ended(member.name, state)  # what it cost counts
            told = member.name in recorded
            if not told:  # it ended while no run watched it
                await self._note(end_record(state))
            if newest[member.base] is member:
                run = _Run(None, member.base, member.attempt, member.fallback, self._clock())
                self._after(member.name, state, run, announce=False, tell=not told)
        for base, member in newest.items():
            if member.attempt > 0 and member.status not in CREATED:
                # An attempt whose create has no settled outcome (unknown, or refused):
                # handed over again, so the engine settles it as it would a planned job.
                self._wanted[base] = (member.attempt, member.fallback)
        self._notify()
        log.info("driver.adopted", running=len(self._running), queued=len(self._wanted))

    # -- the job source ---------------------------------------------------------

    async def _room(self, job: JobSpec | None = None) -> bool:
        """Wait for a free place (and, for ``job``, room in its budget and quota); False
        when the run is stopping, or can start no job again (the budget is spent)."""
        cap = self.settings.max_running
        while True:
            if self._stopping() or self.stopped_by is not None:
                return False
            if cap is None or self._busy < cap:
                verdict = (
                    Admission.NOW
                    if job is None or self.limits is None
                    else self.limits.admits(job, self._busy)
                )
                if verdict is Admission.NOW:
                    return True
                if verdict is Admission.NEVER:
                    await self._budget_reached(job)
                    return False
            changed = self._changed
            with anyio.move_on_after(0.5):
                await changed.wait()

    async def jobs(
        self,
        plan: Callable[[], Iterable[JobSpec]],
        done: Callable[[str], bool],
        total: int,
    ) -> AsyncIterator[JobSpec]:
        """The engine's jobs: the plan under the cap, then attempts, until all ended.

        ``plan`` is called again when a job of an earlier run must be resubmitted after
        the plan went past it (its request comes from the plan).
        """
        self.counts.pending = total
        try:
            for job in plan():
                self.counts.pending -= 1
                if self._stopping():
                    return
                wanted = self._wanted.pop(job.name, None)
                if wanted is not None:
                    self._queue.append(self._attempt_of(job, *wanted))
                    self.counts.pending += 1
                if done(job.name):
                    yield job  # the engine counts it as skipped
                    continue
                if not await self._room(job):
                    return
                yield self._hand(job)
            async for job in self._attempts(plan):
                yield job
        finally:
            self._done = True
            self._notify()

    async def asked(
        self,
        next_job: Callable[[], JobSpec | None],
        remaining: int,
        plan: Callable[[], Iterable[JobSpec]],
        before: Callable[[JobSpec], Awaitable[None]] | None = None,
    ) -> AsyncIterator[JobSpec]:
        """The engine's jobs for an adaptive sweep: a new point each time a place frees up
        (so it is chosen knowing every result so far), ``remaining`` of them, and the next
        attempts of failed ones, before new points.

        ``plan`` renders the points already run again (the requests of their attempts);
        ``before`` runs for each new job before it is handed over (a record of the intent).
        """
        left = remaining
        self.counts.pending = remaining
        try:
            while left > 0:
                if not await self._room():
                    return
                if self._wanted and not self._queue:
                    self._queue.extend(self._from_plan(plan()))
                if self._queue:
                    yield self._next_attempt()
                    continue
                job = next_job()
                if job is None or not await self._room(job):
                    break
                if before is not None:
                    await before(job)
                left -= 1
                self.counts.pending -= 1
                yield self._hand(job)
            self.counts.pending -= left
            async for job in self._attempts(plan):
                yield job
        finally:
            self._done = True
            self._notify()

    def _hand(self, job: JobSpec) -> JobSpec:
        """Take a place for ``job``, about to be handed to the engine."""
        self._handed[job.name] = job
        if self.limits is not None:
            self.limits.reserve(job)
        return job

    def _next_attempt(self) -> JobSpec:
        """The first queued attempt, its place taken."""
        self.counts.pending -= 1
        return self._hand(self._queue.popleft())

    async def _attempts(self, plan: Callable[[], Iterable[JobSpec]]) -> AsyncIterator[JobSpec]:
        """Next attempts as jobs end, until nothing runs and nothing waits."""
        while not self._stopping():
            if self._wanted and not self._queue:
                self._queue.extend(self._from_plan(plan()))
            if self._queue:
                if not await self._room(self._queue[0]):
                    return
                yield self._next_attempt()
                continue
            if not self._busy:
                return
            changed = self._changed
            with anyio.move_on_after(0.5):
                await changed.wait()

    def _from_plan(self, planned: Iterable[JobSpec]) -> list[JobSpec]:
        found = []
        for job in planned:
            wanted = self._wanted.pop(job.name, None)
            if wanted is not None:
                found.append(self._attempt_of(job, *wanted))
                if not self._wanted:
                    break
        self.counts.pending += len(found)
        self._wanted.clear()  # names no longer planned cannot be made again
        return found

    # -- polling ------------------------------------------------------------------

    async def watch(self) -> None:
        """Poll until the source is done and nothing runs (or the run stops)."""
        while not self._stopping():
            with anyio.move_on_after(self.settings.poll):
                while not (self._done and not self._running) and not self._stopping():
                    changed = self._changed
                    await changed.wait()
                return
            await self.poll()

    async def poll(self) -> None:
        """See which running jobs ended; free their places; queue their next attempts."""
        names = [name for name in self._running if name not in self._handed]
        if not names:
            return
        self.counts.polls += 1
        for name, state in (await self._endings.of(names)).items():
            run = self._running.pop(name)
            self.counts.seconds_run += self._clock() - run.since
            self.counts.seen_ended += 1
            # The end record first: a retry decided below is derived again from it
            # (and from AWS) by a rerun, should this run die before making the attempt.
            await self._note(end_record(state))
            if self.limits is not None:
                self.limits.ended(name, state)
            self._after(name, state, run)
        self._notify()
        await self._spending()

    async def _spending(self) -> None:
        """After a poll: the other jobs' usage when due; the budget, stopping at it."""
        limits = self.limits
        if limits is None:
            return
        if limits.wants_usage():
            mine = self._running.keys() | self._handed.keys()
            limits.read_usage(await account_usage(self.client, self.calls, mine.__contains__))
        if limits.check():
            await self._budget_reached()

    async def _budget_reached(self, job: JobSpec | None = None) -> None:
        """Stop dispatching, and stop the running jobs: the budget is spent (or would be
        by ``job``, which nothing running could make room for)."""
        if self.stopped_by is not None:
            return
        assert self.limits is not None
        self.stopped_by = self.limits.why_reached(job)
        await self._note(self.limits.budget_record())
        log.warning("driver.budget_reached", detail=self.stopped_by, running=len(self._running))
        for name in list(self._running):
            try:
                await self.calls(self.client.stop_training_job, TrainingJobName=name)
            except AwsCallError as exc:  # it may have ended meanwhile: the poll will see
                log.info("driver.stop_failed", job=name, code=exc.error.code)
        self._notify()

    def _after(
        self,
        name: str,
        state: JobState,
        run: _Run,
        *,
        announce: bool = True,
        tell: bool = True,
    ) -> None:
        """Count a job's newest attempt that ended; queue its next one when --resubmit-on
        says so. ``tell``: the search has not been told of this ending yet."""
        counts = self.counts
        counts.billable_instance_seconds += (state.billable_seconds or 0) * state.instance_count
        pattern = self.settings.resubmit_on
        retry = (
            pattern is not None
            and state.status == "Failed"
            and pattern.search(state.failure_reason or "") is not None
            and run.attempt + 1 <= self.settings.max_attempts
        )
        if announce:
            log.info("driver.job_ended", job=name, status=state.status, resubmit=retry)
        if not retry:
            # A job's final status is its last attempt's: count only endings not retried.
            counts.ended[state.status] = counts.ended.get(state.status, 0) + 1
            if self._on_end is not None and tell:
                self._on_end(name, state)
            return
        counts.resubmitted += 1
        attempt = run.attempt + 1
        steps = fallback_steps(self.settings.fallback, attempt, state.failure_reason, run.fallback)
        if run.spec is not None:
            counts.pending += 1
            self._queue.append(self._attempt_of(run.spec, attempt, steps))
        else:  # a job of an earlier run: its request comes from the plan when it passes
            self._wanted[run.base] = (attempt, steps)

    def _attempt_of(self, job: JobSpec, attempt: int, steps: int) -> JobSpec:
        """Attempt ``attempt`` of ``job``, its first ``steps`` fallback steps applied."""
        return attempt_spec(job, attempt, fallback=self.settings.fallback[:steps])
