"""A driven run with --resubmit-on resumes from the ledger and AWS, not from memory
(docs/driving.md#resuming): no retry decision lost, no attempt left unrecorded, and
every path through the driver ends."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from sagesweep.commands.parts import Parts
from sagesweep.commands.resubmit import resubmit
from sagesweep.commands.status import status
from sagesweep.commands.submit import submit
from sagesweep.ledger.members import read_members
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.resubmitting.attempts import attempt_spec
from sagesweep.submitting.pacing import Backoff
from tests.chains import chain_problems, ledger_records
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"
CAPACITY_ONLY = {"CapacityError": 1.0}


def write_sweep(tmp_path: Path, n: int, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "dr",
        "template": template(),
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
        **extra,
    }
    path = tmp_path / "dr.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def write_tpe_sweep(tmp_path: Path, count: int, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "dr",
        "template": template(),
        "method": "tpe",
        "count": count,
        "seed": 5,
        "objective": {"metric": "validation:auc", "goal": "maximize"},
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 0.3},
            "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 2, "max": 12},
        },
        **extra,
    }
    path = tmp_path / "dr.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def planned_names(sweep: Path) -> set[str]:
    return {job.name for job in Planner(load_config(sweep)).jobs()}


def wait_until_ended(server: MockServer, timeout: float = 60.0) -> None:
    """Until the mock has no job InProgress (a state, not a clock, decides)."""
    deadline = time.monotonic() + timeout
    while "InProgress" in server.jobs().values():
        assert time.monotonic() < deadline, "jobs still running"
        time.sleep(0.05)


def sagemaker(server: MockServer) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )


class TestRetryDecisions:
    async def test_a_failure_recorded_without_its_next_attempt_gets_it_on_the_rerun(
        self, tmp_path: Path
    ) -> None:
        """End records written, no -r1 made (a kill in between): the rerun makes every -r1."""
        sweep = write_sweep(tmp_path, 6)
        config = MockConfig(job_seconds=0.2, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=3)
        with MockServer(config) as server:
            # Every ending recorded and no next attempt made: what a run killed after its
            # polls and before creating the attempts it decided on leaves behind.
            await submit(sweep, endpoint_url=server.url, until_done=True, poll=0.1, parts=FAST)
            assert set(server.jobs()) == planned_names(sweep)
            await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                max_attempts=1,
                poll=0.1,
                rate=100,
                parts=FAST,
            )
            problems = chain_problems(
                server,
                tmp_path / "dr.ledger.jsonl",
                pattern="CapacityError",
                max_attempts=1,
                planned=planned_names(sweep),
            )
        assert problems == []

    async def test_a_failure_not_matching_the_pattern_gets_no_attempt(self, tmp_path: Path) -> None:
        """The rule is the same on a rerun: an AlgorithmError is not retried on CapacityError."""
        sweep = write_sweep(tmp_path, 4)
        reasons = {"AlgorithmError": 1.0}
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=reasons, seed=3)
        with MockServer(config) as server:
            await submit(sweep, endpoint_url=server.url, until_done=True, poll=0.1, parts=FAST)
            await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                poll=0.1,
                parts=FAST,
            )
            assert set(server.jobs()) == planned_names(sweep)


class TestAttemptChains:
    def test_an_attempt_of_an_attempt_keeps_the_jobs_own_base(self, tmp_path: Path) -> None:
        """-r2 made from -r1's request is {base}-r2, and its base is the job, not -r1."""
        first = next(Planner(load_config(write_sweep(tmp_path, 1))).jobs())
        second = attempt_spec(attempt_spec(first, 1), 2)
        third = attempt_spec(second, 3)
        assert (second.name, second.base_name) == (f"{first.name}-r2", first.name)
        assert (third.name, third.base_name) == (f"{first.name}-r3", first.name)

    def test_a_ledger_with_an_attempt_as_a_base_is_read_with_the_jobs_base(
        self, tmp_path: Path
    ) -> None:
        """An -r2 recorded with base -r1 (as earlier versions wrote) belongs to the job."""
        ledger = tmp_path / "dr.ledger.jsonl"
        lines: list[dict[str, Any]] = [{"event": "run", "phase": "start", "sweep": "dr"}]
        for name, attempt, base in (
            ("dr-a", 0, "dr-a"),
            ("dr-a-r1", 1, "dr-a"),
            ("dr-a-r2", 2, "dr-a-r1"),
        ):
            lines.append(
                {
                    "event": "job",
                    "ts": 1.0,
                    "name": name,
                    "digest": "a",
                    "status": "submitted",
                    "arn": "x",
                    "attempts": 1,
                    "params": {},
                    "error": None,
                    "attempt": attempt,
                    "base": base,
                }
            )
        ledger.write_text("".join(json.dumps(line) + "\n" for line in lines))
        members = read_members(ledger, "dr")
        assert [m.name for m in members.latest()] == ["dr-a-r2"]
        assert members.jobs["dr-a-r2"].base == "dr-a"

    async def test_three_attempts_in_one_run_are_named_r1_r2_r3(self, tmp_path: Path) -> None:
        """Every job fails on capacity: one run makes -r1, -r2, -r3 of each, nothing else."""
        sweep = write_sweep(tmp_path, 3)
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=6)
        with MockServer(config) as server:
            await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                max_attempts=3,
                poll=0.1,
                parts=FAST,
            )
            problems = chain_problems(
                server,
                tmp_path / "dr.ledger.jsonl",
                pattern="CapacityError",
                max_attempts=3,
                planned=planned_names(sweep),
            )
            names = set(server.jobs())
        assert problems == []
        assert len(names) == 3 * 4


