"""Throttling per operation family, and the exact counters of /_mock/stats."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagesweep.mock.bucket import READ, STOP, Buckets, TokenBucket, family
from tests.conftest import MockFactory
from tests.test_mock_server import client, create, http_json

#: Refills so slowly that no token comes back during a test.
NEVER = 0.001


def outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as exc:
        return str(exc.response["Error"]["Code"])
    return "ok"


class TestFamilies:
    @pytest.mark.parametrize(
        ("action", "expected"),
        [
            pytest.param("DescribeTrainingJob", READ, id="describe"),
            pytest.param("ListTrainingJobs", READ, id="list"),
            pytest.param("ListTags", READ, id="list-tags"),
            pytest.param("Search", READ, id="search"),
            pytest.param("StopTrainingJob", STOP, id="stop"),
            pytest.param("CreateTrainingJob", None, id="create"),
            pytest.param("DeleteTrainingJob", None, id="delete"),
        ],
    )
    def test_family_of_each_action(self, action: str, expected: str | None) -> None:
        """Reads and stops can have a bucket of their own; the rest share one."""
        assert family(action) == expected

    def test_family_bucket_replaces_the_shared_one(self) -> None:
        """A read draws on the read bucket only; a create on the shared one only."""

        def frozen() -> float:
            return 0.0  # no time passes: no refill

        shared = TokenBucket(1, 1, clock=frozen)
        buckets = Buckets(shared, {READ: TokenBucket(1, 2, clock=frozen)})
        reads = [buckets.try_acquire("DescribeTrainingJob") for _ in range(3)]
        creates = [buckets.try_acquire("CreateTrainingJob") for _ in range(2)]
        assert (reads, creates) == ([True, True, False], [True, False])
        assert Buckets(None).try_acquire("Search")


class TestThrottlingThroughTheServer:
    def test_reads_have_their_own_bucket(self, mock_factory: MockFactory) -> None:
        """read_burst=5: the sixth read is throttled; creates are not touched."""
        server = mock_factory(read_rate=NEVER, read_burst=5)
        sm = client(server)
        creates = Counter(outcome(partial(create, sm, f"job-{i}")) for i in range(10))
        reads = Counter(
            outcome(lambda: sm.describe_training_job(TrainingJobName="job-0")) for _ in range(12)
        )
        reads += Counter(outcome(lambda: sm.search(Resource="TrainingJob")) for _ in range(3))
        assert creates == {"ok": 10}
        assert reads == {"ok": 5, "ThrottlingException": 10}
        stats = server.stats()
        assert (stats.throttled, stats.describe_calls, stats.search_calls) == (10, 12, 3)

    def test_stops_have_their_own_bucket(self, mock_factory: MockFactory) -> None:
        """stop_burst=2 with a shared bucket of 100: two stops go through, three do not."""
        server = mock_factory(
            job_seconds=60, stop_rate=NEVER, stop_burst=2, throttle_rate=NEVER, throttle_burst=100
        )
        sm = client(server)
        for i in range(5):
            create(sm, f"job-{i}")
        stops = Counter(
            outcome(partial(sm.stop_training_job, TrainingJobName=f"job-{i}")) for i in range(5)
        )
        assert stops == {"ok": 2, "ThrottlingException": 3}
        stats = server.stats()
        assert (stats.throttled, stats.stop_calls, stats.create_calls) == (3, 5, 5)

    def test_throttle_rate_alone_covers_every_call(self, mock_factory: MockFactory) -> None:
        """Without family buckets, creates, reads and stops share --throttle-rate's bucket."""
        server = mock_factory(job_seconds=60, throttle_rate=NEVER, throttle_burst=4)
        sm = client(server)
        calls = [
            lambda: create(sm, "job-0"),
            lambda: sm.list_training_jobs(),
            lambda: sm.describe_training_job(TrainingJobName="job-0"),
            lambda: sm.stop_training_job(TrainingJobName="job-0"),
            lambda: sm.list_training_jobs(),
            lambda: create(sm, "job-1"),
        ]
        assert [outcome(call) for call in calls] == ["ok"] * 4 + ["ThrottlingException"] * 2
        assert server.stats().throttled == 2


class TestCounters:
    def test_call_counters_are_exact_under_concurrency(self, mock_factory: MockFactory) -> None:
        """16 threads of mixed calls: every counter equals what the clients sent."""
        server = mock_factory(job_seconds=60, stopping_seconds=0)
        sm = client(server, pool=16)
        names = [f"job-{i:03d}" for i in range(80)]
        for name in names:
            create(sm, name)
        sent: Counter[str] = Counter()
        lock = threading.Lock()

        def work(i: int) -> None:
            name = names[i % len(names)]
            kind = i % 5
            if kind == 0:
                sm.describe_training_job(TrainingJobName=name)
                counter = "describe_calls"
            elif kind == 1:
                sm.list_training_jobs(MaxResults=5)
                counter = "list_calls"
            elif kind == 2:
                sm.search(Resource="TrainingJob", MaxResults=5)
                counter = "search_calls"
            elif kind == 3:
                outcome(lambda: sm.stop_training_job(TrainingJobName=name))
                counter = "stop_calls"
            else:
                outcome(lambda: sm.delete_training_job(TrainingJobName=name))
                counter = "delete_calls"
            with lock:
                sent[counter] += 1

        with ThreadPoolExecutor(16) as pool:
            list(pool.map(work, range(400)))
        stats = http_json(server.url + "/_mock/stats")
        for counter, count in sent.items():
            assert stats[counter] == count, counter
        assert stats["create_calls"] == stats["created"] == 80

    def test_in_progress_and_peak(self, mock_factory: MockFactory) -> None:
        """in_progress follows the jobs running now; the peak remembers the most at once."""
        server = mock_factory(job_seconds=60, stopping_seconds=0)
        sm = client(server)
        for i in range(5):
            create(sm, f"job-{i}")
        for i in range(2):
            sm.stop_training_job(TrainingJobName=f"job-{i}")
        stats = server.stats()
        assert (stats.in_progress, stats.peak_in_progress) == (3, 5)
        server.reset()
        assert (server.stats().in_progress, server.stats().peak_in_progress) == (0, 0)

    def test_peak_outlives_completion(self, mock_factory: MockFactory) -> None:
        """Jobs that completed still count in the peak they once made."""
        server = mock_factory(job_seconds=0.2)
        sm = client(server)
        for i in range(4):
            create(sm, f"job-{i}")
        deadline = time.monotonic() + 10
        while server.stats().in_progress:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        create(sm, "late")
        assert server.stats().peak_in_progress == 4
