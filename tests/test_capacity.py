"""Capacity holds: parked jobs give up at their own --capacity-wait deadline."""

from __future__ import annotations

import anyio

from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.capacity import CapacityHolds
from sagesweep.submitting.pacing import CapacityProbe


class FakeClock:
    """A clock that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def spec(name: str) -> JobSpec:
    request = {
        "TrainingJobName": name,
        "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1},
    }
    return JobSpec(name, f"d-{name}", {}, request)


class TestCapacityHolds:
    async def test_a_job_parked_again_gives_up_at_its_own_deadline(self) -> None:
        """A probed job parked again behind younger jobs still gives up at its deadline."""
        clock = FakeClock()
        probed: list[str] = []
        given_up: list[tuple[str, float]] = []

        async def submit(job: JobSpec) -> bool:
            probed.append(job.name)
            clock.now = 11.0  # the probe fails past the oldest job's deadline only
            await holds.hold(job)  # as the engine does with a job still at its quota
            return False

        async def fail(job: JobSpec, waited: float) -> None:
            given_up.append((job.name, waited))

        holds = CapacityHolds(
            submit=submit,
            fail=fail,
            max_wait=10.0,
            clock=clock,
            probe_factory=lambda: CapacityProbe(first=1.0, cap=1.0),
        )
        await holds.hold(spec("old"))  # waits from t=0, first probe at t=1
        clock.now = 4.0
        await holds.park(spec("young"))  # waits from t=4
        async with anyio.create_task_group() as tg:
            tg.start_soon(holds.run)
            await anyio.wait_all_tasks_blocked()
            holds.close()
        assert probed == ["old"]
        assert given_up == [("old", 11.0)]

    async def test_a_parked_job_gives_up_before_a_later_probe(self) -> None:
        """The wait ends at the job's deadline even when its next probe is due much later."""
        probed: list[str] = []
        gave_up = anyio.Event()

        async def submit(job: JobSpec) -> bool:
            probed.append(job.name)
            return True

        async def fail(job: JobSpec, waited: float) -> None:
            gave_up.set()

        holds = CapacityHolds(
            submit=submit,
            fail=fail,
            max_wait=0.05,
            probe_factory=lambda: CapacityProbe(first=60.0, cap=60.0),
        )
        await holds.hold(spec("a"))
        async with anyio.create_task_group() as tg:
            tg.start_soon(holds.run)
            # A bound far past the deadline and far short of the probe, so that a
            # wait until the probe shows as a failure rather than a minute-long test.
            with anyio.move_on_after(10):
                await gave_up.wait()
            holds.close()
        assert gave_up.is_set(), "the job waited for the next probe, past its deadline"
        assert probed == []
