"""Every command sagesweep suggests is one line that works as printed: pasted as it is,
it runs against the same jobs (the target included), never wrapped at 80 columns."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from sagesweep.mock import MockConfig, MockServer
from tests.sweeps import template

SAGESWEEP = Path(sys.executable).parent / "sagesweep"
ENV = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t", "COLUMNS": "80"}


def write_sweep(folder: Path, n: int, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "hints-sweep-with-a-rather-long-name",
        "template": template(),
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
        **extra,
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "a-sweep-file-in-a-deep-folder.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def the_hint(output: str, after: str) -> list[str]:
    """The command on the line after the one that ends with ``after``."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip().endswith(after):
            command = lines[i + 1]
            assert command.startswith("sagesweep "), command
            return shlex.split(command)
    raise AssertionError(f"no hint after {after!r} in:\n{output}")


def run(words: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    assert words[0] == "sagesweep"
    return subprocess.run(
        [str(SAGESWEEP), *words[1:]],
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
        **options,
    )


class TestHintsRunAsPrinted:
    def test_the_stop_hint_of_an_interrupted_mock_run_stops_its_jobs(self, tmp_path: Path) -> None:
        """SIGINT a driven `submit --mock`: the printed stop command (with --mock) works."""
        sweep = write_sweep(tmp_path / "some" / "deep" / "folder", 6, max_running=2)
        proc = subprocess.Popen(
            [str(SAGESWEEP), "submit", str(sweep), "--mock", "--poll", "0.2"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        ledger = sweep.parent / "hints-sweep-with-a-rather-long-name.ledger.jsonl"
        deadline = time.monotonic() + 60
        while ledger.read_text().count('"event":"job"') < 2 if ledger.exists() else True:
            assert time.monotonic() < deadline, "no job was created"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        command = the_hint(err, "To stop them:")
        assert "--mock" in command
        stopped = run([*command, "--yes"])
        assert stopped.returncode == 0, stopped.stderr
        assert "stopped 2 of" in stopped.stdout or "stopped" in stopped.stdout
        status = run(["sagesweep", "status", str(sweep), "--mock"])
        assert status.returncode == 0, status.stderr
        again = the_hint(status.stdout, "to run the stopped jobs again:")
        assert again[-2:] == ["--status", "Stopped"]
        resubmitted = run(again)
        assert resubmitted.returncode in (0, 1), resubmitted.stderr

    def test_the_resume_hint_of_a_stopped_sweep_launches_on(self, tmp_path: Path) -> None:
        """After `stop`, submit is refused with a command that, run as printed, goes on."""
        sweep = write_sweep(tmp_path, 3)
        with MockServer(MockConfig(job_seconds=0.2)) as server:
            base = ["sagesweep", "submit", str(sweep), "--endpoint-url", server.url]
            first = run([*base, "--rate", "50"])
            assert first.returncode == 0, first.stderr
            stop = run(["sagesweep", "stop", str(sweep), "--endpoint-url", server.url, "--yes"])
            assert stop.returncode == 0, stop.stderr
            refused = run(base)
            assert refused.returncode == 2
            (line,) = refused.stderr.strip().splitlines()
            command = shlex.split(line.split("add --resume-stopped: ", 1)[1])
            assert command[-1] == "--resume-stopped"
            assert server.url in command
            resumed = run(command)
        assert resumed.returncode == 0, resumed.stderr

    def test_the_retry_hint_names_the_target(self, tmp_path: Path) -> None:
        """Creates that failed before: the printed --retry-failed command is complete."""
        sweep = write_sweep(tmp_path, 2)
        dead = "http://127.0.0.1:9"
        base = ["sagesweep", "submit", str(sweep), "--endpoint-url", dead, "--outage-wait", "0"]
        first = run(base)
        assert first.returncode == 1
        again = run(base)
        command = the_hint(again.stderr, "to submit them again:")
        assert command[-1] == "--retry-failed"
        assert dead in command
        retried = run([*command, "--outage-wait", "0"])
        assert retried.returncode == 1  # the endpoint is still dead; the command itself is fine
        assert "Usage" not in retried.stderr
