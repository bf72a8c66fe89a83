"""``asha`` and ``hyperband``: Optuna's pruners told the curves in time order — which
jobs they stop on fixed curves, and that a resumed run stops the same ones
(docs/early-stopping.md#asha-and-hyperband)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.driving.pruning import Pruning, PruningSettings
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.stopping import EarlyStopping
from sagesweep.search.median import Curve
from sagesweep.search.pruners import OptunaRule, RulePoint
from sagesweep.submitting.pacing import AdaptiveRate
from tests.sweeps import metric_template
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


class TestKilled:
    def test_killed_twice_the_pruned_jobs_are_those_the_curves_give(self, tmp_path: Path) -> None:
        """tpe + hyperband, 40 jobs, 8 at a time: kill -9 once 5 jobs exist and once 20 do,
        then run to the end. No point runs twice, every job's curve is recorded, and the
        pruned jobs (each recorded once) are what the pruner gives on those curves told
        in time order: no decision was lost or made twice across the kills. (A verdict
        the curves give on a job that has completed by then stops nothing.)"""
        request = metric_template("m:auc")
        doc = {
            "sweep": "pk",
            "template": request,
            "method": "tpe",
            "count": 40,
            "seed": 6,
            "max_running": 8,
            "objective": {"metric": "m:auc", "goal": "maximize"},
            "early_stopping": {
                "rule": "hyperband",
                "min_resource": 1,
                "max_resource": 3,
                "reduction_factor": 2,
            },
            "parameters": {
                "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 1}
            },
        }
        sweep = tmp_path / "pk.yaml"
        sweep.write_text(yaml.safe_dump(doc))
        sagesweep = Path(sys.executable).parent / "sagesweep"
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        config = MockConfig(job_seconds=(5.0, 6.0), seed=3, curve_points=3)
        with MockServer(config) as server:
            args = [str(sagesweep), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--poll", "0.2", "--metric-poll", "0.3", "--rate", "200"]
            for created in (5, 20):
                proc = subprocess.Popen(
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
                )
                deadline = time.monotonic() + 120
                while len(server.jobs()) < created and time.monotonic() < deadline:
                    time.sleep(0.05)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=240)
            names = set(server.jobs())
        assert final.returncode == 0, final.stderr[-2000:]
        members = read_members(tmp_path / "pk.ledger.jsonl", "pk")
        assert set(members.jobs) == names
        assert len(names) == 40
        assert len({json.dumps(m.params, sort_keys=True) for m in members.jobs.values()}) == 40
        assert set(members.curves) == names
        lines = (tmp_path / "pk.ledger.jsonl").read_text().splitlines()
        pruned = [json.loads(line)["name"] for line in lines if '"event":"pruned"' in line]
        assert len(pruned) == len(set(pruned))  # each decision once
        replay = OptunaRule(
            EarlyStopping("hyperband", min_resource=1, reduction_factor=2, max_resource=3),
            study_name="pk",
            maximize=True,
        )
        for name in members.jobs:  # creation order
            replay.started(name)
        points = [
            RulePoint(float(at), name, step, float(value))
            for name, curve in members.curves.items()
            for step, (at, value) in enumerate(curve, start=1)
        ]
        decided = {v.name for v in replay.feed(points)}
        ended = {name: str(members.endings[name]["status"]) for name in names}
        stopped = {name for name, status in ended.items() if status == "Stopped"}
        # Every decision is the curves'; every job stopped was stopped by one; and one
        # the curves give on a job that had not completed by then was made.
        assert set(pruned) <= decided
        assert stopped <= set(pruned)
        assert {name for name in decided if ended[name] != "Completed"} == stopped
        assert stopped  # the case decides something
