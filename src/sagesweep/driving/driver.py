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
recorded first) and decides again which jobs still need their next attempt; a job of
the sweep running on AWS that the ledger never recorded (created just before a kill)
holds a place until it ends, and is recorded when the plan reaches it. So a kill at
any moment -- between a decision and the attempt it asks for, or between a create and
its record -- loses no attempt and makes none twice. Every job handed to the engine comes
back as a record or as a skip, so a place taken is always given back.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from sagesweep.driving.endings import ENDED, Endings, end_record
from sagesweep.driving.limits import Admission, Limits
from sagesweep.driving.pools import Pools
from sagesweep.driving.pruning import DEFAULT_METRIC_POLL, Pruning
from sagesweep.ledger import JobRecord
from sagesweep.ledger.members import CREATED, STOPPED_EARLY, SweepMembers
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.operating.lost import observe_members
from sagesweep.operating.observe import JobState, account_usage
from sagesweep.planning.naming import attempt_of
from sagesweep.planning.planner import JobSpec
from sagesweep.resubmitting.attempts import attempt_spec, fallback_steps
from sagesweep.resubmitting.choose import DEFAULT_MAX_ATTEMPTS
from sagesweep.search.stop_when import SearchStop
from sagesweep.submitting.engine import Recorder

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["DEFAULT_POLL", "DEFAULT_POLL_READ_RATE", "DriveCounts", "DriveSettings", "Driver"]

log = get_logger("sagesweep.driver")

#: the longest wait between two polls (seconds); polls adapt below it.
DEFAULT_POLL = 30.0
#: read calls per second the sweep's polls spend on average (``--read-rate``).
DEFAULT_POLL_READ_RATE = 1.0
#: a job is not expected to end before this share of the shortest run seen.
SOONEST_SHARE = 0.8


@dataclass(frozen=True, slots=True, kw_only=True)
class DriveSettings:
    max_running: int | None = None  #: None: no cap, but still run until done
    poll: float = DEFAULT_POLL  #: the longest wait between polls
    #: Read calls per second the polls spend on average: they are spaced by what the
    #: last one cost (``Search`` pages, ``Describe`` calls) at this rate.
    read_rate: float = DEFAULT_POLL_READ_RATE
    resubmit_on: re.Pattern[str] | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    #: The sweep file's capacity_fallback: attempt n after a CapacityError applies n steps.
    fallback: tuple[Mapping[str, Any], ...] = ()
    #: With an early-stopping rule: seconds between reads of the running jobs' curves.
    metric_poll: float = DEFAULT_METRIC_POLL


