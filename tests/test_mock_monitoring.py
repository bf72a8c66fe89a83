"""--mock means this sweep's local account in every command: while a `submit --mock`
runs, `status --mock`, `results --mock` and `stop --mock` in another terminal see and act
on its jobs (docs/mock.md#the-embedded-mock)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from tests.sweeps import template

SAGESWEEP = Path(sys.executable).parent / "sagesweep"
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}


def write_sweep(tmp_path: Path, n: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": "watch",
        "template": template(),
        "max_running": 3,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / "watch.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SAGESWEEP), *args], capture_output=True, text=True, env=ENV, timeout=120
    )


def created(ledger: Path) -> int:
    if not ledger.exists():
        return 0
    return sum('"event":"job"' in line for line in ledger.read_text().splitlines())


class TestSecondTerminal:
    def test_status_results_and_stop_act_on_the_running_submits_mock(self, tmp_path: Path) -> None:
        """status and results see the running jobs; stop ends the submitter and its jobs."""
        sweep = write_sweep(tmp_path, 12)
        ledger = tmp_path / "watch.ledger.jsonl"
        submitter = subprocess.Popen(
            [
                *(str(SAGESWEEP), "submit", str(sweep), "--mock", "--poll", "0.2"),
                *("--mock-option", "job_seconds=120", "--mock-option", "fail_rate=0"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        try:
            deadline = time.monotonic() + 60
            while created(ledger) < 3:
                assert time.monotonic() < deadline, "the submitter created no job"
                time.sleep(0.05)
            status = run("status", str(sweep), "--mock", "--format", "json")
            assert status.returncode == 0, status.stderr
            assert json.loads(status.stdout)["counts"]["InProgress"] == 3
            results = run("results", str(sweep), "--mock", "--format", "jsonl")
            assert results.returncode == 0, results.stderr
            assert len(results.stdout.splitlines()) == 3
            stop = run("stop", str(sweep), "--mock", "--yes")
            assert stop.returncode == 0, stop.stderr
        finally:
            if submitter.poll() is None:
                submitter.kill()
            _, err = submitter.communicate(timeout=60)
        assert submitter.returncode == 143, err[-2000:]
        after = run("status", str(sweep), "--mock", "--format", "json")
        counts = json.loads(after.stdout)["counts"]
        assert counts["InProgress"] == 0
        assert counts["Stopping"] + counts["Stopped"] == 3

    def test_mock_options_are_remembered_beside_the_account(self, tmp_path: Path) -> None:
        """--mock-option fail_rate=1 on submit: a later status --mock sees every job failed."""
        sweep = write_sweep(tmp_path, 3)
        first = run(
            "submit",
            str(sweep),
            "--mock",
            "--poll",
            "0.2",
            "--mock-option",
            "job_seconds=0.2",
            "--mock-option",
            "fail_rate=1",
        )
        assert first.returncode == 1, first.stderr  # every job failed in training
        later = run("status", str(sweep), "--mock", "--format", "json")
        assert json.loads(later.stdout)["counts"]["Failed"] == 3
        options = tmp_path / "watch.ledger.jsonl.mock.options"
        assert json.loads(options.read_text()) == {"job_seconds": "0.2", "fail_rate": "1"}

    def test_the_flag_spelling_is_a_key_too(self) -> None:
        """job-seconds (as ``sagesweep mock --job-seconds``) means job_seconds."""
        from sagesweep.commands.embedded import parse_mock_options

        given = parse_mock_options(["job-seconds=0", "--fail-rate=0.2", "seed=3"])
        assert given == {"job_seconds": "0", "fail_rate": "0.2", "seed": "3"}

    def test_a_bad_mock_option_is_one_line(self, tmp_path: Path) -> None:
        sweep = write_sweep(tmp_path, 1)
        done = run("submit", str(sweep), "--mock", "--mock-option", "job_seconds=fast")
        assert done.returncode == 2
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("<cli>: --mock-option: job_seconds:")
