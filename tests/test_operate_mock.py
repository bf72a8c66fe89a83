"""status, stop and results against the realistic mock, end to end (docs/cli.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from sagesweep import operate
from sagesweep.api import submit
from sagesweep.mock import MockConfig, MockServer
from sagesweep.parts import Parts
from sagesweep.submitting.pacing import Backoff

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, sweep: str, n: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": sweep,
        "template": {
            "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
            "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
            "ResourceConfig": {
                "InstanceType": "ml.m5.xlarge",
                "InstanceCount": 1,
                "VolumeSizeInGB": 5,
            },
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / f"{sweep}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def statuses(server: MockServer, names: list[str]) -> dict[str, str]:
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {n: sm.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] for n in names}


def ledger_names(path: Path) -> list[str]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    return [r["name"] for r in records if r["event"] == "job"]


@pytest.fixture
def long_jobs() -> Iterator[MockServer]:
    with MockServer(MockConfig(job_seconds=600)) as server:
        yield server


class TestDecoy:
    async def test_a_sweep_named_like_ours_plus_a_suffix_is_never_touched(
        self, tmp_path: Path, long_jobs: MockServer
    ) -> None:
        """`xgb` and `xgb-2` in one account: status and stop of `xgb` see only its own jobs."""
        url = long_jobs.url
        ours = await submit(write_sweep(tmp_path, "xgb", 4), endpoint_url=url, parts=FAST)
        decoy = await submit(write_sweep(tmp_path, "xgb-2", 3), endpoint_url=url, parts=FAST)
        seen = await operate.status(tmp_path / "xgb.yaml", endpoint_url=url)
        assert seen.counts["InProgress"] == 4
        assert {row.name for row in seen.jobs} == set(ledger_names(ours.ledger))
        report = await operate.stop(tmp_path / "xgb.yaml", endpoint_url=url)
        assert len(report.stopped) == 4
        decoys = ledger_names(decoy.ledger)
        assert set(statuses(long_jobs, decoys).values()) == {"InProgress"}


class TestStopWhileSubmitting:
    def test_stop_ends_the_submitter_and_leaves_nothing_running(
        self, tmp_path: Path, long_jobs: MockServer
    ) -> None:
        """stop during a submit: the submitter exits 143, its ledger whole, no job runs on."""
        sweep = write_sweep(tmp_path, "busy", 300)
        ledger = tmp_path / "busy.ledger.jsonl"
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", long_jobs.url]
        submitter = subprocess.Popen(
            [*args, "--rate", "20", "--quiet"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if ledger.exists() and len(ledger_names(ledger)) >= 10:
                break
            time.sleep(0.05)
        stop = subprocess.run(
            [str(SAGESWEEP), "stop", str(sweep), "--endpoint-url", long_jobs.url, "--yes"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        _, err = submitter.communicate(timeout=60)
        assert submitter.returncode == 143, err
        assert stop.returncode == 0, stop.stderr
        assert "stopped the running submitter" in stop.stderr
        names = ledger_names(ledger)  # every line parses: the ledger is whole
        assert 10 <= len(names) < 300
        assert "InProgress" not in set(statuses(long_jobs, names).values())
        assert long_jobs.stats().created == len(names)
