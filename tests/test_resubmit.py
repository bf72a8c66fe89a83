"""resubmit: the next attempt of every failed job, exactly once (docs/cli.md#resubmit)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from structlog.testing import capture_logs

from sagesweep.commands.parts import Parts
from sagesweep.commands.resubmit import resubmit
from sagesweep.commands.status import status
from sagesweep.commands.submit import submit, submit_sync
from sagesweep.errors import InputError
from sagesweep.mock import MockConfig, MockServer
from sagesweep.planning.naming import attempt_of
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import small_sweep, template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, n: int, sweep: str = "rs") -> Path:
    doc: dict[str, Any] = {
        "sweep": sweep,
        "template": template(CheckpointConfig={"S3Uri": "s3://b/ckpt/{job}/"}),
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / f"{sweep}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def attempts_in(server: MockServer) -> Counter[tuple[str, int]]:
    """(base, attempt) -> how many jobs of that name the mock holds."""
    names = server.jobs()
    bases = frozenset(n for n in names if attempt_of(n, frozenset({n.rsplit("-r", 1)[0]})) is None)
    found: Counter[tuple[str, int]] = Counter()
    for name in names:
        split = attempt_of(name, bases)
        found[split if split is not None else (name, 0)] += 1
    return found


def failed(server: MockServer) -> set[str]:
    return {name for name, status in server.jobs().items() if status == "Failed"}


@pytest.fixture
def failing() -> MockServer:
    server = MockServer(MockConfig(fail_rate=0.3, seed=11))
    server.start()
    return server


class TestAttempts:
    async def test_each_failed_job_gets_one_next_attempt_and_nothing_else(
        self, tmp_path: Path, failing: MockServer
    ) -> None:
        """300 jobs, ~30% failed: one -r1 each; again: -r2 only where -r1 failed; then the cap."""
        try:
            sweep = write_sweep(tmp_path, 300)
            await submit(sweep, endpoint_url=failing.url, rate=1000, concurrency=32, parts=FAST)
            first_failed = failed(failing)
            assert 50 < len(first_failed) < 130
            created = failing.stats().created
            one = await resubmit(
                sweep, endpoint_url=failing.url, rate=1000, max_attempts=2, parts=FAST
            )
            assert {p.base for p in one.picks} == first_failed
            assert failing.stats().created - created == len(first_failed)
            made = attempts_in(failing)
            assert {b for (b, n), c in made.items() if n == 1 and c == 1} == first_failed
            r1_failed = {n for n in failed(failing) if n.endswith("-r1")}
            two = await resubmit(
                sweep, endpoint_url=failing.url, rate=1000, max_attempts=2, parts=FAST
            )
            assert {f"{p.base}-r1" for p in two.picks} == r1_failed
            assert all(p.attempt == 2 for p in two.picks)
            r2_failed = {n for n in failed(failing) if n.endswith("-r2")}
            capped = await resubmit(
                sweep, endpoint_url=failing.url, rate=1000, max_attempts=2, parts=FAST
            )
            assert capped.picks == ()
            assert set(capped.capped) == r2_failed
            assert max(c for c in attempts_in(failing).values()) == 1
        finally:
            failing.stop()

    async def test_status_sizes_the_plan_from_submit_not_resubmit(
        self, tmp_path: Path, failing: MockServer
    ) -> None:
        """After a resubmit of a few jobs, status still says the plan has every job (it
        said "created 12 of 2 jobs" once)."""
        try:
            sweep = write_sweep(tmp_path, 40)
            await submit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            again = await resubmit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            assert 0 < len(again.picks) < 40
            seen = await status(sweep, endpoint_url=failing.url)
            assert seen.planned == 40
            assert seen.counts["NotSubmitted"] == 0
        finally:
            failing.stop()

    async def test_a_lost_ledger_rediscovers_the_attempts(
        self, tmp_path: Path, failing: MockServer
    ) -> None:
        """Ledger deleted after a resubmit: the rerun creates nothing and records the -r1s."""
        try:
            sweep = write_sweep(tmp_path, 60)
            done = await submit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            first = await resubmit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            before = failing.stats().created
            done.ledger.unlink()
            await submit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)  # all `exists`
            again = await resubmit(
                sweep, endpoint_url=failing.url, rate=1000, max_attempts=1, parts=FAST
            )
            r1_failed = {n for n in failed(failing) if n.endswith("-r1")}
            assert failing.stats().created == before
        finally:
            failing.stop()
        assert again.picks == ()
        assert set(again.capped) == r1_failed
        records = [json.loads(line) for line in done.ledger.read_text().splitlines()]
        rediscovered = {r["name"] for r in records if r["event"] == "job" and r.get("attempt") == 1}
        assert rediscovered == {f"{p.base}-r1" for p in first.picks}
        assert {r["status"] for r in records if r.get("attempt") == 1} == {"exists"}

    async def test_the_attempt_is_the_same_request_under_a_new_name(
        self, tmp_path: Path, failing: MockServer
    ) -> None:
        """-r1 keeps the checkpoint of attempt 0 and carries the attempt tag."""
        import boto3

        try:
            sweep = write_sweep(tmp_path, 30)
            await submit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            outcome = await resubmit(sweep, endpoint_url=failing.url, rate=1000, parts=FAST)
            pick = outcome.picks[0]
            sm = boto3.client(
                "sagemaker",
                endpoint_url=failing.url,
                region_name="us-east-1",
                aws_access_key_id="t",
                aws_secret_access_key="t",
            )
            base = sm.describe_training_job(TrainingJobName=pick.base)
            again = sm.describe_training_job(TrainingJobName=f"{pick.base}-r1")
            tags = sm.list_tags(ResourceArn=again["TrainingJobArn"])["Tags"]
        finally:
            failing.stop()
        assert again["CheckpointConfig"] == base["CheckpointConfig"]
        assert pick.base in again["CheckpointConfig"]["S3Uri"]
        assert again["HyperParameters"] == base["HyperParameters"]
        assert {"Key": "sagesweep:attempt", "Value": "1"} in tags


class TestKilled:
    def test_sigkilled_resubmits_make_no_second_attempt(self, tmp_path: Path) -> None:
        """kill -9 three times mid-resubmit, then finish: still exactly one -r1 per failure."""
        rng = random.Random(5)
        with MockServer(MockConfig(fail_rate=0.5, seed=2, latency_ms=20)) as server:
            sweep = write_sweep(tmp_path, 120)
            submit_sync(sweep, endpoint_url=server.url, rate=1000, parts=FAST, summary=False)
            to_redo = failed(server)
            env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
            args = [str(SAGESWEEP), "resubmit", str(sweep), "--endpoint-url", server.url]
            for _ in range(3):
                proc = subprocess.Popen(
                    [*args, "--rate", "30", "--concurrency", "4"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=env,
                )
                time.sleep(rng.uniform(1.0, 2.5))
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            final = subprocess.run(
                [*args, "--rate", "500"], capture_output=True, text=True, env=env, timeout=120
            )
            made = attempts_in(server)
        assert final.returncode == 0, final.stderr
        assert {b for (b, n), c in made.items() if n == 1} == to_redo
        assert all(c == 1 for c in made.values())
        ledger = tmp_path / "rs.ledger.jsonl"
        records = [json.loads(line) for line in ledger.read_text().splitlines()]
        attempts = {r["name"] for r in records if r["event"] == "job" and r["attempt"] == 1}
        assert attempts == {f"{b}-r1" for b in to_redo}


class TestDefaults:
    def test_resubmit_creates_at_submits_default_rate(self) -> None:
        """One create rate for submit and resubmit: --rate sets creates, and its default
        is left to the target's, defined once."""
        from sagesweep.aws.target import DEFAULT_RATE, Target
        from sagesweep.cli import main

        def rate_option(command: str) -> tuple[str | None, object]:
            params = main.commands[command].params
            option = next(p for p in params if "--rate" in getattr(p, "opts", ()))
            return option.name, option.default

        assert rate_option("resubmit") == ("rate", None)
        assert rate_option("submit") == ("rate", None)
        assert Target().rate == DEFAULT_RATE


