"""The async submitter: every planned job created exactly once, every outcome recorded.

A producer streams jobs through a bounded channel to ``concurrency`` workers, so memory
stays flat however many jobs there are. Every AWS call passes one shared adaptive rate
limiter. What to do after a failed call is decided by
:func:`sagesweep.aws.outcomes.classify` alone; because the job name is the content
digest, retrying any create is safe: if an earlier attempt took effect, the retry meets
``ResourceInUse`` and is reconciled with ``DescribeTrainingJob``. A job is recorded
``failed`` only when it is known not to exist: when its last tries may have taken effect
(a 5xx, no answer), the job is looked up by name first.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream

from sagesweep.aws.calllog import CallLog
from sagesweep.aws.outcomes import Classified, ErrorKind, classify
from sagesweep.aws.target import DEFAULT_CONCURRENCY
from sagesweep.ledger import JobRecord, JobStatus
from sagesweep.logs import get_logger
from sagesweep.planning.planner import JobSpec
from sagesweep.redaction.redact import redact_params, secret_values
from sagesweep.redaction.secrets import redact_text
from sagesweep.submitting.capacity import CapacityHolds
from sagesweep.submitting.counters import Counters
from sagesweep.submitting.identity import differences
from sagesweep.submitting.outage import DEFAULT_OUTAGE_WAIT, OutageGate
from sagesweep.submitting.pacing import Backoff, CapacityProbe

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = [
    "DEFAULT_CAPACITY_WAIT",
    "DEFAULT_GRACE",
    "DEFAULT_RETRIES",
    "Engine",
    "EngineSettings",
    "Limiter",
    "Outcome",
    "Recorder",
]

log = get_logger("sagesweep.submitting.engine")

DEFAULT_RETRIES = 3  #: transient retries of a job that declares no RetryStrategy
DEFAULT_CAPACITY_WAIT = 3600.0
DEFAULT_GRACE = 30.0
#: Throttles do not spend a job's retry budget; this only stops a job looping forever
#: against a service that throttles every call.
MAX_THROTTLES_PER_JOB = 1000
#: Failed lookups by name (not throttles) before a job's fate is left to the next run.
MAX_LOOKUP_RETRIES = 5
#: Jobs skipped between two yields to the event loop.
SKIP_CHECKPOINT_EVERY = 64


async def _each(jobs: Iterable[JobSpec] | AsyncIterable[JobSpec]) -> AsyncIterator[JobSpec]:
    if isinstance(jobs, AsyncIterable):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job


class _NotSent(Exception):
    """A create was still waiting for its turn when the run stopped."""


class Recorder(Protocol):
    """Where outcomes go: the ledger, or a stand-in."""

    async def record(self, rec: JobRecord) -> None: ...


class Limiter(Protocol):
    """The pacing every call waits on (:class:`~sagesweep.submitting.pacing.AdaptiveRate`)."""

    @property
    def rate(self) -> float: ...

    async def acquire(self) -> float: ...

    def on_success(self) -> None: ...

    def on_throttle(self, *, sent_at: float | None = None) -> None: ...

    def set_ceiling(self, rate: float) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    concurrency: int = DEFAULT_CONCURRENCY
    default_retries: int = DEFAULT_RETRIES
    capacity_wait: float = DEFAULT_CAPACITY_WAIT
    outage_wait: float = DEFAULT_OUTAGE_WAIT


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one job ended in this run; ``None`` status means it waits for capacity."""

    status: JobStatus | None
    arn: str | None
    attempts: int
    error: Classified | None = None


def retry_budget(job: JobSpec, default: int) -> int:
    strategy = job.request.get("RetryStrategy")
    if isinstance(strategy, dict):
        value = strategy.get("MaximumRetryAttempts")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return default