@dataclass(frozen=True, slots=True)
class _Run:
    """A job of the sweep that runs: how it was made, and since when."""

    spec: JobSpec | None  #: None for a job of an earlier run
    base: str
    attempt: int
    fallback: int  #: capacity_fallback steps its request applies
    since: float
    #: ``since`` is when the job was created (False: when this run found it running).
    timed: bool = True


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
    shortest_run: float | None = None  #: the shortest observed duration so far

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
        on_end: Callable[[str, JobState, Sequence[float] | None], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        limits: Limits | None = None,
        pruning: Pruning | None = None,
        search_stop: SearchStop | None = None,
    ) -> None:
        self.sweep = sweep
        self.client = client
        self.calls = calls
        self.settings = settings
        self.counts = DriveCounts()
        self._note = note
        self._stopping = stopping
        # told each job's final ending (an adaptive search learns), with the intermediate
        # values of one a rule stopped
        self._on_end = on_end
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
        self._poll_cost = 1  # read calls the last poll made
        self.pools = Pools()  #: warm pools seen Available, and the choice they steer
        # Running on AWS, unknown to the ledger (created just before a kill): a place each.
        self._unrecorded: set[str] = set()
        self._full_at: float | None = None  # when the last full poll was
        #: The early-stopping rule and the curves it reads, if the sweep has one.
        self.pruning = pruning
        #: ``stop_when``, told every final ending; and the objective it reads.
        self.search_stop = search_stop
        self._search_stopped = False  # stop_when's verdict recorded
        self._search_stops: set[str] = set()  # jobs stop_when's stop_running stopped
        self._budget_hit = False  # the budget was reached (its stops made)
        # While adopt runs: earlier runs' final endings, for stop_when in ending order.
        self._adopting: list[tuple[str, JobState]] | None = None

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
        self._unrecorded.discard(rec.name)
        if rec.status in CREATED:
            run = _Run(spec, rec.base or rec.name, rec.attempt, rec.fallback, self._clock())
            self._running[rec.name] = run
            if self.pruning is not None:
                self.pruning.started(rec.name, created=time.time())
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
        self._adopting = []
        for member in members.jobs.values():
            state = states.get(member.name)
            if state is None or member.status not in CREATED:
                continue
            if state.status not in ENDED:
                self._running[member.name] = _Run(
                    None, member.base, member.attempt, member.fallback, self._clock(), False
                )
                if self.pruning is not None:
                    self.pruning.started(member.name)
                if self.limits is not None:
                    self.limits.found_running(member.name, state)
                continue
            if self.limits is not None:
                self.limits.ended(member.name, state)  # what it cost counts
            told = member.name in recorded
            if not told:  # it ended while no run watched it
                await self._note(end_record(state))
            if self.pruning is not None:
                # Its curve, unless a run recorded it: read once and recorded, so the
                # rule sees every job's values, as the run before the kill did.
                self.pruning.missing_curve(member.name, members.curves)
            if newest[member.base] is member:
                run = _Run(None, member.base, member.attempt, member.fallback, self._clock())
                self._after(member.name, state, run, announce=False, tell=not told)
        # stop_when hears earlier endings in the order their end records were written
        # (those no run saw, last), as the runs before heard them.
        adopted, self._adopting = self._adopting, None
        position = {name: i for i, name in enumerate(members.endings)}
        for name, state in sorted(adopted, key=lambda e: position.get(e[0], len(position))):
            self._judge_search(name, state)
        await self._hold_unrecorded(members)
        if self.pruning is not None:
            # A job a rule stopped that runs still (the run died before the stop): again.
            for name in [n for n in self._running if n in self.pruning.pruned]:
                await self._stop_job(name)
        for base, member in newest.items():
            if member.attempt > 0 and member.status not in CREATED:
                # An attempt whose create has no settled outcome (unknown, or refused):
                # handed over again, so the engine settles it as it would a planned job.
                self._wanted[base] = (member.attempt, member.fallback)
        self._notify()
        await self._after_search_stop()
        log.info("driver.adopted", running=len(self._running), queued=len(self._wanted))

    async def _hold_unrecorded(self, members: SweepMembers) -> None:
        """Jobs of the sweep running on AWS that the ledger has no record of -- created
        just before a kill -- hold a place until they end, so the cap holds meanwhile.
        They are recorded when the plan reaches them (the create meets ResourceInUse)."""
        bases = frozenset(m.base for m in members.jobs.values())
        for name in await self._endings.running():
            if name in members.jobs or name in self._running:
                continue
            if not name.startswith(f"{self.sweep}-") or attempt_of(name, bases) is not None:
                continue
            self._running[name] = _Run(None, name, 0, 0, self._clock(), False)
            self._unrecorded.add(name)
        if self._unrecorded:
            log.info("driver.unrecorded_running", jobs=len(self._unrecorded))

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
        ready: deque[JobSpec] = deque()  # planned jobs to hand over, in plan order
        try:
            for job in plan():
                if self._stopping():
                    return
                wanted = self._wanted.pop(job.name, None)
                if wanted is not None:
                    self._queue.append(self._attempt_of(job, *wanted))
                    self.counts.pending += 1
                if done(job.name):
                    self.counts.pending -= 1
                    yield job  # the engine counts it as skipped
                    continue
                self.pools.note_job(job)
                ready.append(job)
                # With warm pools, a few jobs are held so that one matching a pool can
                # be chosen; otherwise this hands over the job just read.
                while len(ready) >= self.pools.lookahead():
                    handed = await self._handed_next(ready)
                    if handed is None:
                        return
                    yield handed
            while ready:
                handed = await self._handed_next(ready)
                if handed is None:
                    return
                yield handed
            async for job in self._attempts(plan):
                yield job
        finally:
            self._done = True
            self._notify()

    async def _handed_next(self, ready: deque[JobSpec]) -> JobSpec | None:
        """Once a place is free, the next of ``ready`` (one matching an Available warm
        pool first), its place taken; None when the run dispatches no more."""
        if not await self._room():
            return None
        job = self.pools.choose(ready, self._clock())
        if not await self._room(job):
            return None
        self.counts.pending -= 1
        return self._hand(job)

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
        """Poll until the source is done and nothing runs (or the run stops); the wait
        between polls is :meth:`next_wait`. With an early-stopping rule, the running
        jobs' curves are read meanwhile, every ``metric_poll`` seconds."""
        async with anyio.create_task_group() as tg:
            if self.pruning is not None:
                tg.start_soon(self._watch_curves, self.pruning)
            await self._watch_endings()
            tg.cancel_scope.cancel()
        if self.pruning is not None and not self._stopping():
            await self.pruning.step(self._note)  # the curves of the last jobs to end

    async def _watch_curves(self, pruning: Pruning) -> None:
        while True:
            await anyio.sleep(pruning.settings.metric_poll)
            for verdict in await pruning.step(self._note):
                log.info(
                    "driver.pruned",
                    job=verdict.name,
                    step=verdict.step,
                    value=verdict.value,
                    median=verdict.median,
                    peers=verdict.peers,
                )
                await self._stop_job(verdict.name)

    async def _stop_job(self, name: str) -> None:
        try:
            await self.calls(self.client.stop_training_job, TrainingJobName=name)
        except AwsCallError as exc:  # it may have ended meanwhile: the poll will see
            log.info("driver.stop_failed", job=name, code=exc.error.code)

    async def _watch_endings(self) -> None:
        while not self._stopping():
            with anyio.move_on_after(self.next_wait()):
                while not (self._done and not self._running) and not self._stopping():
                    changed = self._changed
                    await changed.wait()
                return
            await self.poll()

    def next_wait(self) -> float:
        """Seconds until the next poll (docs/driving.md#when-the-driver-polls).

        The last poll's read calls at ``read_rate`` (or the limiter's rate, if throttling
        brought it lower): polls spend ``read_rate`` on average. Longer while no running
        job can have ended yet (each needs at least :data:`SOONEST_SHARE` of the shortest
        run seen); never longer than ``poll``.
        """
        rate = min(self.settings.read_rate, self.calls.limiter.rate)
        wait = self._poll_cost / rate
        soonest = self._soonest_end()
        if soonest is not None:
            wait = max(wait, soonest - self._clock())
        return min(wait, self.settings.poll)

    def _soonest_end(self) -> float | None:
        """When the first running job may end, if every one of them was timed here and
        some job's run was seen end to end; None otherwise."""
        shortest = self.counts.shortest_run
        runs = [run for name, run in self._running.items() if name not in self._handed]
        if shortest is None or not runs or not all(run.timed for run in runs):
            return None
        return min(run.since for run in runs) + SOONEST_SHARE * shortest

    async def poll(self) -> None:
        """See which running jobs ended; free their places; queue their next attempts."""
        before = self.calls.counts.total
        try:
            await self._poll()
        finally:
            self._poll_cost = max(1, self.calls.counts.total - before)

    async def _poll(self) -> None:
        names = [name for name in self._running if name not in self._handed]
        if not names:
            return
        self.counts.polls += 1
        # A full poll (what runs, as well as what changed) at least every --poll seconds.
        now = self._clock()
        full = self._full_at is None or now - self._full_at >= self.settings.poll
        if full:
            self._full_at = now
        for name, state in (await self._endings.of(names, full=full)).items():
            if name in self._unrecorded:
                # Only its place is given back: the plan records it, and its end, later.
                self._running.pop(name)
                self._unrecorded.discard(name)
                continue
            run = self._running[name]
            # The end record first: a retry decided below is derived again from it
            # (and from AWS) by a rerun, should this run die before making the attempt.
            # The place is given back only after it, with no wait between that and the
            # decisions on the ending (a retry, stop_when), so no job takes the place on
            # the strength of an ending not yet judged.
            await self._note(end_record(state))
            self._running.pop(name)
            seconds = self._clock() - run.since
            self.counts.seconds_run += seconds
            self.counts.seen_ended += 1
            if run.timed:
                shortest = self.counts.shortest_run
                self.counts.shortest_run = seconds if shortest is None else min(shortest, seconds)
            if self.pruning is not None:
                self.pruning.ended(name)
            if self.limits is not None:
                self.limits.ended(name, state)
            if state.warm_pool == "Available" and run.spec is not None:
                self.pools.available(run.spec, self._clock())
            self._after(name, state, run)
        self._notify()
        await self._after_search_stop()
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
        if self._budget_hit:
            return
        self._budget_hit = True  # once; a stop_when verdict before it stops no budget
        assert self.limits is not None
        why = self.limits.why_reached(job)
        self.stopped_by = self.stopped_by or why
        await self._note(self.limits.budget_record())
        log.warning("driver.budget_reached", detail=why, running=len(self._running))
        # Only jobs the ledger names: one held for being unrecorded is not stopped on
        # the strength of its tag and name alone.
        for name in [name for name in self._running if name not in self._unrecorded]:
            await self._stop_job(name)
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
            status = state.status
            if status == "Stopped" and self.pruning is not None and name in self.pruning.pruned:
                status = STOPPED_EARLY
            counts.ended[status] = counts.ended.get(status, 0) + 1
            self._judge_search(name, state)
            if self._on_end is not None and tell:
                # A job a rule stopped is told with the intermediate values it was judged on.
                pruned = None
                if status == STOPPED_EARLY and self.pruning is not None:
                    pruned = [value for _, value in self.pruning.curves.get(name, ())]
                self._on_end(name, state, pruned)
            return
        counts.resubmitted += 1
        attempt = run.attempt + 1
        steps = fallback_steps(self.settings.fallback, attempt, state.failure_reason, run.fallback)
        if run.spec is not None:
            counts.pending += 1
            self._queue.append(self._attempt_of(run.spec, attempt, steps))
        else:  # a job of an earlier run: its request comes from the plan when it passes
            self._wanted[run.base] = (attempt, steps)

    def _judge_search(self, name: str, state: JobState) -> None:
        """Tell ``stop_when`` a final ending; once it says so, dispatch no more."""
        stop = self.search_stop
        if stop is None:
            return
        if self._adopting is not None:  # told after adopt, in the order the jobs ended
            self._adopting.append((name, state))
            return
        value = state.metrics.get(stop.metric) if state.status == "Completed" else None
        reason = stop.ended(name, value)
        if reason is not None and self.stopped_by is None:
            self.stopped_by = reason
            log.info("driver.search_stopped", detail=reason)

    async def _after_search_stop(self) -> None:
        """Once ``stop_when`` has said to stop: record why, and with ``stop_running``
        stop the running jobs the ledger names (after every poll: a create that was in
        flight is stopped once it is recorded)."""
        stop = self.search_stop
        if stop is None or stop.reason is None:
            return
        if not self._search_stopped:
            self._search_stopped = True
            await self._note({"event": "search_stop", "reason": stop.reason})
        if stop.rule.stop_running:
            for name in [
                n for n in self._running if n not in self._unrecorded | self._search_stops
            ]:
                self._search_stops.add(name)
                await self._stop_job(name)

    def _attempt_of(self, job: JobSpec, attempt: int, steps: int) -> JobSpec:
        """Attempt ``attempt`` of ``job``, its first ``steps`` fallback steps applied."""
        return attempt_spec(job, attempt, fallback=self.settings.fallback[:steps])
