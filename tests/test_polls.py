"""When a driven run polls: as often as --read-rate allows, longer while nothing can
have ended, never longer than --poll (docs/driving.md#when-the-driver-polls)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import pytest

from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.driving.driver import SOONEST_SHARE, Driver, DriveSettings
from sagesweep.ledger import JobRecord, JobStatus
from sagesweep.mock import MockConfig, MockServer
from sagesweep.operating.calls import PacedCalls
from sagesweep.submitting.pacing import AdaptiveRate, Backoff
from tests.test_driver import write_sweep

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeSageMaker:
    """Answers the driver's polls from ``running`` and ``ended`` (names -> status)."""

    def __init__(self) -> None:
        self.running: set[str] = set()
        self.ended: dict[str, str] = {}
        self.described: dict[str, str] = {}
        self.calls: list[str] = []

    async def search(self, **kwargs: Any) -> Mapping[str, Any]:
        filters = kwargs["SearchExpression"]["Filters"]
        wants_running = any(
            f["Name"] == "TrainingJobStatus" and f["Operator"] == "Equals" for f in filters
        )
        self.calls.append("running" if wants_running else "changed")
        if wants_running:
            jobs = [{"TrainingJobName": n, "TrainingJobStatus": "InProgress"} for n in self.running]
        else:
            jobs = [{"TrainingJobName": n, "TrainingJobStatus": s} for n, s in self.ended.items()]
        return {"Results": [{"TrainingJob": job} for job in jobs]}

    async def describe_training_job(self, **kwargs: Any) -> Mapping[str, Any]:
        name = kwargs["TrainingJobName"]
        self.calls.append(f"describe {name}")
        return {"TrainingJobName": name, "TrainingJobStatus": self.described[name]}


def created(name: str) -> JobRecord:
    return JobRecord(
        name=name, digest="d", status=JobStatus.SUBMITTED, arn=None, attempts=1, params={}
    )


async def _noted(_: Mapping[str, Any]) -> None:
    return None


def driver(
    clock: Clock, sm: FakeSageMaker, *, read_rate: float, poll: float, ceiling: float = 100.0
) -> Driver:
    limiter = AdaptiveRate(rate=ceiling)
    return Driver(
        sweep="s",
        client=cast(Any, sm),
        calls=PacedCalls(limiter),
        settings=DriveSettings(max_running=10, poll=poll, read_rate=read_rate),
        note=_noted,
        stopping=lambda: False,
        clock=clock,
    )