class Engine:
    """Submits a stream of jobs; see the module docstring for the rules."""

    def __init__(
        self,
        client: SageMakerClient,
        recorder: Recorder,
        *,
        limiter: Limiter,
        settings: EngineSettings | None = None,
        backoff: Backoff | None = None,
        counters: Counters | None = None,
        rng: random.Random | None = None,
        skip: Callable[[str], bool] | None = None,
        capacity_probe: Callable[[], CapacityProbe] = CapacityProbe,
        outage: OutageGate | None = None,
        call_log: CallLog | None = None,
    ) -> None:
        self.client = client
        self.call_log = call_log  #: every call's latency and outcome (``--report``)
        self.recorder = recorder
        self.limiter = limiter
        self.settings = settings or EngineSettings()
        self.backoff = backoff or Backoff()
        self.counters = counters or Counters()
        self.rng = rng or random.Random()
        self.outage = outage or OutageGate(max_wait=self.settings.outage_wait)
        self._skip = skip  # already done according to the ledger
        self._stopping = False
        self._scope: anyio.CancelScope | None = None
        self._queued: set[anyio.CancelScope] = set()  # creates waiting for the limiter
        self._slots = anyio.CapacityLimiter(max(1, self.settings.concurrency))
        self.holds = CapacityHolds(
            submit=self._submit_and_record,
            fail=self._record_capacity_timeout,
            max_wait=self.settings.capacity_wait,
            probe_factory=capacity_probe,
        )

    # -- control --------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop(self) -> None:
        """Stop dispatching; in-flight calls finish (the caller bounds how long)."""
        if not self._stopping:
            self._stopping = True
            log.info("engine.stopping", in_flight=self.counters.in_flight)
            self.holds.close()
            for scope in self._queued:
                scope.cancel()

    def cancel(self) -> None:
        """Cancel everything now; the ledger still holds only whole lines."""
        self._stopping = True
        if self._scope is not None:
            self._scope.cancel()

    # -- the run --------------------------------------------------------------

    async def run(self, jobs: Iterable[JobSpec] | AsyncIterable[JobSpec]) -> Counters:
        self.counters.restart_clock()
        size = max(2, 2 * self.settings.concurrency)
        send, receive = anyio.create_memory_object_stream[JobSpec](size)
        with anyio.CancelScope() as scope:
            self._scope = scope
            async with anyio.create_task_group() as tg:
                tg.start_soon(self._produce, jobs, send)
                tg.start_soon(self.holds.run)
                async with anyio.create_task_group() as workers:
                    for _ in range(max(1, self.settings.concurrency)):
                        workers.start_soon(self._work, receive.clone())
                    receive.close()
                # All fresh jobs are done: what remains waits for capacity.
                await self.holds.drain()
        self._scope = None
        return self.counters

    async def _produce(
        self, jobs: Iterable[JobSpec] | AsyncIterable[JobSpec], send: ObjectSendStream[JobSpec]
    ) -> None:
        counters = self.counters
        skipped = 0
        async with send:
            async for job in _each(jobs):
                if self._stopping:
                    return
                if self._skip is not None and self._skip(job.name):
                    counters.skipped += 1
                    skipped += 1
                    if skipped % SKIP_CHECKPOINT_EVERY == 0:
                        # Planning is CPU work on this thread, and a resume may skip
                        # thousands of jobs in a row: let signals and the display run.
                        await anyio.lowlevel.checkpoint()
                    continue
                try:
                    await send.send(job)  # a checkpoint of its own
                except anyio.BrokenResourceError:
                    return  # every worker left: the run is stopping

    async def _work(self, receive: ObjectReceiveStream[JobSpec]) -> None:
        async with receive:
            async for job in receive:
                if self._stopping:
                    return
                if self.holds.is_held(job.instance_type):
                    await self.holds.park(job)
                    continue
                await self._submit_and_record(job)

    async def _submit_and_record(self, job: JobSpec) -> bool:
        """Submit one job; record it unless it has to wait for capacity (return False)."""
        async with self._slots:
            self.counters.in_flight += 1
            try:
                outcome = await self._submit(job)
            except _NotSent:
                # Unrecorded: the next run sends it (or finds it by name).
                return True
            finally:
                self.counters.in_flight -= 1
        if outcome.status is None:
            await self.holds.hold(job)
            return False
        await self._record(job, outcome)
        return True

    async def _record_capacity_timeout(self, job: JobSpec, waited: float) -> None:
        error = Classified(
            ErrorKind.CAPACITY,
            "ResourceLimitExceeded",
            f"no capacity for {job.instance_type} within --capacity-wait ({waited:.0f}s)",
        )
        await self._record(job, Outcome(JobStatus.FAILED, None, 0, error))

    async def _record(self, job: JobSpec, outcome: Outcome) -> None:
        assert outcome.status is not None
        error = None
        if outcome.error:
            # AWS messages may quote the request: mask what the request holds as secret.
            message = redact_text(outcome.error.message, secret_values(job.request))
            error = (outcome.error.code, message)
        await self.recorder.record(
            JobRecord(
                name=job.name,
                digest=job.digest,
                status=outcome.status,
                arn=outcome.arn,
                attempts=outcome.attempts,
                params=redact_params(job.params, job.request),
                error=error,
                attempt=job.attempt,
                base=job.base_name,
                fallback=job.fallback,
            )
        )
        self.counters.count(outcome.status)
        if outcome.status in (JobStatus.FAILED, JobStatus.CONFLICT, JobStatus.UNKNOWN):
            log.warning(
                f"engine.job_{outcome.status.value}",
                job=job.name,
                code=error[0] if error else None,
                message=error[1] if error else None,
                attempts=outcome.attempts,
            )
        else:
            log.debug(
                f"engine.job_{outcome.status.value}",
                job=job.name,
                arn=outcome.arn,
                attempts=outcome.attempts,
            )

    # -- one job ----------------------------------------------------------------

    async def _turn(self) -> float | None:
        """Wait for a reachable endpoint and the limiter; None: the outage outlasted the wait."""
        if not await self.outage.admit():
            return None
        return await self.limiter.acquire()

    async def _queued_turn(self) -> float | None:
        """:meth:`_turn` for a create: one still waiting when the run stops is not sent."""
        if self._stopping:
            raise _NotSent
        with anyio.CancelScope() as scope:
            self._queued.add(scope)
            try:
                return await self._turn()
            finally:
                self._queued.discard(scope)
        raise _NotSent  # stop() cancelled the wait

    async def _call(
        self, method: Any, *, create: bool = False, **kwargs: Any
    ) -> tuple[Any, Classified | None]:
        sent_at = await (self._queued_turn() if create else self._turn())
        if sent_at is None:
            wait = self.outage.max_wait
            message = f"the endpoint could not be reached for {wait:.0f}s (--outage-wait)"
            return None, Classified(ErrorKind.NOT_SENT, "EndpointUnreachable", message)
        self.counters.calls += 1
        calls = self.call_log
        sent = calls.sent() if calls is not None else 0.0
        try:
            response = await method(**kwargs)
        except Exception as exc:  # every failure is classified in one place
            if calls is not None:
                calls.ended(method, sent, exc, self.limiter.rate)
            verdict = classify(exc)
            if verdict.kind is ErrorKind.NOT_SENT:
                self.outage.unreachable(verdict.message)
            else:
                self.outage.reached()
            if verdict.kind is ErrorKind.THROTTLED:
                self.counters.throttled += 1
                self.limiter.on_throttle(sent_at=sent_at)
                log.debug("engine.throttled", code=verdict.code, rate=self.limiter.rate)
            return None, verdict
        if calls is not None:
            calls.ended(method, sent, None, self.limiter.rate)
        self.outage.reached()
        self.limiter.on_success()
        return response, None

    async def _submit(self, job: JobSpec) -> Outcome:
        budget = retry_budget(job, self.settings.default_retries)
        attempts = retries = throttles = 0
        maybe_applied = False  # some try may have created the job without saying so
        while True:
            attempts += 1
            response, err = await self._call(
                self.client.create_training_job, create=True, **job.request
            )
            if err is None:
                return Outcome(JobStatus.SUBMITTED, str(response["TrainingJobArn"]), attempts)
            kind = err.kind
            if kind is ErrorKind.EXISTS:
                return await self._reconcile(job, attempts)
            if kind is ErrorKind.CAPACITY:
                return Outcome(None, None, attempts, err)
            if kind is ErrorKind.THROTTLED:
                throttles += 1
                if throttles < MAX_THROTTLES_PER_JOB:
                    continue
            elif kind is ErrorKind.NOT_SENT:
                if not self.outage.exhausted:
                    continue  # the outage gate holds the next try until the endpoint answers
            elif kind.retryable:
                maybe_applied = maybe_applied or kind is ErrorKind.UNCERTAIN
                if retries < budget:
                    delay = self.backoff.delay(retries, self.rng)
                    retries += 1
                    self.counters.retries += 1
                    if self.call_log is not None:
                        self.call_log.retried()
                    log.debug(
                        "engine.retry", job=job.name, code=err.code, kind=kind.value, delay=delay
                    )
                    await anyio.sleep(delay)
                    continue
            if maybe_applied:
                return await self._reconcile(job, attempts, failure=err)
            return Outcome(JobStatus.FAILED, None, attempts, err)

    async def _reconcile(
        self, job: JobSpec, attempts: int, failure: Classified | None = None
    ) -> Outcome:
        """Look the job up by name: the name is the content, so a job found is this job.

        ``failure`` is why the create gave up; without it the name was reported taken.
        """
        failures = throttles = 0
        while True:
            response, err = await self._call(
                self.client.describe_training_job, TrainingJobName=job.name
            )
            if err is None:
                self.counters.reconciled += 1
                arn = str(response["TrainingJobArn"])
                differ = differences(job.request, response)
                if differ:
                    shown = ", ".join(differ[:3]) + (" ..." if len(differ) > 3 else "")
                    clash = Classified(
                        ErrorKind.EXISTS,
                        "NameTakenByAnotherJob",
                        f"{job.name} exists with a different request ({shown} differ)",
                    )
                    return Outcome(JobStatus.CONFLICT, arn, attempts, clash)
                return Outcome(JobStatus.EXISTS, arn, attempts)
            if err.kind is ErrorKind.THROTTLED and throttles < MAX_THROTTLES_PER_JOB:
                throttles += 1
                continue
            if err.kind.retryable and failures < MAX_LOOKUP_RETRIES:
                await anyio.sleep(self.backoff.delay(failures, self.rng))
                failures += 1
                continue
            if err.kind is ErrorKind.NOT_FOUND:
                return Outcome(JobStatus.FAILED, None, attempts, failure or err)
            # The create may have taken effect and the lookup cannot tell.
            return Outcome(JobStatus.UNKNOWN, None, attempts, failure or err)