class TestBadInput:
    async def test_nothing_to_resubmit_is_not_an_error(self, tmp_path: Path) -> None:
        """Every job completed: no pick, exit 0."""
        with MockServer(MockConfig()) as server:
            sweep = write_sweep(tmp_path, 5)
            await submit(sweep, endpoint_url=server.url, rate=1000, parts=FAST)
            outcome = await resubmit(sweep, endpoint_url=server.url, parts=FAST)
        assert (outcome.picks, outcome.exit_code) == ((), 0)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            pytest.param({"statuses": ["Faild"]}, "unknown status Faild", id="status"),
            pytest.param({"reason": "Capacity(("}, "not a valid regex", id="regex"),
            pytest.param({"where": ["HyperParameters.j=1"]}, "is not swept", id="where"),
        ],
    )
    async def test_bad_options_are_one_line(
        self, tmp_path: Path, options: dict[str, Any], message: str
    ) -> None:
        """An unknown status, a broken regex, an unswept path: InputError, exit code 2."""
        with MockServer(MockConfig()) as server:
            sweep = write_sweep(tmp_path, 2)
            await submit(sweep, endpoint_url=server.url, rate=1000, parts=FAST)
            with pytest.raises(InputError, match=message) as exc:
                await resubmit(sweep, endpoint_url=server.url, parts=FAST, **options)
        assert exc.value.exit_code == 2


class TestAttemptsAreNotStale:
    async def test_resubmitted_attempts_do_not_count_as_jobs_of_another_plan(
        self, tmp_path: Path
    ) -> None:
        """submit, resubmit, submit: no stale-ledger warning for the -r1 attempts."""
        sweep = small_sweep(tmp_path, 30)
        with MockServer(MockConfig(fail_rate=0.4, seed=2)) as server:
            await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            again = await resubmit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            assert again.picks
            with capture_logs() as logs:
                await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert not [e for e in logs if e["event"] == "submit.stale_ledger"]
