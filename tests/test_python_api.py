"""The Python API's own rules: one target at a time, and one place to swap parts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.aws.client import ClientSettings
from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from tests.sweeps import template

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


def write_sweep(tmp_path: Path, n: int) -> Path:
    doc = {
        "sweep": "api",
        "template": REQUEST,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / "api.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class RecordingClient:
    """Answers every create with an ARN and remembers the names it was asked for."""

    class meta:
        region_name = "us-east-1"

    def __init__(self) -> None:
        self.created: list[str] = []

    async def create_training_job(self, **request: Any) -> dict[str, str]:
        self.created.append(request["TrainingJobName"])
        return {"TrainingJobArn": f"arn:test:training-job/{request['TrainingJobName']}"}


class TestTargets:
    async def test_mock_and_endpoint_url_are_refused_together(self, tmp_path: Path) -> None:
        """Like the CLI, the API will not pick one of two targets silently."""
        with pytest.raises(InputError, match="mock and endpoint_url are exclusive"):
            await submit(write_sweep(tmp_path, 2), mock=True, endpoint_url="http://127.0.0.1:9")


class TestParts:
    async def test_an_injected_client_is_the_one_every_call_goes_to(self, tmp_path: Path) -> None:
        """Parts(open_client=...) replaces the AWS client: no server, no credentials."""
        client = RecordingClient()
        seen: list[ClientSettings] = []

        @asynccontextmanager
        async def open_client(settings: ClientSettings) -> AsyncIterator[Any]:
            seen.append(settings)
            yield client

        summary = await submit(
            write_sweep(tmp_path, 3),
            endpoint_url="http://127.0.0.1:9",
            rate=1000,
            summary=False,
            parts=Parts(open_client=open_client),
        )
        assert summary.counts["submitted"] == 3
        assert len(set(client.created)) == 3
        assert [s.endpoint_url for s in seen] == ["http://127.0.0.1:9"]


class TestQuietByDefault:
    def test_a_program_using_sagesweep_sees_no_log_line(self, tmp_path: Path) -> None:
        """submit_sync in a script that configured nothing: no per-job line anywhere."""
        import subprocess
        import sys

        sweep = tmp_path / "quiet.yaml"
        doc = {
            "sweep": "quiet",
            "template": template(),
            "parameters": {"HyperParameters.i": {"range": [0, 3, 1]}},
        }
        sweep.write_text(yaml.safe_dump(doc))
        script = (
            "import sys, sagesweep\n"
            "summary = sagesweep.submit_sync(sys.argv[1], mock=True, summary=False)\n"
            "now = sagesweep.status_sync(sys.argv[1], mock=True)\n"
            "print(summary.exit_code, now.counts['NotSubmitted'], len(now.jobs))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(sweep)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "0 0 3\n"
        assert done.stderr == ""
