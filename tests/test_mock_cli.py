"""``sagesweep mock`` as a separate process: address on the first line, clean exit."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

SAGESWEEP = Path(sys.executable).with_name("sagesweep")
REQUEST = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:latest", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
    "ResourceConfig": {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


@pytest.mark.parametrize(
    "signum", [pytest.param(signal.SIGTERM, id="sigterm"), pytest.param(signal.SIGINT, id="sigint")]
)
def test_serves_until_signalled(signum: signal.Signals) -> None:
    """First stdout line is the address; a signal ends the process with exit code 0."""
    process = subprocess.Popen(
        [
            str(SAGESWEEP),
            "mock",
            "--port",
            "0",
            "--quota",
            "ml.p3.2xlarge=1",
            "--job-seconds",
            "60",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:(\d+))\n", first)
        assert match, first
        sm = boto3.client(
            "sagemaker",
            endpoint_url=match.group(1),
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}),
        )
        sm.create_training_job(TrainingJobName="cli-1", **REQUEST)
        # The --quota option reached the server: a second p3 job does not fit.
        with pytest.raises(sm.exceptions.ResourceLimitExceeded):
            sm.create_training_job(TrainingJobName="cli-2", **REQUEST)
        process.send_signal(signum)
        _, stderr = process.communicate(timeout=15)
        assert process.returncode == 0, stderr
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_bad_quota_is_a_usage_error() -> None:
    """A malformed --quota exits 2 with a one-line reason."""
    result = subprocess.run(
        [str(SAGESWEEP), "mock", "--quota", "p3=lots"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--quota" in result.stderr
    assert "Traceback" not in result.stderr
