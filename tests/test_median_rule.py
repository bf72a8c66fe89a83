"""The median rule on fixed curves: which job it stops, at which step, on what data
(docs/early-stopping.md#the-median-rule), and that a run resumed from its ledger
records gives the same verdicts as one that never stopped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sagesweep.driving.pruning import Pruning, PruningSettings
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.stopping import EarlyStopping
from sagesweep.search.median import Curve, median_verdict
from sagesweep.submitting.pacing import AdaptiveRate

# Four jobs; each point is (time, value). Worked by hand below.
CURVES: dict[str, Curve] = {
    "a": [(10, 0.60), (20, 0.70), (30, 0.80), (40, 0.85)],
    "b": [(12, 0.50), (22, 0.52), (32, 0.55), (42, 0.56)],
    "c": [(11, 0.55), (21, 0.65), (31, 0.75), (41, 0.90)],
    "d": [(5, 0.40), (15, 0.45), (25, 0.50), (35, 0.95)],
}


def verdicts(curves: Mapping[str, Curve], min_steps: int, maximize: bool = True) -> dict[str, Any]:
    found = {}
    for name in curves:
        verdict = median_verdict(name, curves, min_steps=min_steps, maximize=maximize)
        if verdict is not None:
            assert verdict.median is not None
            found[name] = (verdict.step, verdict.value, round(verdict.median, 6), verdict.peers)
    return found


class TestDefinition:
    def test_the_stopped_jobs_and_their_data(self) -> None:
        """min_steps 3. At step 3, the peers of a job are those whose 3rd point came before
        its own: d (t=25) has none; a (t=30) has d; c (t=31) has d, a; b
        (t=32) has d, a, c.
        - d: no peers at 3, and at step 4 (t=35) none of the others has a 4th point yet.
        - a: step 3, best 0.80 against d's average 0.45: goes on; step 4 (t=40): peer d
          (0.575): goes on.
        - c: step 3, best 0.75 against median(0.45, 0.70) = 0.575: goes on; step 4 (t=41):
          peers d (0.575) and a (0.7375): 0.90 goes on.
        - b: step 3, best 0.55 against median(0.45, 0.70, 0.65) = 0.65: stopped.
        """
        assert verdicts(CURVES, min_steps=3) == {"b": (3, 0.55, 0.65, 3)}

    def test_no_decision_before_min_steps(self) -> None:
        """With min_steps 1, b is stopped at its first point already: its peers at step 1
        are d (0.40), a (0.60), c (0.55), median 0.55, and b's 0.50 is below. d, the
        first to report, never has peers at its steps 1-3."""
        found = verdicts(CURVES, min_steps=1)
        assert found["b"] == (1, 0.50, 0.55, 3)
        assert "d" not in found

    def test_best_so_far_not_last_value(self) -> None:
        """A job whose value drops is judged on its best: e's best at step 2 is 0.9."""
        curves: dict[str, Curve] = {
            "p": [(1, 0.7), (2, 0.8)],
            "e": [(3, 0.9), (4, 0.1)],
        }
        assert verdicts(curves, min_steps=2) == {}

    def test_minimising_turns_it_around(self) -> None:
        """For a loss the same numbers stop the job that is highest: at step 3 d's peers
        are none, a's d (0.45), c's d and a (0.575), b's d, a, c (0.65); a's best so far
        0.60 is above 0.45, so a is stopped; c's best 0.55 is below 0.575; b's 0.50 too."""
        found = verdicts(CURVES, min_steps=3, maximize=False)
        assert found == {"a": (3, 0.60, 0.45, 1)}

    def test_equal_to_the_median_goes_on(self) -> None:
        curves: dict[str, Curve] = {"p": [(1, 0.5)], "q": [(2, 0.5)]}
        assert verdicts(curves, min_steps=1) == {}


class FakeCloudWatch:
    """GetMetricData over fixed curves: a point exists once the clock has passed it."""

    def __init__(self, curves: Mapping[str, Curve], clock: list[float]) -> None:
        self.curves = curves
        self.clock = clock
        self.calls = 0
        self.starts: list[float] = []

    async def get_metric_data(self, **kwargs: Any) -> dict[str, Any]:
        from datetime import UTC, datetime

        self.calls += 1
        start = kwargs["StartTime"].timestamp()
        self.starts.append(start)
        results = []
        for query in kwargs["MetricDataQueries"]:
            (dimension,) = query["MetricStat"]["Metric"]["Dimensions"]
            points = [
                (at, value)
                for at, value in self.curves.get(dimension["Value"], [])
                if start <= at <= self.clock[0]
            ]
            results.append(
                {
                    "Id": query["Id"],
                    "Timestamps": [datetime.fromtimestamp(at, UTC) for at, _ in points],
                    "Values": [value for _, value in points],
                }
            )
        return {"MetricDataResults": results}


