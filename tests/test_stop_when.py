"""``stop_when``: a search that has reached its target, or stopped improving, ends the
run with exit 0 and says why (docs/early-stopping.md#stop_when)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.mock.objective import final_metrics
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.planning.stopping import StopWhen
from sagesweep.search.stop_when import SearchStop
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import metric_template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
METRIC = "validation:auc"


class TestVerdicts:
    def test_the_target_is_reached_by_the_best_so_far(self) -> None:
        stop = SearchStop(StopWhen(target=0.9), maximize=True, metric=METRIC)
        assert stop.ended("a", 0.85) is None
        assert stop.ended("b", None) is None
        reason = stop.ended("c", 0.91)
        assert reason is not None
        assert "target reached" in reason
        assert "job c" in reason
        assert stop.ended("d", 0.95) is None  # said once

    def test_minimising_a_target_is_reached_from_above(self) -> None:
        stop = SearchStop(StopWhen(target=0.1), maximize=False, metric="loss")
        assert stop.ended("a", 0.2) is None
        assert stop.ended("b", 0.1) is not None

    def test_not_improving_counts_every_ending(self) -> None:
        """Patience 3: after 0.80, three endings (a failure among them) that improve the
        best by 0.5 % stop the search; one more than 1 % better would not have."""
        stop = SearchStop(StopWhen(not_improving=3), maximize=True, metric=METRIC)
        assert [stop.ended(n, v) for n, v in [("a", 0.80), ("b", 0.802), ("c", None)]] == [
            None,
            None,
            None,
        ]
        assert stop.ended("d", 0.804) is not None

        other = SearchStop(StopWhen(not_improving=3), maximize=True, metric=METRIC)
        for name, value in [("a", 0.80), ("b", 0.802), ("c", None)]:
            other.ended(name, value)
        assert other.ended("d", 0.82) is None

    def test_no_decision_without_a_value(self) -> None:
        stop = SearchStop(StopWhen(not_improving=1), maximize=True, metric=METRIC)
        assert stop.ended("a", None) is None
        assert stop.ended("b", None) is None


def write(tmp_path: Path, **extra: Any) -> Path:
    request = metric_template(METRIC)
    doc: dict[str, Any] = {
        "sweep": "sw",
        "template": request,
        "method": "random",
        "count": 20,
        "seed": 2,
        "objective": {"metric": METRIC, "goal": "maximize"},
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.0001, "max": 1.0}
        },
    }
    doc.update(extra)
    path = tmp_path / "sw.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestOnTheMock:
    async def test_the_run_ends_once_the_target_is_reached(self, tmp_path: Path) -> None:
        """20 jobs, one at a time; the target is the 4th job's value (known from the
        mock's documented objective): the run stops dispatching once a job reaches it,
        says why, and exits 0 with jobs left unlaunched."""
        plain = write(tmp_path)
        jobs = list(Planner(load_config(plain)).jobs())
        values = [
            final_metrics(
                [METRIC], job.request.get("HyperParameters", {}), seed=9, job_name=job.name
            )[0][1]
            for job in jobs
        ]
        # The first job at or above the target is the 4th or one before it.
        target = values[3]
        first = next(i for i, v in enumerate(values) if v >= target)
        sweep = write(tmp_path, stop_when={"target": float(target)})
        with MockServer(MockConfig(job_seconds=0.2, seed=9)) as server:
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                max_running=1,
                poll=0.1,
                rate=100,
                parts=FAST,
                progress=False,
            )
        assert summary.exit_code == 0
        assert summary.stopped_by is not None
        assert "target reached" in summary.stopped_by
        assert summary.counts["submitted"] == first + 1
        ledger = read_members(tmp_path / "sw.ledger.jsonl", "sw")
        assert len(ledger.jobs) == first + 1


class TestBadInput:
    @pytest.mark.parametrize(
        ("stop_when", "field", "words"),
        [
            ({"target": "high"}, "stop_when.target", "must be a number"),
            ({"not_improving": 0}, "stop_when.not_improving", "whole number of jobs >= 1"),
            ({"stop_running": True}, "stop_when", "needs target or not_improving"),
            ({"target": 0.9, "stop_running": "yes"}, "stop_when.stop_running", "true or false"),
            ({"target": 0.9, "when": 1}, "stop_when.when", "unknown key"),
        ],
    )
    def test_one_problem_names_the_field(
        self, tmp_path: Path, stop_when: dict[str, Any], field: str, words: str
    ) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, stop_when=stop_when))
        (problem,) = caught.value.problems
        assert problem.field == field
        assert words in problem.message

    def test_it_needs_an_objective(self, tmp_path: Path) -> None:
        path = write(tmp_path, stop_when={"target": 0.9})
        doc = yaml.safe_load(path.read_text())
        del doc["objective"]
        path.write_text(yaml.safe_dump(doc))
        with pytest.raises(InputError) as caught:
            load_config(path)
        (problem,) = caught.value.problems
        assert "needs an objective" in problem.message