class TestLostAttempts:
    async def _one_attempt_made_by_hand(self, tmp_path: Path, server: MockServer) -> str:
        """Run the sweep to its end, then create one job's -r1 as a killed driver would
        have: on AWS, not in the ledger."""
        sweep = tmp_path / "dr.yaml"
        await submit(sweep, endpoint_url=server.url, until_done=True, poll=0.1, parts=FAST)
        first = next(Planner(load_config(sweep)).jobs())
        lost = attempt_spec(first, 1)
        sagemaker(server).create_training_job(**lost.request)
        wait_until_ended(server)
        return lost.name

    async def test_status_shows_an_attempt_the_ledger_lost(self, tmp_path: Path) -> None:
        """status reads the -r1 AWS has as the job's newest attempt, not its failed base."""
        sweep = write_sweep(tmp_path, 3)
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=4)
        with MockServer(config) as server:
            lost = await self._one_attempt_made_by_hand(tmp_path, server)
            now = await status(sweep, endpoint_url=server.url)
        rows = {row.name: row for row in now.jobs}
        assert lost in rows
        assert rows[lost].attempt == 1
        assert len(rows) == 3

    async def test_a_rerun_records_an_attempt_the_ledger_lost_and_makes_no_second(
        self, tmp_path: Path
    ) -> None:
        """The lost -r1 is recorded as exists and counts; the other jobs get their -r1."""
        sweep = write_sweep(tmp_path, 3)
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=4)
        with MockServer(config) as server:
            lost = await self._one_attempt_made_by_hand(tmp_path, server)
            await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                max_attempts=1,
                poll=0.1,
                parts=FAST,
            )
            ledger = tmp_path / "dr.ledger.jsonl"
            problems = chain_problems(
                server,
                ledger,
                pattern="CapacityError",
                max_attempts=1,
                planned=planned_names(sweep),
            )
        assert problems == []
        records = [r for r in ledger_records(ledger) if r.get("name") == lost]
        assert [r["status"] for r in records if r["event"] == "job"] == ["exists"]


class TestEveryPathEnds:
    @pytest.mark.timeout(90)
    async def test_a_driven_rerun_after_a_resubmit_ends(self, tmp_path: Path) -> None:
        """submit, resubmit, then submit --resubmit-on: the last one ends (a liveness bound)."""
        sweep = write_sweep(tmp_path, 8)
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=2)
        with MockServer(config) as server:
            await submit(sweep, endpoint_url=server.url, parts=FAST)
            wait_until_ended(server)
            await resubmit(sweep, endpoint_url=server.url, parts=FAST)
            wait_until_ended(server)
            await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                max_attempts=1,
                poll=0.1,
                parts=FAST,
            )
            problems = chain_problems(
                server,
                tmp_path / "dr.ledger.jsonl",
                pattern="CapacityError",
                max_attempts=1,
                planned=planned_names(sweep),
            )
        assert problems == []

    @pytest.mark.timeout(90)
    async def test_an_attempt_whose_create_was_refused_ends_the_run(self, tmp_path: Path) -> None:
        """A -r1 the ledger has as failed (never created) is not waited for forever."""
        sweep = write_sweep(tmp_path, 2)
        config = MockConfig(job_seconds=0.1, fail_rate=1.0, fail_reasons=CAPACITY_ONLY, seed=2)
        with MockServer(config) as server:
            await submit(sweep, endpoint_url=server.url, until_done=True, poll=0.1, parts=FAST)
            ledger = tmp_path / "dr.ledger.jsonl"
            first = next(Planner(load_config(sweep)).jobs())
            refused = {
                "event": "job",
                "ts": time.time(),
                "name": f"{first.name}-r1",
                "digest": first.digest,
                "status": "failed",
                "arn": None,
                "attempts": 1,
                "params": dict(first.params),
                "error": {"code": "ValidationException", "message": "refused"},
                "attempt": 1,
                "base": first.name,
            }
            with ledger.open("a") as handle:
                handle.write(json.dumps(refused, separators=(",", ":")) + "\n")
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                resubmit_on="CapacityError",
                max_attempts=1,
                poll=0.1,
                parts=FAST,
            )
            jobs = server.jobs()
        assert f"{first.name}-r1" not in jobs  # left to --retry-failed, as a failed create
        assert summary.counts["failed_earlier"] == 1