class TestNextWait:
    async def test_spacing_follows_the_last_polls_cost_and_the_soonest_end(self) -> None:
        clock, sm = Clock(), FakeSageMaker()
        d = driver(clock, sm, read_rate=1.0, poll=30.0)
        assert d.next_wait() == pytest.approx(1.0)  # one call, at 1 read/s
        for name in ("a", "b"):
            d.settled(created(name))
        sm.running = {"a", "b"}
        await d.poll()  # the first poll is full: what changed, and what runs
        assert sm.calls == ["changed", "running"]
        assert d.next_wait() == pytest.approx(2.0)

        clock.now = 10.0
        sm.running, sm.ended = {"b"}, {"a": "Completed"}
        await d.poll()  # what changed only: one call
        assert sm.calls[2:] == ["changed"]
        assert d.counts.shortest_run == pytest.approx(10.0)
        # b (created at 0) may end from 0 + 0.8 * 10 on: that is past, so the cost rules.
        assert d.next_wait() == pytest.approx(1.0)

        d.settled(created("c"))  # created at 10
        clock.now = 12.0
        sm.running, sm.ended = {"c"}, {"b": "Completed"}
        await d.poll()
        assert d.counts.running == 1
        # Only c runs, created at 10: it cannot have ended before 10 + 0.8 * 10.
        assert d.next_wait() == pytest.approx(10.0 + SOONEST_SHARE * 10.0 - 12.0)

    async def test_a_full_poll_every_poll_seconds_finds_what_search_missed(self) -> None:
        clock, sm = Clock(), FakeSageMaker()
        d = driver(clock, sm, read_rate=1.0, poll=30.0)
        d.settled(created("a"))
        sm.running = {"a"}
        await d.poll()
        sm.running = set()  # a ended, but Search's changes do not show it yet
        sm.described = {"a": "Completed"}
        clock.now = 29.0
        await d.poll()
        assert d.counts.running == 1
        clock.now = 30.0
        await d.poll()  # full: a left the running set, so it is described
        assert sm.calls[-3:] == ["changed", "running", "describe a"]
        assert d.counts.running == 0
        assert d.counts.ended == {"Completed": 1}

    async def test_never_longer_than_poll_and_slower_when_throttled(self) -> None:
        clock, sm = Clock(), FakeSageMaker()
        d = driver(clock, sm, read_rate=0.1, poll=4.0)
        assert d.next_wait() == pytest.approx(4.0)  # 10 s at 0.1/s, capped by --poll
        d = driver(clock, sm, read_rate=2.0, poll=30.0, ceiling=2.0)
        limiter = d.calls.limiter
        assert isinstance(limiter, AdaptiveRate)
        limiter.on_throttle()  # the limiter backs off below the read rate
        assert limiter.rate < 2.0
        assert d.next_wait() == pytest.approx(1.0 / limiter.rate)

    async def test_a_job_just_created_delays_the_poll_by_the_shortest_run(self) -> None:
        clock, sm = Clock(), FakeSageMaker()
        d = driver(clock, sm, read_rate=1.0, poll=30.0)
        d.settled(created("a"))
        clock.now = 20.0
        sm.running, sm.ended = set(), {"a": "Completed"}
        await d.poll()
        d.settled(created("b"))
        assert d.next_wait() == pytest.approx(20.0 + SOONEST_SHARE * 20.0 - 20.0)


class TestAdaptivePollsOnTheMock:
    async def test_cap_holds_with_reads_throttled_and_default_poll(self, tmp_path: Path) -> None:
        """Default --poll (30 s): a 12-job sweep of 1 s jobs ends because polls adapt; the
        mock's read bucket throttles them, and the cap holds at every instant."""
        config = MockConfig(job_seconds=1.0, seed=3, read_rate=1.0, read_burst=1)
        with MockServer(config) as server:
            summary = await submit(
                write_sweep(tmp_path, 12),
                endpoint_url=server.url,
                max_running=4,
                read_rate=3.0,
                rate=100,
                parts=FAST,
                progress=False,
            )
            stats = server.stats()
        assert summary.ended == {"Completed": 12}
        assert stats.peak_in_progress <= 4
        assert stats.throttled > 0  # the mock refused some of the polls' reads


class TestJobsTheLedgerLost:
    async def test_a_rerun_holds_a_place_for_each_and_counts_no_end_twice(
        self, tmp_path: Path
    ) -> None:
        """Jobs of the sweep running on AWS with no ledger record (a kill between create
        and record) take places at adopt; their end frees them without being counted,
        since the plan records the job (and then its end) when it reaches it."""
        from sagesweep.ledger.members import SweepMembers
        from sagesweep.ledger.state import LedgerState

        clock, sm = Clock(), FakeSageMaker()
        d = driver(clock, sm, read_rate=1.0, poll=30.0)
        sm.running = {"s-aaaaaaaaaa", "s-bbbbbbbbbb", "other-cccccccccc"}
        members = SweepMembers("s", tmp_path / "l", LedgerState(jobs={}, repaired=False))

        async def record(_: JobRecord) -> None:
            return None

        await d.adopt(members, frozenset(), record)
        assert d.counts.running == 2  # the other sweep's job is not ours
        sm.running, sm.ended = {"s-bbbbbbbbbb"}, {"s-aaaaaaaaaa": "Completed"}
        await d.poll()
        assert d.counts.running == 1
        assert d.counts.ended == {}  # counted once the plan records it, not now
        d.settled(created("s-bbbbbbbbbb"))  # the plan reached it: ResourceInUse, exists
        assert d.counts.running == 1
