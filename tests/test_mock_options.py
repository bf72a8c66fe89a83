"""The mock's new settings: parsing, checking, and the ``sagesweep mock`` options."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from sagesweep.mock import MockConfig, parse_fail_reasons, parse_job_seconds
from sagesweep.mock.fate import CAPACITY_ERROR
from tests.test_mock_server import REQUEST

SAGESWEEP = Path(sys.executable).with_name("sagesweep")


class TestParseJobSeconds:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("30", 30.0, id="fixed"),
            pytest.param("0", 0.0, id="zero"),
            pytest.param("1-3", (1.0, 3.0), id="range"),
            pytest.param(" 0.5-0.5 ", (0.5, 0.5), id="empty-range"),
        ],
    )
    def test_accepts(self, text: str, expected: Any) -> None:
        """SECONDS or MIN-MAX."""
        assert parse_job_seconds(text) == expected

    @pytest.mark.parametrize("text", ["3-1", "x", "-1", "1-", "inf", "1-inf", ""])
    def test_rejects_in_one_line(self, text: str) -> None:
        """Anything else is a one-line ValueError."""
        with pytest.raises(ValueError, match=r"^[^\n]+$"):
            parse_job_seconds(text)


class TestParseFailReasons:
    def test_accepts_weights(self) -> None:
        """KIND=WEIGHT pairs, comma-separated."""
        assert parse_fail_reasons("CapacityError=2, AlgorithmError=1") == {
            "CapacityError": 2.0,
            "AlgorithmError": 1.0,
        }

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param("OutOfMemory=1", "must be one of", id="unknown-kind"),
            pytest.param("CapacityError", "KIND=WEIGHT", id="no-weight"),
            pytest.param("CapacityError=lots", "must be a number", id="not-number"),
            pytest.param("CapacityError=-1", ">= 0", id="negative"),
            pytest.param("CapacityError=0", "at least one", id="all-zero"),
            pytest.param("CapacityError=1,CapacityError=2", "twice", id="twice"),
        ],
    )
    def test_rejects(self, text: str, message: str) -> None:
        """Unknown kinds and bad weights are one-line errors."""
        with pytest.raises(ValueError, match=message):
            parse_fail_reasons(text)


class TestConfig:
    @pytest.mark.parametrize(
        "settings",
        [
            pytest.param({"fail_rate": 1.5}, id="fail-rate"),
            pytest.param({"read_rate": 0}, id="read-rate"),
            pytest.param({"stop_burst": 0}, id="stop-burst"),
            pytest.param({"job_seconds": (3, 1)}, id="reversed-range"),
            pytest.param({"fail_reasons": {"Nope": 1}}, id="fail-reasons"),
        ],
    )
    def test_rejects_impossible_values(self, settings: dict[str, Any]) -> None:
        """Nonsense fails when the config is built."""
        with pytest.raises(ValueError, match="must"):
            MockConfig(**settings)

    def test_bucket_sizes_default_to_one_second(self) -> None:
        """A family bucket without a burst holds one second's refill."""
        config = MockConfig(read_rate=2.5, stop_rate=0.5, stop_burst=3)
        assert (config.read_bucket_size, config.stop_bucket_size) == (3, 3)

    def test_state_file_becomes_a_path(self) -> None:
        """A string path is accepted and kept as a Path."""
        assert MockConfig(state_file="x.json").state_file == Path("x.json")  # type: ignore[arg-type]


class TestCommand:
    @pytest.mark.parametrize(
        ("args", "option"),
        [
            pytest.param(["--job-seconds", "3-1"], "--job-seconds", id="job-seconds"),
            pytest.param(["--fail-reasons", "Bogus=1"], "--fail-reasons", id="fail-reasons"),
            pytest.param(["--read-rate", "0"], "read_rate", id="read-rate"),
        ],
    )
    def test_bad_options_exit_2(self, args: list[str], option: str) -> None:
        """A bad new option is a usage error naming it, never a traceback."""
        result = subprocess.run(
            [str(SAGESWEEP), "mock", *args], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 2
        assert option in result.stderr
        assert "Traceback" not in result.stderr

    def test_options_reach_the_server(self) -> None:
        """--job-seconds, --fail-rate, --fail-reasons and --seed shape the jobs served."""
        process = subprocess.Popen(
            [
                str(SAGESWEEP),
                "mock",
                "--job-seconds",
                "0.5-1",
                "--fail-rate",
                "1",
                "--fail-reasons",
                "CapacityError=1",
                "--seed",
                "4",
                "--read-rate",
                "1000",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert process.stdout is not None
            match = re.fullmatch(r"listening on (http://\S+)\n", process.stdout.readline())
            assert match
            sm = boto3.client(
                "sagemaker",
                endpoint_url=match.group(1),
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
                config=Config(retries={"total_max_attempts": 1}),
            )
            sm.create_training_job(TrainingJobName="job-1", **REQUEST)
            # Waits for the state, however loaded the machine: the deadline only ends a
            # run that is broken.
            deadline = time.monotonic() + 120
            while (described := sm.describe_training_job(TrainingJobName="job-1"))[
                "TrainingJobStatus"
            ] == "InProgress":
                assert time.monotonic() < deadline
                time.sleep(0.05)
            assert described["FailureReason"] == CAPACITY_ERROR
            # --job-seconds shaped its life on the mock's own timeline (the times it
            # records follow the job's fate, not when anyone looks): under 1 s, not 0.
            lived = described["LastModifiedTime"] - described["CreationTime"]
            assert 0 < lived.total_seconds() <= 1.0
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=30)
        assert process.returncode == 0
