"""Endpoint outages: the engine waits for the endpoint instead of failing the queue."""

from __future__ import annotations

import random
from typing import Any

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from botocore.exceptions import EndpointConnectionError

from sagesweep.aws.outcomes import ErrorKind, classify
from sagesweep.ledger import JobRecord, JobStatus
from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.engine import Engine, EngineSettings
from sagesweep.submitting.outage import OutageGate
from sagesweep.submitting.pacing import AdaptiveRate, Backoff

URL = "http://127.0.0.1:9/"


def refused() -> EndpointConnectionError:
    """What aiobotocore raises when the connect itself fails."""
    key = ConnectionKey("127.0.0.1", 9, False, True, None, None, None)
    cause = aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "refused"))
    return EndpointConnectionError(endpoint_url=URL, error=cause)


def reset() -> EndpointConnectionError:
    """What aiobotocore raises when an established connection breaks."""
    return EndpointConnectionError(endpoint_url=URL, error=aiohttp.ClientOSError(104, "reset"))


class DownClient:
    """Refuses connections for its first ``down_calls`` creates, then creates jobs."""

    def __init__(self, down_calls: int) -> None:
        self.down_calls = down_calls
        self.calls = 0
        self.created: dict[str, str] = {}

    async def create_training_job(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls <= self.down_calls:
            raise refused()
        name = request["TrainingJobName"]
        self.created[name] = f"arn:aws:sagemaker:us-east-1:1:training-job/{name}"
        return {"TrainingJobArn": self.created[name]}


class Book:
    def __init__(self) -> None:
        self.records: list[JobRecord] = []

    async def record(self, rec: JobRecord) -> None:
        self.records.append(rec)


def jobs(n: int) -> list[JobSpec]:
    specs = []
    for i in range(n):
        request = {"TrainingJobName": f"o-{i:03d}", "RetryStrategy": {"MaximumRetryAttempts": 1}}
        specs.append(JobSpec(f"o-{i:03d}", f"d{i:03d}", {"i": i}, request, i))
    return specs


def engine(client: DownClient, book: Book, *, max_wait: float) -> Engine:
    return Engine(
        client,  # type: ignore[arg-type]
        book,
        limiter=AdaptiveRate(rate=10_000, burst=10_000),
        settings=EngineSettings(concurrency=8),
        backoff=Backoff(base=0.001, cap=0.002),
        rng=random.Random(1),
        outage=OutageGate(max_wait=max_wait, first_probe=0.005, max_interval=0.02),
    )


class TestClassification:
    def test_a_refused_connect_was_not_sent(self) -> None:
        """A connect that failed proves nothing was sent."""
        assert classify(refused()).kind is ErrorKind.NOT_SENT

    def test_a_broken_connection_is_uncertain(self) -> None:
        """aiobotocore's EndpointConnectionError for a reset connection may have sent."""
        assert classify(reset()).kind is ErrorKind.UNCERTAIN


class TestOutage:
    async def test_an_outage_fails_no_job(self) -> None:
        """40 refused connects (more than every job's budget) and still all jobs created."""
        client, book = DownClient(down_calls=40), Book()
        counters = await engine(client, book, max_wait=30).run(jobs(30))
        assert counters.failed == 0
        assert {r.status for r in book.records} == {JobStatus.SUBMITTED}
        assert len(client.created) == 30

    async def test_while_down_only_probes_are_sent(self) -> None:
        """An endpoint that never answers: jobs fail after the wait, with few calls made."""
        client, book = DownClient(down_calls=10**9), Book()
        counters = await engine(client, book, max_wait=0.2).run(jobs(200))
        assert counters.failed == 200
        assert {r.error[0] if r.error else "" for r in book.records} <= {
            "EndpointConnectionError",
            "EndpointUnreachable",
        }
        # The first wave (one call per worker), then one probe at a time: never
        # 200 jobs x 2 tries.
        assert client.calls < 8 + 0.2 / 0.005 + 1
