"""A driven sweep with a keep-alive: jobs that match an Available warm pool are handed
over first, pools are reused only by matching jobs, and status counts warm starts
(docs/driving.md#warm-pools)."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Any

import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.status import status
from sagesweep.commands.submit import submit
from sagesweep.driving.pools import LOOKAHEAD, Pools, pool_key
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.planner import JobSpec
from sagesweep.submitting.pacing import Backoff
from tests.clients import boto3_client
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
TYPES = ["ml.m5.xlarge", "ml.c5.xlarge"]


def spec(name: str, instance_type: str, keep: int | None = 60) -> JobSpec:
    resources: dict[str, Any] = {"InstanceType": instance_type, "InstanceCount": 1}
    if keep is not None:
        resources["KeepAlivePeriodInSeconds"] = keep
    request = {"RoleArn": "r", "ResourceConfig": resources}
    return JobSpec(name=name, digest=name, params={}, request=request)


class TestChoice:
    def test_without_a_keep_alive_jobs_go_in_plan_order(self) -> None:
        pools = Pools()
        job = spec("a", TYPES[0], keep=None)
        pools.note_job(job)
        assert pools.lookahead() == 1
        assert pools.choose(deque([job]), 0.0) is job

    def test_the_job_matching_the_oldest_available_pool_goes_first(self) -> None:
        pools = Pools()
        first = spec("first", TYPES[1])
        pools.note_job(first)
        assert pools.lookahead() == LOOKAHEAD
        pools.available(first, now=0.0)
        ready = deque([spec("m1", TYPES[0]), spec("c1", TYPES[1]), spec("c2", TYPES[1])])
        assert pools.choose(ready, 1.0).name == "c1"  # matches the pool c5 left
        assert [job.name for job in ready] == ["m1", "c2"]
        assert pools.choose(ready, 1.0).name == "m1"  # the pool was taken: plan order
        assert pools.chosen == 1

    def test_a_pool_near_the_end_of_its_keep_alive_is_not_counted_on(self) -> None:
        pools = Pools()
        first = spec("first", TYPES[1], keep=10)
        pools.note_job(first)
        pools.available(first, now=0.0)
        ready = deque([spec("m1", TYPES[0]), spec("c1", TYPES[1])])
        assert pools.choose(ready, 6.0).name == "m1"

    def test_the_key_is_the_matching_rules_configuration(self) -> None:
        base = spec("a", TYPES[0]).request
        assert pool_key(base) == pool_key({**base, "HyperParameters": {"eta": "0.1"}})
        assert pool_key(base) == pool_key({**base, "EnableNetworkIsolation": False})
        assert pool_key(base) != pool_key({**base, "EnableNetworkIsolation": True})
        assert pool_key(base) != pool_key({**base, "RoleArn": "other"})


def write_sweep(tmp_path: Path, n: int, keep_alive: int) -> Path:
    request = template()
    request["ResourceConfig"] = {
        **request["ResourceConfig"],
        "KeepAlivePeriodInSeconds": keep_alive,
    }
    doc = {
        "sweep": "warm",
        "template": request,
        "parameters": {
            "HyperParameters.i": {"range": [0, n, 1]},
            "ResourceConfig.InstanceType": {"values": TYPES},
        },
    }
    path = tmp_path / "warm.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestOnTheMock:
    async def test_pools_are_reused_only_by_matching_jobs(self, tmp_path: Path) -> None:
        """12 jobs over two instance types, cap 2, cold starts of 3 s: the reused pools
        all pass between jobs of one type, and status counts each warm start."""
        config = MockConfig(job_seconds=0.5, start_seconds=3.0, seed=2)
        sweep = write_sweep(tmp_path, 6, keep_alive=60)
        with MockServer(config) as server:
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                max_running=2,
                poll=0.2,
                rate=100,
                parts=FAST,
                progress=False,
            )
            stats = server.stats()
            seen = await status(sweep, endpoint_url=server.url, parts=FAST)
            sm = boto3_client(server)
            jobs = {name: sm.describe_training_job(TrainingJobName=name) for name in server.jobs()}
        assert summary.ended == {"Completed": 12}
        assert stats.peak_in_progress <= 2
        assert stats.warm_starts > 0
        pairs = [
            (job, jobs[job["WarmPoolStatus"]["ReusedByJob"]])
            for job in jobs.values()
            if job["WarmPoolStatus"].get("ReusedByJob")
        ]
        assert len(pairs) == stats.warm_starts
        for before, after in pairs:
            kind = before["ResourceConfig"]["InstanceType"]
            assert after["ResourceConfig"]["InstanceType"] == kind
            started = (after["TrainingStartTime"] - after["CreationTime"]).total_seconds()
            assert started <= 1.0  # a warm start, against 3 s cold
        assert seen.warm is not None
        assert seen.warm.starts == stats.warm_starts
        assert seen.warm.retained_instance_seconds >= 0


class TestPreflight:
    async def test_a_warm_pool_quota_of_zero_is_a_warning(self, tmp_path: Path) -> None:
        """AWS's default warm-pool quota is 0: a keep-alive sweep is warned before it
        starts (and the mock, like AWS, refuses its creates)."""
        sweep = write_sweep(tmp_path, 1, keep_alive=60)
        config = MockConfig(warm_pool_quotas={"ml.m5.xlarge": 0, "ml.c5.xlarge": 4})
        with MockServer(config) as server:
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                rate=100,
                capacity_wait=0,
                parts=FAST,
                progress=False,
            )
        (warning,) = [w for w in summary.warnings if "warm pool" in w]
        assert warning.startswith("quota 'ml.m5.xlarge for training warm pool usage' is 0")
        assert "request an increase" in warning
        assert summary.counts["submitted"] == 1  # the c5 job; the m5 one was refused


class TestBadInput:
    def test_keep_alive_with_spot_is_one_line_and_exit_2(self, tmp_path: Path) -> None:
        import subprocess
        import sys

        request = template()
        request["ResourceConfig"] = {**request["ResourceConfig"], "KeepAlivePeriodInSeconds": 60}
        request["EnableManagedSpotTraining"] = True
        request["StoppingCondition"] = {"MaxRuntimeInSeconds": 60, "MaxWaitTimeInSeconds": 120}
        doc = {
            "sweep": "ws",
            "template": request,
            "parameters": {"HyperParameters.i": {"range": [0, 2, 1]}},
        }
        path = tmp_path / "ws.yaml"
        path.write_text(yaml.safe_dump(doc))
        sagesweep = Path(sys.executable).parent / "sagesweep"
        done = subprocess.run(
            [str(sagesweep), "plan", str(path)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2
        lines = [line for line in done.stderr.splitlines() if "KeepAlivePeriodInSeconds" in line]
        assert len(lines) == 1, done.stderr
        assert "not allowed with EnableManagedSpotTraining" in lines[0]
        assert "Traceback" not in done.stderr

    def test_read_rate_zero_is_one_line_and_exit_2(self, tmp_path: Path) -> None:
        import subprocess
        import sys

        sweep = write_sweep(tmp_path, 1, keep_alive=60)
        sagesweep = Path(sys.executable).parent / "sagesweep"
        done = subprocess.run(
            [str(sagesweep), "submit", str(sweep), "--mock", "--read-rate", "0"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2
        assert "--read-rate" in done.stderr
        assert "Traceback" not in done.stderr


class TestKilled:
    def test_kill_9_and_rerun_creates_nothing_twice_and_holds_the_cap(self, tmp_path: Path) -> None:
        """Default --poll and --read-rate, a keep-alive: killed once 4 jobs exist, then
        rerun to the end: every name created once, never more than 3 running."""
        import os
        import signal
        import subprocess
        import sys
        import time

        sweep = write_sweep(tmp_path, 6, keep_alive=60)
        sagesweep = Path(sys.executable).parent / "sagesweep"
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        config = MockConfig(job_seconds=(0.5, 1.5), start_seconds=1.0, seed=4)
        with MockServer(config) as server:
            args = [str(sagesweep), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--max-running", "3", "--rate", "50", "--no-progress"]
            first = subprocess.Popen(
                args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
            )
            deadline = time.monotonic() + 120
            while server.stats().created < 4 and first.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            first.send_signal(signal.SIGKILL)
            first.wait()
            final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
            stats = server.stats()
            jobs = server.jobs()
        assert final.returncode == 0, final.stderr[-2000:]
        # A create the killed run made but did not record is sent again and answered
        # ResourceInUse (the name is the idempotency key): created once all the same.
        assert stats.created == len(jobs) == 12
        assert stats.peak_in_progress <= 3
        assert set(jobs.values()) == {"Completed"}
