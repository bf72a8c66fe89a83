"""method: tpe — adaptive search driven by sagesweep, resumable from the ledger."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.search.study import planner_for
from sagesweep.search.tpe import TpeRun
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, count: int = 60, **changes: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "tpe",
        "template": template(),
        "method": "tpe",
        "count": count,
        "max_running": 4,
        "seed": 7,
        "objective": {"metric": "validation:auc", "goal": "maximize"},
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 0.3},
            "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 2, "max": 12},
            "HyperParameters.booster": {"values": ["gbtree", "dart"]},
        },
    }
    doc.update(changes)
    path = tmp_path / "tpe.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def records(tmp_path: Path) -> list[dict[str, Any]]:
    text = (tmp_path / "tpe.ledger.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def history_matches_ledger(tmp_path: Path, sweep: Path) -> None:
    """A study rebuilt from the ledger holds one told trial per ended job, same values."""
    config = load_config(sweep)
    rebuilt = TpeRun(config, Planner(config))
    rebuilt.rebuild(read_members(tmp_path / "tpe.ledger.jsonl", config.sweep))
    ends = {r["name"]: r for r in records(tmp_path) if r["event"] == "end"}
    assert rebuilt.search.told == len(ends)
    values = sorted(r["metrics"]["validation:auc"] for r in ends.values())
    told = sorted(rebuilt.search.values())
    assert told == pytest.approx(values)


class TestRun:
    async def test_sixty_jobs_all_told(self, tmp_path: Path) -> None:
        """60 jobs under max_running 4: exit 0, 60 distinct points, every result told."""
        sweep = write_sweep(tmp_path)
        with MockServer(MockConfig(job_seconds=(0.05, 0.2), seed=3)) as server:
            summary = await submit(sweep, endpoint_url=server.url, poll=0.1, rate=500, parts=FAST)
            stats = server.stats()
        assert summary.exit_code == 0
        assert stats.created == 60
        assert stats.peak_in_progress <= 4
        jobs = [r for r in records(tmp_path) if r["event"] == "job"]
        points = {json.dumps(r["params"], sort_keys=True) for r in jobs}
        assert len(jobs) == len(points) == 60
        assert len([r for r in records(tmp_path) if r["event"] == "end"]) == 60
        history_matches_ledger(tmp_path, sweep)

    def test_killed_twice_and_resumed_repeats_no_job(self, tmp_path: Path) -> None:
        """kill -9 twice mid-search, rerun: still 60 distinct jobs; the study equals the ledger."""
        sweep = write_sweep(tmp_path)
        rng = random.Random(4)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        with MockServer(MockConfig(job_seconds=(0.2, 0.5), seed=3)) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--poll", "0.2", "--rate", "200"]
            for _ in range(2):
                proc = subprocess.Popen(
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
                )
                time.sleep(rng.uniform(2.5, 4.0))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=240)
            stats = server.stats()
            names = set(server.jobs())
        assert final.returncode == 0, final.stderr[-2000:]
        assert stats.created == len(names) == 60
        jobs = {r["name"]: r for r in records(tmp_path) if r["event"] == "job"}
        assert set(jobs) == names
        points = {json.dumps(r["params"], sort_keys=True) for r in jobs.values()}
        assert len(points) == 60
        history_matches_ledger(tmp_path, sweep)

    async def test_a_job_created_but_not_recorded_is_found_not_replaced(
        self, tmp_path: Path
    ) -> None:
        """Killed between a create and its record: the rerun asks that point again first,
        finds the job by name, and creates no other job in its place."""
        sweep = write_sweep(tmp_path, count=6)
        ledger = tmp_path / "tpe.ledger.jsonl"
        with MockServer(MockConfig(job_seconds=(0.05, 0.1), seed=3)) as server:
            await submit(sweep, endpoint_url=server.url, poll=0.1, rate=500, parts=FAST)
            lines = ledger.read_text().splitlines(keepends=True)
            job_lines = [i for i, line in enumerate(lines) if '"event":"job"' in line]
            lost = json.loads(lines[job_lines[-1]])["name"]
            asked = [json.loads(line) for line in lines if '"event":"asked"' in line]
            assert lost in {record["name"] for record in asked}
            # What a crash right after the create leaves: the intent, not the outcome.
            kept = [
                line
                for line in lines
                if json.loads(line).get("name") != lost or '"event":"asked"' in line
            ]
            ledger.write_text("".join(kept))
            summary = await submit(sweep, endpoint_url=server.url, poll=0.1, rate=500, parts=FAST)
            names = set(server.jobs())
        assert summary.exit_code == 0
        assert len(names) == 6
        jobs = {r["name"]: r for r in records(tmp_path) if r["event"] == "job"}
        assert set(jobs) == names
        assert jobs[lost]["status"] == "exists"


class TestAskedAgain:
    @pytest.mark.parametrize(
        ("params", "again"),
        [
            pytest.param({"booster": "dart", "eta": 0.01, "max_depth": 4}, True, id="in-space"),
            pytest.param({"booster": "gblinear", "eta": 0.01, "max_depth": 4}, False, id="choice"),
            pytest.param({"booster": "dart", "eta": 0.5, "max_depth": 4}, False, id="bound"),
            pytest.param({"booster": "dart", "eta": 0.01, "max_depth": 4.5}, False, id="step"),
            pytest.param({"booster": "dart", "eta": 0.01}, False, id="missing"),
        ],
    )
    def test_only_a_point_of_this_space_is_asked_again(
        self, tmp_path: Path, params: dict[str, Any], again: bool
    ) -> None:
        """An unrecorded point is asked again only if the sweep file still has it."""
        sweep = write_sweep(tmp_path)
        ledger = tmp_path / "tpe.ledger.jsonl"
        point = {f"HyperParameters.{k}": v for k, v in params.items()}
        lines = [
            {"event": "run", "phase": "start", "ts": 1.0, "sweep": "tpe"},
            {"event": "asked", "name": "tpe-aaaaaaaaaa", "params": point},
        ]
        ledger.write_text("".join(json.dumps(r, separators=(",", ":")) + "\n" for r in lines))
        config = load_config(sweep)
        run = TpeRun(config, Planner(config))
        run.rebuild(read_members(ledger, config.sweep))
        job = run.next_job()
        assert job is not None
        assert (dict(job.params) == point) is again


class TestBadInput:
    def test_a_tpe_sweep_needs_an_objective(self, tmp_path: Path) -> None:
        """No objective: one line, exit 2."""
        sweep = write_sweep(tmp_path)
        doc = yaml.safe_load(sweep.read_text())
        del doc["objective"]
        sweep.write_text(yaml.safe_dump(doc))
        with pytest.raises(InputError, match="objective: required for method: tpe"):
            load_config(sweep)

    def test_a_tpe_sweep_needs_parameters_to_search(self, tmp_path: Path) -> None:
        """No parameters: refused when the file is read, not after one job ran."""
        with pytest.raises(InputError, match="parameters: method: tpe needs at least one"):
            load_config(write_sweep(tmp_path, parameters={}))

    def test_a_normal_distribution_is_refused(self, tmp_path: Path) -> None:
        """TPE samples bounded spaces: normal is bad input, named."""
        params = {"HyperParameters.x": {"distribution": "normal", "mu": 0, "sigma": 1}}
        with pytest.raises(InputError, match="tpe cannot sample a normal"):
            load_config(write_sweep(tmp_path, parameters=params))

    async def test_a_metric_no_job_reports_is_named_with_those_seen(self, tmp_path: Path) -> None:
        """objective.metric reported by no job: exit 2, the reported names listed."""
        sweep = write_sweep(tmp_path, count=4, objective={"metric": "val:acc", "goal": "maximize"})
        expected = r"no job reported 'val:acc'.*validation:auc"
        with MockServer(MockConfig(seed=1)) as server, pytest.raises(InputError, match=expected):
            await submit(sweep, endpoint_url=server.url, poll=0.1, rate=500, parts=FAST)

    async def test_asking_stops_once_the_first_jobs_lack_the_metric(self, tmp_path: Path) -> None:
        """The first 3 completed jobs lack the metric: no more are asked (not all 30)."""
        sweep = write_sweep(
            tmp_path,
            count=30,
            max_running=2,
            objective={"metric": "val:acc", "goal": "maximize"},
        )
        with MockServer(MockConfig(seed=1, job_seconds=0.2)) as server:
            with pytest.raises(InputError, match=r"after the first 3 completed jobs"):
                await submit(sweep, endpoint_url=server.url, poll=0.1, rate=500, parts=FAST)
            created = server.stats().created
        assert 3 <= created <= 3 + 2

    def test_plan_previews_the_same_first_points_every_time(self, tmp_path: Path) -> None:
        """The first points come from the seed: two plans agree."""
        config = load_config(write_sweep(tmp_path, count=5))
        first = [job.name for job in planner_for(config).jobs()]
        again = [job.name for job in planner_for(config).jobs()]
        assert first == again
        assert len(first) == 5


class TestRebuiltWithJobsRunning:
    def test_the_points_of_running_jobs_are_not_asked_again(self, tmp_path: Path) -> None:
        """The sampler is seeded: a study rebuilt while jobs run would propose those
        jobs' points again, each naming a job that exists, and the sweep would end short
        of its count. Recorded, not ended: not asked again."""
        sweep = write_sweep(tmp_path, count=8)
        config = load_config(sweep)
        first = TpeRun(config, Planner(config))
        running = [job for job in (first.next_job() for _ in range(3)) if job is not None]
        assert len(running) == 3
        lines = ['{"event":"run","phase":"start","ts":1,"sweep":"tpe","tool_version":"x"}']
        lines += [
            json.dumps(
                {
                    "event": "job",
                    "ts": 2,
                    "name": job.name,
                    "digest": job.digest,
                    "status": "submitted",
                    "arn": "x",
                    "attempts": 1,
                    "params": dict(job.params),
                    "error": None,
                }
            )
            for job in running
        ]
        ledger = tmp_path / "tpe.ledger.jsonl"
        ledger.write_text("\n".join(lines) + "\n")
        again = TpeRun(config, Planner(config))
        again.rebuild(read_members(ledger, "tpe"))
        assert again.remaining == 5
        asked = [job.name for job in (again.next_job() for _ in range(5)) if job is not None]
        assert len(asked) == 5
        assert not set(asked) & {job.name for job in running}