def pruning(client: FakeCloudWatch, clock: list[float]) -> Pruning:
    settings = PruningSettings(
        rule=EarlyStopping("median", 3), metric="validation:auc", maximize=True
    )
    calls = PacedCalls(AdaptiveRate(rate=100_000, burst=100_000))
    return Pruning(settings, client, calls, wall=lambda: clock[0])


def recorder(notes: list[dict[str, Any]]) -> Callable[[Mapping[str, Any]], Awaitable[None]]:
    async def note(record: Mapping[str, Any]) -> None:
        notes.append(dict(record))

    return note


class TestAcrossRuns:
    async def test_reads_and_judges_as_points_come(self) -> None:
        clock = [0.0]
        client = FakeCloudWatch(CURVES, clock)
        rule = pruning(client, clock)
        for name in CURVES:
            rule.started(name, created=0.0)
        notes: list[dict[str, Any]] = []

        async def note(record: Mapping[str, Any]) -> None:
            notes.append(dict(record))

        stopped = []
        for now in range(0, 50, 3):
            clock[0] = float(now)
            stopped += [v.name for v in await rule.step(note)]
        assert stopped == ["b"]
        (record,) = [r for r in notes if r["event"] == "pruned"]
        assert (record["step"], record["value"], record["peers"]) == (3, 0.55, 3)
        assert round(record["median"], 6) == 0.65

    async def test_a_run_resumed_from_its_records_decides_as_one_never_stopped(self) -> None:
        """Killed at every moment of the run in turn: the records written before the kill,
        taken by a new run, and the rest of the run give the uninterrupted verdicts, each
        written once."""
        for kill_at in range(0, 50, 3):
            clock = [0.0]
            client = FakeCloudWatch(CURVES, clock)
            notes: list[dict[str, Any]] = []
            note = recorder(notes)
            first = pruning(client, clock)
            for name in CURVES:
                first.started(name, created=0.0)
            for now in range(0, kill_at, 3):
                clock[0] = float(now)
                await first.step(note)
            second = pruning(client, clock)
            second.adopt(
                {r["name"]: r["points"] for r in notes if r["event"] == "curve"},
                {r["name"]: r for r in notes if r["event"] == "pruned"},
            )
            for name in CURVES:
                second.started(name)  # running jobs of an earlier run: read back 3 h
            for now in range(kill_at, 50, 3):
                clock[0] = float(now)
                await second.step(note)
            pruned = [r["name"] for r in notes if r["event"] == "pruned"]
            assert pruned == ["b"], kill_at


class TestReads:
    async def test_a_job_of_an_earlier_run_is_read_from_3_hours_back_at_most(self) -> None:
        """CloudWatch keeps 1 s datapoints for 3 hours: a job whose values are unknown
        is read from there, however late the first read comes, never further back."""
        clock = [100_000.0]
        client = FakeCloudWatch(CURVES, clock)
        rule = pruning(client, clock)
        rule.started("a")  # adopted: none of its values known
        clock[0] += 120.0  # the first read comes a --metric-poll later
        await rule.step(recorder([]))
        (start,) = client.starts
        assert clock[0] - 3 * 3600 < start < clock[0]

    async def test_no_verdict_on_a_job_that_ended(self) -> None:
        """b would be stopped at step 3 (TestDefinition); ended before that read, it is
        not: its values still count for the others."""
        clock = [0.0]
        client = FakeCloudWatch(CURVES, clock)
        rule = pruning(client, clock)
        for name in CURVES:
            rule.started(name, created=0.0)
        notes: list[dict[str, Any]] = []
        clock[0] = 31.0
        await rule.step(recorder(notes))
        rule.ended("b")
        clock[0] = 50.0
        assert await rule.step(recorder(notes)) == []
        assert [r["name"] for r in notes if r["event"] == "curve"] == ["b"]
        assert not [r for r in notes if r["event"] == "pruned"]


class TestTpeIsToldPruned:
    def test_a_stopped_trial_is_pruned_with_its_intermediate_values(self) -> None:
        from sagesweep.planning.space import parse_spec
        from sagesweep.search.study import TpeSearch

        eta = parse_spec({"distribution": "uniform", "min": 0, "max": 1}, method="tpe")
        space = {"HyperParameters.eta": eta}
        search = TpeSearch(space, seed=1)
        number, _ = search.ask()
        search.tell(number, None, pruned=[0.5, 0.55, 0.6])
        search.add({"HyperParameters.eta": 0.3}, None, pruned=[0.4, 0.45])
        assert search.pruned() == [{1: 0.5, 2: 0.55, 3: 0.6}, {1: 0.4, 2: 0.45}]
        assert search.told == 2
        assert search.best() is None  # a pruned trial has no value
