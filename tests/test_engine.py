"""The engine against a scripted fake client: each outcome class handled as specified."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import anyio.lowlevel
import pytest
from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError
from structlog.testing import capture_logs

from sagesweep.ledger import JobRecord, JobStatus
from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.engine import Engine, EngineSettings, retry_budget
from sagesweep.submitting.pacing import AdaptiveRate, Backoff, CapacityProbe

FAST = Backoff(base=0.001, cap=0.002)


def client_error(code: str, status: int = 400, message: str = "boom") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": "req-1",
                "HostId": "",
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "CreateTrainingJob",
    )


def job(n: int, *, instance: str = "ml.m5.xlarge", retries: int | None = None) -> JobSpec:
    request: dict[str, Any] = {
        "TrainingJobName": f"t-{n:04d}",
        "ResourceConfig": {"InstanceType": instance, "InstanceCount": 1},
    }
    if retries is not None:
        request["RetryStrategy"] = {"MaximumRetryAttempts": retries}
    return JobSpec(f"t-{n:04d}", f"d{n:04d}", {"p": n}, request, n)


Script = Callable[[str, int], BaseException | None]


class FakeClient:
    """Creates jobs unless ``script(name, attempt)`` returns an exception to raise.

    A script may return ``ApplyThenFail(exc)``: the job is created, then ``exc`` raised
    (what a dropped connection after the service acted looks like).
    """

    def __init__(self, script: Script | None = None) -> None:
        self.script = script or (lambda name, attempt: None)
        self.created: dict[str, str] = {}
        self.create_calls: dict[str, int] = defaultdict(int)
        self.describe_calls = 0
        self.in_flight = 0
        self.max_in_flight = 0

    async def create_training_job(self, **request: Any) -> dict[str, Any]:
        name = request["TrainingJobName"]
        self.create_calls[name] += 1
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await anyio.lowlevel.checkpoint()
            failure = self.script(name, self.create_calls[name])
            if isinstance(failure, ApplyThenFail):
                self.created[name] = f"arn:aws:sagemaker:us-east-1:1:training-job/{name}"
                raise failure.exc
            if failure is not None:
                raise failure
            if name in self.created:
                raise client_error("ResourceInUse", message=f"exists ({self.created[name]})")
            arn = self.created[name] = f"arn:aws:sagemaker:us-east-1:1:training-job/{name}"
            return {"TrainingJobArn": arn}
        finally:
            self.in_flight -= 1

    async def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        self.describe_calls += 1
        if TrainingJobName not in self.created:
            # What SageMaker answers for a name it does not know.
            raise client_error("ValidationException", message="Requested resource not found.")
        return {"TrainingJobArn": self.created[TrainingJobName], "TrainingJobStatus": "InProgress"}


class ApplyThenFail(Exception):
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Book:
    """An in-memory recorder."""

    def __init__(self) -> None:
        self.records: list[JobRecord] = []

    async def record(self, rec: JobRecord) -> None:
        self.records.append(rec)

    def by_name(self) -> dict[str, JobRecord]:
        return {r.name: r for r in self.records}


def make_engine(client: FakeClient, book: Book, *, rate: float = 10_000, **kwargs: Any) -> Engine:
    settings = kwargs.pop("settings", EngineSettings(concurrency=8))
    return Engine(
        client,  # type: ignore[arg-type]
        book,
        limiter=AdaptiveRate(rate=rate, burst=rate),
        settings=settings,
        backoff=FAST,
        rng=random.Random(1),
        **kwargs,
    )


def jobs(n: int, **kwargs: Any) -> Iterator[JobSpec]:
    return (job(i, **kwargs) for i in range(n))


class TestOutcomes:
    async def test_success_is_recorded_submitted_with_arn(self) -> None:
        """A created job is recorded `submitted` with the ARN the service returned."""
        client, book = FakeClient(), Book()
        counters = await make_engine(client, book).run(jobs(20))
        assert counters.submitted == 20
        assert {r.status for r in book.records} == {JobStatus.SUBMITTED}
        assert all(r.arn == client.created[r.name] for r in book.records)
        assert all(r.attempts == 1 for r in book.records)

    async def test_existing_name_is_reconciled_with_describe(self) -> None:
        """ResourceInUse is answered by DescribeTrainingJob and recorded `exists`."""
        client, book = FakeClient(), Book()
        client.created["t-0003"] = "arn:aws:sagemaker:us-east-1:1:training-job/t-0003"
        await make_engine(client, book).run(jobs(5))
        rec = book.by_name()["t-0003"]
        assert rec.status is JobStatus.EXISTS
        assert rec.arn == client.created["t-0003"]
        assert client.describe_calls == 1

    async def test_permanent_error_is_not_retried(self) -> None:
        """A ValidationException fails the job at once with its code and message."""
        client = FakeClient(lambda name, attempt: client_error("ValidationException"))
        book = Book()
        await make_engine(client, book).run(jobs(1))
        rec = book.records[0]
        assert rec.status is JobStatus.FAILED
        assert rec.error == ("ValidationException", "boom")
        assert client.create_calls["t-0000"] == 1

    @pytest.mark.parametrize(
        ("retries", "calls"),
        [
            pytest.param(1, 2, id="retry-strategy-1"),
            pytest.param(5, 6, id="retry-strategy-5"),
            pytest.param(None, 4, id="default-3"),
            pytest.param(0, 1, id="retry-strategy-0"),
        ],
    )
    async def test_transient_errors_spend_the_jobs_retry_budget(
        self, retries: int | None, calls: int
    ) -> None:
        """A 500 is retried up to RetryStrategy.MaximumRetryAttempts times, then failed."""
        client = FakeClient(lambda name, attempt: client_error("InternalFailure", 500))
        book = Book()
        await make_engine(client, book).run(jobs(1, retries=retries))
        assert client.create_calls["t-0000"] == calls
        assert book.records[0].status is JobStatus.FAILED
        assert book.records[0].attempts == calls

    async def test_throttles_do_not_spend_the_retry_budget(self) -> None:
        """Five throttles then success: the job with a budget of 1 still gets created."""
        client = FakeClient(
            lambda name, attempt: client_error("ThrottlingException") if attempt <= 5 else None
        )
        book = Book()
        engine = make_engine(client, book)
        counters = await engine.run(jobs(1, retries=1))
        assert book.records[0].status is JobStatus.SUBMITTED
        assert book.records[0].attempts == 6
        assert counters.throttled == 5
        limiter = engine.limiter
        assert isinstance(limiter, AdaptiveRate)
        assert limiter.rate < limiter.ceiling

    @pytest.mark.parametrize(
        "exc",
        [
            pytest.param(ConnectionClosedError(endpoint_url="http://x"), id="dropped"),
            pytest.param(ReadTimeoutError(endpoint_url="http://x"), id="read-timeout"),
        ],
    )
    async def test_ambiguous_outcome_is_reconciled_by_the_retry(self, exc: BaseException) -> None:
        """Created-then-dropped: the retry meets ResourceInUse and records `exists`, once."""
        client = FakeClient(lambda name, attempt: ApplyThenFail(exc) if attempt == 1 else None)
        book = Book()
        await make_engine(client, book).run(jobs(3))
        assert len(book.records) == 3
        assert {r.status for r in book.records} == {JobStatus.EXISTS}
        assert all(r.arn == client.created[r.name] for r in book.records)
        assert all(client.create_calls[r.name] == 2 for r in book.records)


class TestFlow:
    async def test_concurrency_is_bounded(self) -> None:
        """No more calls are in flight than --concurrency."""
        client, book = FakeClient(), Book()
        engine = make_engine(client, book, settings=EngineSettings(concurrency=3))
        await engine.run(jobs(50))
        assert 1 <= client.max_in_flight <= 3
        assert len(book.records) == 50

    async def test_jobs_done_in_the_ledger_are_skipped(self) -> None:
        """Jobs the ledger has as done make no call at all."""
        client, book = FakeClient(), Book()
        done = {f"t-{i:04d}" for i in range(0, 10, 2)}
        counters = await make_engine(client, book, skip=done.__contains__).run(jobs(10))
        assert counters.skipped == 5
        assert set(client.create_calls) == {f"t-{i:04d}" for i in range(1, 10, 2)}

    async def test_skipping_done_jobs_lets_other_tasks_run(self) -> None:
        """A resume skipping thousands of done jobs still yields to concurrent tasks."""
        ticks = 0
        seen: list[int] = []  # the other task's tick count at each skip check

        def skip(name: str) -> bool:
            seen.append(ticks)
            return True

        async def tick() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await anyio.lowlevel.checkpoint()

        engine = make_engine(FakeClient(), Book(), skip=skip)
        async with anyio.create_task_group() as tg:
            tg.start_soon(tick)
            counters = await engine.run(jobs(5000))
            tg.cancel_scope.cancel()
        assert counters.skipped == 5000
        assert len(set(seen)) >= 10, "the other task never ran during the skip pass"

    async def test_stop_lets_in_flight_calls_finish_and_dispatches_nothing_more(self) -> None:
        """After stop(), every call already sent is recorded; nothing new is sent."""
        book = Book()
        engine: Engine

        def script(name: str, attempt: int) -> None:
            if name == "t-0010":
                engine.stop()

        client = FakeClient(script)
        engine = make_engine(client, book, settings=EngineSettings(concurrency=2))
        with capture_logs() as logs:
            counters = await engine.run(jobs(1000))
        assert set(client.create_calls) == {r.name for r in book.records}
        assert counters.submitted == len(book.records) < 30
        assert any(e["event"] == "engine.stopping" for e in logs)


class TestCapacity:
    async def test_held_type_waits_while_other_types_flow(self) -> None:
        """A p3 at its quota is parked and probed; m5 jobs keep being created meanwhile."""
        open_at: list[float] = []

        def script(name: str, attempt: int) -> BaseException | None:
            if name.startswith("t-00") and int(name[2:]) % 2 == 0 and not open_at:
                return client_error("ResourceLimitExceeded", message="limit")
            return None

        client, book = FakeClient(script), Book()
        order: list[str] = []
        original = book.record

        async def record(rec: JobRecord) -> None:
            order.append(rec.name)
            if len([n for n in order if int(n[2:]) % 2]) == 10:
                open_at.append(1.0)  # every m5 job done: capacity frees
            await original(rec)

        book.record = record  # type: ignore[method-assign]
        specs = [
            job(i, instance="ml.p3.2xlarge" if i % 2 == 0 else "ml.m5.xlarge") for i in range(20)
        ]
        engine = make_engine(
            client, book, capacity_probe=lambda: CapacityProbe(first=0.01, cap=0.05)
        )
        with capture_logs() as logs:
            await engine.run(iter(specs))
        assert len(book.records) == 20
        assert {r.status for r in book.records} == {JobStatus.SUBMITTED}
        first_p3 = next(i for i, n in enumerate(order) if int(n[2:]) % 2 == 0)
        assert first_p3 >= 10, "p3 jobs were created only after capacity freed"
        events = {e["event"] for e in logs}
        assert {"engine.capacity_wait", "engine.capacity_released"} <= events

    async def test_capacity_wait_gives_up_after_the_limit(self) -> None:
        """A type that never frees within --capacity-wait ends `failed`."""
        client = FakeClient(lambda name, attempt: client_error("ResourceLimitExceeded"))
        book = Book()
        engine = make_engine(
            client,
            book,
            settings=EngineSettings(concurrency=4, capacity_wait=0.2),
            capacity_probe=lambda: CapacityProbe(first=0.02, cap=0.05),
        )
        await engine.run(jobs(3, instance="ml.p3.2xlarge"))
        assert len(book.records) == 3
        assert all(r.status is JobStatus.FAILED for r in book.records)
        assert all(r.error and r.error[0] == "ResourceLimitExceeded" for r in book.records)


class TestRetryBudget:
    @pytest.mark.parametrize(
        ("strategy", "expected"),
        [
            pytest.param({"MaximumRetryAttempts": 2}, 2, id="declared"),
            pytest.param(None, 3, id="default"),
            pytest.param({"MaximumRetryAttempts": True}, 3, id="bool-ignored"),
        ],
    )
    def test_budget_comes_from_the_jobs_retry_strategy(
        self, strategy: dict[str, Any] | None, expected: int
    ) -> None:
        """RetryStrategy.MaximumRetryAttempts bounds transient retries; else the default."""
        request: dict[str, Any] = {"TrainingJobName": "x"}
        if strategy is not None:
            request["RetryStrategy"] = strategy
        assert retry_budget(JobSpec("x", "d", {}, request), 3) == expected


class GatedClient(FakeClient):
    """Creates block until ``gate`` is set, so a test can act while a call is in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = anyio.Event()
        self.entered = anyio.Event()

    async def create_training_job(self, **request: Any) -> dict[str, Any]:
        self.entered.set()
        await self.gate.wait()
        return await super().create_training_job(**request)


