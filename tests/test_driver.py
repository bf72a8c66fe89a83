"""The driver: a cap on running jobs, a run until done, capacity failures retried."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.mock import MockConfig, MockServer
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"
ATTEMPT = re.compile(r"(?P<base>.+)-r(?P<n>[0-9]+)")


def write_sweep(tmp_path: Path, n: int, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "drv",
        "template": template(),
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
        **extra,
    }
    path = tmp_path / "drv.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def split(name: str) -> tuple[str, int]:
    match = ATTEMPT.fullmatch(name)
    return (match["base"], int(match["n"])) if match else (name, 0)


class TestCap:
    async def test_never_more_than_the_cap_and_every_job_ends(self, tmp_path: Path) -> None:
        """200 jobs, --max-running 7: the mock never saw 8 running; all ended at exit."""
        config = MockConfig(job_seconds=(0.1, 0.4), seed=1)
        with MockServer(config) as server:
            summary = await submit(
                write_sweep(tmp_path, 200),
                endpoint_url=server.url,
                max_running=7,
                poll=0.1,
                rate=1000,
                parts=FAST,
            )
            stats = server.stats()
            statuses = Counter(server.jobs().values())
        assert summary.exit_code == 0
        assert 1 <= stats.peak_in_progress <= 7
        assert statuses == {"Completed": 200}

    async def test_capacity_failures_get_one_more_attempt_and_no_other_does(
        self, tmp_path: Path
    ) -> None:
        """--resubmit-on CapacityError: exactly those failures are retried, once each."""
        config = MockConfig(job_seconds=(0.05, 0.2), fail_rate=0.2, seed=9)
        with MockServer(config) as server:
            await submit(
                write_sweep(tmp_path, 150),
                endpoint_url=server.url,
                max_running=10,
                poll=0.1,
                rate=1000,
                resubmit_on="CapacityError",
                max_attempts=1,
                parts=FAST,
            )
            jobs = server.jobs()
            reasons = _reasons(server, [n for n, s in jobs.items() if s == "Failed"])
        first_capacity = {n for n, r in reasons.items() if split(n)[1] == 0 and "Capacity" in r}
        others = {n for n, r in reasons.items() if split(n)[1] == 0 and "Capacity" not in r}
        retried = {split(n)[0] for n in jobs if split(n)[1] == 1}
        assert first_capacity
        assert retried == first_capacity
        assert not retried & others
        assert max(split(n)[1] for n in jobs) == 1  # --max-attempts 1
        assert "InProgress" not in set(jobs.values())


class TestKilled:
    def test_sigkill_twice_then_rerun_runs_each_attempt_once_under_the_cap(
        self, tmp_path: Path
    ) -> None:
        """Two kill -9 mid-run, then a rerun: no job created twice, the cap always held."""
        rng = random.Random(3)
        sweep = write_sweep(tmp_path, 60, max_running=4)
        config = MockConfig(job_seconds=(0.3, 0.8), fail_rate=0.2, seed=5)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        with MockServer(config) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--poll", "0.2", "--rate", "200", "--resubmit-on", "CapacityError"]
            for _ in range(2):
                proc = subprocess.Popen(
                    args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
                )
                time.sleep(rng.uniform(2.0, 4.0))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            final = subprocess.run(args, capture_output=True, text=True, env=env, timeout=180)
            stats = server.stats()
            jobs = server.jobs()
        newest: dict[str, tuple[int, str]] = {}
        for name, status in jobs.items():
            base, n = split(name)
            if base not in newest or n > newest[base][0]:
                newest[base] = (n, status)
        # A driven run exits 1 when a job ended Failed (docs/driving.md#exit-codes).
        failed = any(status == "Failed" for _, status in newest.values())
        assert final.returncode == (1 if failed else 0), final.stderr[-2000:]
        assert stats.created == len(jobs)  # no name was created twice
        assert stats.peak_in_progress <= 4
        assert "InProgress" not in set(jobs.values())
        assert {split(n)[0] for n in jobs} == {split(n)[0] for n in jobs if split(n)[1] == 0}
        assert len({n for n in jobs if split(n)[1] == 0}) == 60
        ledger = [json.loads(x) for x in (tmp_path / "drv.ledger.jsonl").read_text().splitlines()]
        ended = [r["name"] for r in ledger if r["event"] == "end"]
        assert set(ended) <= set(jobs)


def _reasons(server: MockServer, names: list[str]) -> dict[str, str]:
    import boto3

    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    out = {}
    for name in names:
        out[name] = sm.describe_training_job(TrainingJobName=name).get("FailureReason", "")
    return out


class TestInterrupt:
    def test_first_sigint_leaves_jobs_running_and_says_how_to_stop_them(
        self, tmp_path: Path
    ) -> None:
        """SIGINT: no new job, running ones left alone, the stop command printed, exit 130."""
        sweep = write_sweep(tmp_path, 30, max_running=3)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        with MockServer(MockConfig(job_seconds=60.0)) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            proc = subprocess.Popen(
                [*args, "--poll", "0.2", "--rate", "100"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and server.stats().created < 3:
                time.sleep(0.05)
            time.sleep(0.5)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=60)
            jobs = server.jobs()
        assert proc.returncode == 130, err[-2000:]
        assert "sagesweep stop" in err
        assert list(jobs.values()) == ["InProgress"] * 3