def _complete_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    found = []
    for line in path.read_bytes().split(b"\n")[:-1]:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


def _a_retry_is_pending(ledger: Path, pattern: str) -> bool:
    """The ledger has a retryable ending whose next attempt it does not have yet."""
    records = _complete_lines(ledger)
    names = {r.get("name") for r in records if r.get("event") == "job"}
    for record in records:
        if record.get("event") != "end" or record.get("status") != "Failed":
            continue
        if pattern in str(record.get("failure_reason") or ""):
            name = str(record["name"])
            base, _, n = name.rpartition("-r")
            following = f"{base}-r{int(n) + 1}" if n.isdigit() and base else f"{name}-r1"
            if following not in names:
                return True
    return False


def _kill_when(proc: subprocess.Popen[bytes], ready: Any, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.02)
    proc.wait()
    return False


class TestKilled:
    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_kill_9_between_a_retry_decision_and_its_attempt(
        self, tmp_path: Path, seed: int
    ) -> None:
        """kill -9 while decided retries wait, twice, then rerun: every chain complete."""
        rng = random.Random(seed)
        sweep = write_sweep(tmp_path, 40, max_running=4)
        ledger = tmp_path / "dr.ledger.jsonl"
        config = MockConfig(
            job_seconds=(0.2, 0.6),
            fail_rate=0.5,
            fail_reasons={"CapacityError": 2.0, "AlgorithmError": 1.0},
            seed=seed,
        )
        with MockServer(config) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--poll", "0.2", "--rate", "200", "--quiet"]
            args += ["--resubmit-on", "CapacityError", "--max-attempts", "2"]
            kills = 0
            for _ in range(2):
                proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(rng.uniform(0.0, 0.5))
                kills += _kill_when(proc, lambda: _a_retry_is_pending(ledger, "CapacityError"))
            final = subprocess.run(args, capture_output=True, text=True, timeout=180)
            problems = chain_problems(
                server,
                ledger,
                pattern="CapacityError",
                max_attempts=2,
                planned=planned_names(sweep),
            )
            peak = server.stats().peak_in_progress
        assert kills == 2
        assert "Traceback" not in final.stderr, final.stderr[-2000:]
        assert problems == []
        assert peak <= 4

    def test_kill_9_of_a_tpe_run_between_a_retry_decision_and_its_attempt(
        self, tmp_path: Path
    ) -> None:
        """The same for method: tpe, whose attempts are rendered again from the ledger."""
        sweep = write_tpe_sweep(tmp_path, 24, max_running=3)
        ledger = tmp_path / "dr.ledger.jsonl"
        config = MockConfig(
            job_seconds=(0.2, 0.5), fail_rate=0.5, fail_reasons=CAPACITY_ONLY, seed=8
        )
        with MockServer(config) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--poll", "0.2", "--rate", "200", "--quiet"]
            args += ["--resubmit-on", "CapacityError", "--max-attempts", "1"]
            kills = 0
            for _ in range(2):
                proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                kills += _kill_when(proc, lambda: _a_retry_is_pending(ledger, "CapacityError"))
            final = subprocess.run(args, capture_output=True, text=True, timeout=180)
            bases = {
                str(r["base"])
                for r in ledger_records(ledger)
                if r.get("event") == "job" and r.get("attempt") == 0
            }
            problems = chain_problems(
                server, ledger, pattern="CapacityError", max_attempts=1, planned=bases
            )
        assert kills == 2
        assert "Traceback" not in final.stderr, final.stderr[-2000:]
        assert len(bases) == 24
        assert problems == []
