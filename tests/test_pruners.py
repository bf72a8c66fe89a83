"""``asha`` and ``hyperband``: Optuna's pruners told the curves in time order — which
jobs they stop on fixed curves, and that a resumed run stops the same ones
(docs/early-stopping.md#asha-and-hyperband)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from sagesweep.driving.pruning import Pruning, PruningSettings
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.stopping import EarlyStopping
from sagesweep.search.median import Curve
from sagesweep.submitting.pacing import AdaptiveRate
from tests.test_median_rule import FakeCloudWatch, recorder

# Step 1 of each job at t = 1, 2, 2.5, 2.7, 2.8; a and c go on reporting.
CURVES: dict[str, Curve] = {
    "a": [(1, 0.50), (3, 0.60), (5, 0.70), (7, 0.80)],
    "b": [(2, 0.40), (4, 0.42)],
    "c": [(2.5, 0.55), (3.5, 0.65)],
    "d": [(2.7, 0.52)],
    "e": [(2.8, 0.45)],
}


def pruning(rule: EarlyStopping, client: FakeCloudWatch, clock: list[float]) -> Pruning:
    settings = PruningSettings(rule=rule, metric="m", maximize=True, sweep="asha-test")
    calls = PacedCalls(AdaptiveRate(rate=100_000, burst=100_000))
    return Pruning(settings, client, calls, wall=lambda: clock[0])


async def run(rule: EarlyStopping, curves: Mapping[str, Curve], kill_at: float | None) -> list[str]:
    """The pruned jobs of a run read every 0.5 s from t=0 to 10, killed at ``kill_at``
    and resumed from the records it wrote."""
    clock = [0.0]
    client = FakeCloudWatch(curves, clock)
    notes: list[dict[str, Any]] = []
    note = recorder(notes)
    current = pruning(rule, client, clock)
    for name in curves:
        current.started(name, created=0.0)
    for tick in range(21):
        clock[0] = tick / 2
        if kill_at is not None and clock[0] == kill_at:
            current = pruning(rule, client, clock)
            current.adopt({}, {r["name"]: r for r in notes if r["event"] == "pruned"}, list(curves))
            for name in curves:
                current.started(name)
        await current.step(note)
    return [r["name"] for r in notes if r["event"] == "pruned"]


class TestAsha:
    async def test_the_jobs_it_stops_on_fixed_curves(self) -> None:
        """min_resource 1, reduction factor 2: at step 1 a job goes on if its value is
        within the best half of the jobs that reached step 1 so far (the best one while
        they are fewer than 2). a (0.50, alone) goes on; b (0.40 of 0.50, 0.40) stops;
        c (0.55, the best of 3) goes on; d (0.52, second of 4) goes on; e (0.45, fourth
        of 5) stops. At step 2, a is alone (0.60), then c (0.65) is the best of 2: both
        go on."""
        rule = EarlyStopping("asha", min_resource=1, reduction_factor=2)
        assert await run(rule, CURVES, kill_at=None) == ["b", "e"]

    @pytest.mark.parametrize("rule", ["asha", "hyperband"])
    async def test_a_resumed_run_stops_the_same_jobs(self, rule: str) -> None:
        many: dict[str, Curve] = {
            f"j{i}": [(i * 0.3 + k, 0.5 + ((i * 7919 + k * 104729) % 97) / 400) for k in range(8)]
            for i in range(12)
        }
        chosen = EarlyStopping(rule, min_resource=1, reduction_factor=2, max_resource=8)
        whole = await run(chosen, many, kill_at=None)
        assert whole  # the case decides something
        for kill_at in (1.0, 2.5, 4.0, 6.5):
            assert await run(chosen, many, kill_at=kill_at) == whole, kill_at
