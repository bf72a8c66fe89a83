"""Chaos: faults, throttling and repeated SIGKILLs, then resume — exactly once, nothing lost."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from tests.chains import chain_problems
from tests.test_submit import arn_of, write_sweep

SAGESWEEP = Path(sys.executable).parent / "sagesweep"
JOBS = 2000
KILLS = 3


def _ledger_lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) if path.exists() else 0


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_sigkilled_submitter_resumes_to_exactly_once(tmp_path: Path) -> None:
    """2,000 jobs, 5% errors, 2% drops, throttling, 3 SIGKILLs: each created once, all recorded."""
    rng = random.Random(20261126)
    sweep = write_sweep(tmp_path, JOBS, sweep="chaos")
    planned = {job.name for job in Planner(load_config(sweep)).jobs()}
    assert len(planned) == JOBS
    ledger = tmp_path / "chaos.ledger.jsonl"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    config = MockConfig(
        error_rate=0.05, drop_rate=0.02, throttle_rate=80, throttle_burst=10, seed=11
    )
    with MockServer(config) as srv:
        command = [
            str(SAGESWEEP),
            "submit",
            str(sweep),
            "--endpoint-url",
            srv.url,
            "--ledger",
            str(ledger),
            "--rate",
            "500",
            "--concurrency",
            "16",
            "--quiet",
        ]
        kills = 0
        exit_codes = []
        for _ in range(KILLS + 5):
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            if kills < KILLS:
                # Kill at a random moment once this run has made some progress.
                start = _ledger_lines(ledger)
                target = start + rng.randint(20, 300)
                deadline = time.monotonic() + 60
                while proc.poll() is None and time.monotonic() < deadline:
                    if _ledger_lines(ledger) >= target:
                        break
                    time.sleep(0.01)
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            _, err = proc.communicate(timeout=180)
            exit_codes.append(proc.returncode)
            assert "Traceback" not in err, err
            if proc.returncode == 0 and kills >= KILLS:
                break
        assert kills == KILLS, exit_codes
        assert exit_codes[-1] == 0, exit_codes
        stats = srv.stats()
        assert stats.created == JOBS
        assert stats.errors_injected > 0
        assert stats.dropped_after_apply > 0
        assert stats.throttled > 0
        assert set(srv.jobs()) == planned

        records = [json.loads(line) for line in ledger.read_text().splitlines()]
        jobs = [r for r in records if r["event"] == "job"]
        arns: dict[str, set[str]] = {}
        for r in jobs:
            assert r["status"] in ("submitted", "exists"), r
            arns.setdefault(r["name"], set()).add(r["arn"])
        assert set(arns) == planned
        assert all(found == {arn_of(srv, name)} for name, found in arns.items())


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_driven_run_under_faults_and_kills_completes_every_attempt_chain(
    tmp_path: Path,
) -> None:
    """--max-running, --resubmit-on, faults, 3 SIGKILLs and a SIGINT: chains complete, once."""
    rng = random.Random(20261207)
    sweep = write_sweep(tmp_path, 120, sweep="drive")
    planned = {job.name for job in Planner(load_config(sweep)).jobs()}
    ledger = tmp_path / "drive.ledger.jsonl"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    config = MockConfig(
        error_rate=0.05,
        drop_rate=0.02,
        throttle_rate=80,
        throttle_burst=10,
        job_seconds=(0.2, 0.8),
        fail_rate=0.35,
        seed=12,
    )
    pattern = "CapacityError|InternalServerError"
    with MockServer(config) as srv:
        command = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", srv.url]
        command += ["--ledger", str(ledger), "--rate", "300", "--max-running", "8"]
        command += ["--poll", "0.2", "--resubmit-on", pattern, "--max-attempts", "2", "--quiet"]
        interruptions = [signal.SIGKILL, signal.SIGINT, signal.SIGKILL, signal.SIGKILL]
        sent: list[int] = []
        codes: list[int] = []
        for _ in range(len(interruptions) + 4):
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            if len(sent) < len(interruptions):
                target = _ledger_lines(ledger) + rng.randint(5, 60)
                deadline = time.monotonic() + 60
                while proc.poll() is None and time.monotonic() < deadline:
                    if _ledger_lines(ledger) >= target:
                        break
                    time.sleep(0.01)
                if proc.poll() is None:
                    signum = interruptions[len(sent)]
                    proc.send_signal(signum)
                    sent.append(signum)
            _, err = proc.communicate(timeout=240)
            codes.append(proc.returncode)
            assert "Traceback" not in err, err
            if len(sent) == len(interruptions) and proc.returncode in (0, 1):
                break
        problems = chain_problems(srv, ledger, pattern=pattern, max_attempts=2, planned=planned)
        stats = srv.stats()
    assert len(sent) == len(interruptions), codes
    assert signal.SIGINT in sent
    assert codes[-1] in (0, 1), codes
    assert problems == []
    assert stats.peak_in_progress <= 8
    assert stats.errors_injected > 0
    assert stats.dropped_after_apply > 0