class TestStop:
    async def test_stop_while_jobs_are_queued_ends_the_run_without_error(self) -> None:
        """stop() with the producer mid-stream: the run returns; nothing is raised."""
        client, book = GatedClient(), Book()
        engine = make_engine(client, book, settings=EngineSettings(concurrency=4))
        async with anyio.create_task_group() as tg:
            tg.start_soon(engine.run, jobs(500))
            await client.entered.wait()
            engine.stop()
            client.gate.set()
        assert len(book.records) <= 4
        assert set(client.created) == {r.name for r in book.records}

    async def test_calls_waiting_for_the_limiter_are_not_sent_after_stop(self) -> None:
        """At 1 call/s, stop() abandons the queued creates instead of sending them."""
        client, book = GatedClient(), Book()
        engine = make_engine(client, book, rate=1, settings=EngineSettings(concurrency=8))
        async with anyio.create_task_group() as tg:
            tg.start_soon(engine.run, jobs(8))
            await client.entered.wait()
            engine.stop()
            client.gate.set()
        assert sum(client.create_calls.values()) == 1
        assert [r.name for r in book.records] == ["t-0000"]


class TestReconciliation:
    async def test_a_name_taken_by_another_request_is_a_conflict(self) -> None:
        """ResourceInUse, and Describe shows another image: recorded `conflict`."""

        class Squatted(FakeClient):
            async def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
                answer = await super().describe_training_job(TrainingJobName)
                return {**answer, "ResourceConfig": {"InstanceType": "ml.p3.2xlarge"}}

        client, book = Squatted(), Book()
        client.created["t-0001"] = "arn:aws:sagemaker:us-east-1:1:training-job/t-0001"
        counters = await make_engine(client, book).run(jobs(3))
        rec = book.by_name()["t-0001"]
        assert rec.status is JobStatus.CONFLICT
        assert rec.error is not None
        assert "ResourceConfig.InstanceType" in rec.error[1]
        assert (counters.conflict, counters.submitted) == (1, 2)

    async def test_an_uncertain_create_that_took_effect_is_not_called_failed(self) -> None:
        """Every try dropped after the service acted: the lookup finds it, `exists`."""

        def script(name: str, attempt: int) -> BaseException:
            return ApplyThenFail(ConnectionClosedError(endpoint_url="http://x"))

        client, book = FakeClient(script), Book()
        await make_engine(client, book).run(jobs(4, retries=0))
        assert {r.status for r in book.records} == {JobStatus.EXISTS}

    async def test_an_uncertain_create_with_no_answer_to_the_lookup_is_unknown(self) -> None:
        """A 5xx, then lookups that fail too: `unknown`, never `failed`."""

        class Broken(FakeClient):
            async def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
                self.describe_calls += 1
                raise client_error("InternalFailure", 500)

        client, book = Broken(lambda n, a: client_error("InternalFailure", 500)), Book()
        counters = await make_engine(client, book).run(jobs(2, retries=1))
        assert {r.status for r in book.records} == {JobStatus.UNKNOWN}
        assert counters.unknown == 2

    async def test_a_refused_create_is_failed_without_a_lookup(self) -> None:
        """A ValidationException proves the job was not created: `failed`, no Describe."""
        client = FakeClient(lambda n, a: client_error("ValidationException"))
        book = Book()
        await make_engine(client, book).run(jobs(2))
        assert {r.status for r in book.records} == {JobStatus.FAILED}
        assert client.describe_calls == 0
