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
