"""A sweep with ``early_stopping: {rule: median}`` on the mock: the jobs stopped are
exactly those the rule selects on the curves the run recorded, and status, results and
resubmit treat them as stopped early (docs/early-stopping.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.resubmit import resubmit
from sagesweep.commands.results import results
from sagesweep.commands.status import status
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.config import load_config
from sagesweep.search.median import median_verdict
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import metric_template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
METRIC = "validation:auc"


def sweep_doc(**extra: Any) -> dict[str, Any]:
    request = metric_template(METRIC)
    doc: dict[str, Any] = {
        "sweep": "es",
        "template": request,
        "method": "random",
        "count": 8,
        "seed": 5,
        "objective": {"metric": METRIC, "goal": "maximize"},
        "early_stopping": {"rule": "median", "min_steps": 2},
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.0001, "max": 1.0}
        },
    }
    doc.update(extra)
    return doc


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / "es.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestOnTheMock:
    async def test_the_jobs_stopped_are_those_the_rule_selects(self, tmp_path: Path) -> None:
        """8 jobs, 4 at a time, 4 curve points each at least 1 s apart: every verdict in
        the ledger is the rule's on the curves the ledger holds, and no other job's
        curve gives one."""
        sweep = write(tmp_path, sweep_doc())
        config = MockConfig(job_seconds=(8.0, 10.0), seed=3, curve_points=4)
        with MockServer(config) as server:
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                max_running=4,
                poll=0.2,
                metric_poll=0.3,
                rate=100,
                parts=FAST,
                progress=False,
            )
            seen = await status(sweep, endpoint_url=server.url, parts=FAST)
            table = await results(sweep, endpoint_url=server.url, parts=FAST)
            default = await resubmit(sweep, endpoint_url=server.url, dry_run=True, parts=FAST)
            early = await resubmit(
                sweep,
                endpoint_url=server.url,
                statuses=("StoppedEarly",),
                dry_run=True,
                parts=FAST,
            )
        members = read_members(tmp_path / "es.ledger.jsonl", "es")
        curves = {
            name: [(float(at), float(value)) for at, value in points]
            for name, points in members.curves.items()
        }
        assert set(curves) == set(members.jobs)  # every job's curve was recorded
        expected = {}
        for name in curves:
            verdict = median_verdict(name, curves, min_steps=2, maximize=True)
            if verdict is not None:
                expected[name] = (verdict.step, verdict.value, verdict.median, verdict.peers)
        got = {
            name: (r["step"], r["value"], r["median"], r["peers"])
            for name, r in members.pruned.items()
        }
        # Each verdict is the rule's on the recorded curves, with the same data; the
        # curves give no other on a job that had not completed (one on a job that had
        # completed when it was judged stops nothing, and may be left unmade).
        for name, made in got.items():
            assert expected[name] == made
        ended = {name: str(members.endings[name]["status"]) for name in curves}
        stopped = {name for name, final in ended.items() if final == "Stopped"}
        assert {name for name in expected if ended[name] != "Completed"} == stopped
        got = {name: verdict for name, verdict in got.items() if name in stopped}
        assert 0 < len(got) < 8
        assert summary.ended.get("StoppedEarly") == len(got)
        assert seen.counts["StoppedEarly"] == len(got)
        assert seen.counts["Stopped"] == 0
        shown = {row.name: row.stopped_at for row in table.rows if row.stopped_at is not None}
        assert shown == {name: (step, value) for name, (step, value, _, _) in got.items()}
        assert all(row.status == "StoppedEarly" for row in table.rows if row.name in got)
        assert not default.picks  # resubmit leaves them alone unless asked
        assert {pick.latest for pick in early.picks} == set(got)


class TestBadInput:
    @pytest.mark.parametrize(
        ("change", "field", "words"),
        [
            ({"objective": None}, "early_stopping", "needs an objective"),
            ({"early_stopping": {"rule": "mean"}}, "early_stopping.rule", "must be median"),
            (
                {"early_stopping": {"rule": "hyperband"}},
                "early_stopping.max_resource",
                "hyperband needs it",
            ),
            (
                {
                    "method": "grid",
                    "count": None,
                    "parameters": {"HyperParameters.eta": {"values": [0.1, 0.3]}},
                    "early_stopping": {"rule": "asha"},
                },
                "early_stopping.rule",
                "asha is for methods random and tpe",
            ),
            (
                {"early_stopping": {"rule": "asha", "reduction_factor": 1}},
                "early_stopping.reduction_factor",
                "must be a whole number >= 2",
            ),
            (
                {"early_stopping": {"rule": "median", "min_resource": 2}},
                "early_stopping.min_resource",
                "unknown key for this rule",
            ),
            (
                {"early_stopping": {"rule": "median", "min_steps": 0}},
                "early_stopping.min_steps",
                "must be a whole number >= 1",
            ),
            (
                {"early_stopping": {"rule": "median", "patience": 3}},
                "early_stopping.patience",
                "unknown key",
            ),
        ],
    )
    def test_one_problem_names_the_field(
        self, tmp_path: Path, change: dict[str, Any], field: str, words: str
    ) -> None:
        doc = sweep_doc(**change)
        doc = {key: value for key, value in doc.items() if value is not None}
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, doc))
        (problem,) = caught.value.problems
        assert problem.field == field
        assert words in problem.message

    def test_the_command_line_says_it_in_one_line_and_exits_2(self, tmp_path: Path) -> None:
        doc = sweep_doc(early_stopping={"rule": "median", "min_steps": 0})
        sagesweep = Path(sys.executable).parent / "sagesweep"
        done = subprocess.run(
            [str(sagesweep), "plan", str(write(tmp_path, doc))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        lines = [line for line in done.stderr.splitlines() if "min_steps" in line]
        assert len(lines) == 1, done.stderr
        assert "Traceback" not in done.stderr

    def test_a_sweep_file_with_a_rule_plans_the_same_jobs(self, tmp_path: Path) -> None:
        """early_stopping changes how jobs run, not which: names and requests are those
        of the same sweep without it."""
        from sagesweep.planning.planner import Planner

        with_rule = load_config(write(tmp_path, sweep_doc()))
        plain_doc = sweep_doc()
        del plain_doc["early_stopping"]
        (tmp_path / "plain").mkdir()
        plain = load_config(write(tmp_path / "plain", plain_doc))
        names = [job.name for job in Planner(with_rule).jobs()]
        assert names == [job.name for job in Planner(plain).jobs()]
