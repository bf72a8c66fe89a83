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

import anyio
import boto3
import pytest
import yaml

import sagesweep as operate
from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit, submit_sync
from sagesweep.mock import MockConfig, MockServer
from sagesweep.submitting.pacing import Backoff
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, sweep: str, n: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": sweep,
        "template": template(),
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


class TestRerunAfterStop:
    def test_a_rerun_after_stop_launches_nothing_unless_told_to(
        self, tmp_path: Path, long_jobs: MockServer
    ) -> None:
        """stop during a driven submit, then the same submit: refused, nothing created;
        with --resume-stopped the rest is launched. The stopped driver prints no hint."""
        sweep = write_sweep(tmp_path, "halt", 12)
        ledger = tmp_path / "halt.ledger.jsonl"
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", long_jobs.url]
        args += ["--max-running", "3", "--poll", "0.2", "--rate", "50"]
        driver = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
        )
        deadline = time.monotonic() + 60
        while long_jobs.stats().created < 3:
            assert time.monotonic() < deadline, "the driver created too few jobs"
            time.sleep(0.05)
        stop = subprocess.run(
            [str(SAGESWEEP), "stop", str(sweep), "--endpoint-url", long_jobs.url, "--yes"],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        _, driver_err = driver.communicate(timeout=60)
        assert stop.returncode == 0, stop.stderr
        assert "To stop them" not in driver_err
        assert "stopped by sagesweep stop" in driver_err
        created = long_jobs.stats().created
        again = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
        assert again.returncode == 2, again.stderr
        assert "--resume-stopped" in again.stderr
        assert len(again.stderr.strip().splitlines()) == 1, again.stderr
        assert long_jobs.stats().created == created
        resumed = subprocess.Popen(
            [*args, "--resume-stopped"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        try:
            while long_jobs.stats().created <= created:
                assert time.monotonic() < deadline + 60, "--resume-stopped launched nothing"
                time.sleep(0.05)
        finally:
            resumed.kill()
            resumed.wait()
        assert ledger.exists()


def describe_all(server: MockServer, names: list[str]) -> dict[str, dict[str, Any]]:
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return {n: sm.describe_training_job(TrainingJobName=n) for n in names}


class TestTruth:
    async def test_status_counts_equal_the_mocks_truth(self, tmp_path: Path) -> None:
        """Completed, failed, stopped and running jobs: status agrees with Describe, job by job."""
        config = MockConfig(job_seconds=(0.0, 20.0), fail_rate=0.3, seed=3)
        with MockServer(config) as server:
            sweep = write_sweep(tmp_path, "mix", 40)
            done = await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            names = ledger_names(done.ledger)
            await operate.stop(sweep, endpoint_url=server.url, where=["HyperParameters.i=7"])
            await anyio.sleep(2.0)  # a few short jobs end; most run on
            before = describe_all(server, names)
            seen = await operate.status(sweep, endpoint_url=server.url)
            after = describe_all(server, names)
        by_name = {row.name: row for row in seen.jobs}
        for name in names:
            # Jobs move on while status reads them: it saw the state before or after.
            truths = {before[name]["TrainingJobStatus"], after[name]["TrainingJobStatus"]}
            assert by_name[name].status in truths, name
            reasons = {before[name].get("FailureReason"), after[name].get("FailureReason")}
            assert by_name[name].failure_reason in reasons, name
        statuses = {row.status for row in seen.jobs}
        assert {"Completed", "Failed", "InProgress"} <= statuses
        assert statuses & {"Stopping", "Stopped"}
        assert sum(seen.counts.values()) == 40

    async def test_results_metrics_equal_describe(self, tmp_path: Path) -> None:
        """Every metric in results is FinalMetricDataList's value for that job."""
        with MockServer(MockConfig(seed=5)) as server:
            sweep = write_sweep(tmp_path, "met", 12)
            await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            table = await operate.results(sweep, endpoint_url=server.url, sort="validation:auc")
            truth = describe_all(server, [row.name for row in table.rows])
        assert table.metrics == ("validation:auc",)
        for row in table.rows:
            final = {m["MetricName"]: m["Value"] for m in truth[row.name]["FinalMetricDataList"]}
            assert dict(row.metrics) == pytest.approx(final)
        values = [row.metrics["validation:auc"] for row in table.rows]
        assert values == sorted(values, reverse=True)

    async def test_throttled_reads_slow_status_down_without_failing_it(
        self, tmp_path: Path
    ) -> None:
        """Reads limited to 2/s with a burst of 1 (three Search pages): status is still exact."""
        config = MockConfig(read_rate=2.0, read_burst=1)
        with MockServer(config) as server:
            sweep = write_sweep(tmp_path, "slow", 250)
            await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            seen = await operate.status(sweep, endpoint_url=server.url, read_rate=50, parts=FAST)
            stats = server.stats()
        assert seen.counts["Completed"] == 250
        assert stats.throttled > 0


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(
                ["status", "{sweep}", "--ledger", "{tmp}/none.jsonl"],
                "no ledger here",
                id="unknown-ledger",
            ),
            pytest.param(
                ["status", "{sweep}", "--ledger", "{other}"],
                "belongs to sweep 'other'",
                id="another-sweeps-ledger",
            ),
            pytest.param(
                ["stop", "{sweep}", "--where", "Foo.bar=1", "--yes"],
                "is not swept",
                id="where-not-swept",
            ),
            pytest.param(
                ["results", "{sweep}", "--sort", "val:nope"],
                "reported: validation:auc",
                id="metric-nobody-reports",
            ),
            pytest.param(
                ["results", "{sweep}", "--sort", "validation:auc", "--plot", "{tmp}/x.txt"],
                "--plot: writes a PNG: name the file FILE.png",
                id="plot-not-png",
            ),
            pytest.param(
                ["results", "{sweep}", "--sort", "validation:auc", "--plot", "{tmp}/no/x.png"],
                "--plot: directory does not exist",
                id="plot-missing-directory",
            ),
        ],
    )
    def test_one_line_and_exit_2(self, tmp_path: Path, args: list[str], message: str) -> None:
        """Each mistake is one line on stderr and exit code 2, never a traceback."""
        with MockServer(MockConfig()) as server:
            sweep = write_sweep(tmp_path, "bad", 2)
            submit_sync(sweep, endpoint_url=server.url, rate=500, parts=FAST)
            other = submit_sync(write_sweep(tmp_path, "other", 1), endpoint_url=server.url)
            subs = {"{sweep}": str(sweep), "{tmp}": str(tmp_path), "{other}": str(other.ledger)}
            argv = [_sub(arg, subs) for arg in args]
            env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
            done = subprocess.run(
                [str(SAGESWEEP), *argv, "--endpoint-url", server.url],
                capture_output=True,
                text=True,
                env=env,
                timeout=60,
            )
        assert done.returncode == 2, done.stderr
        assert message in done.stderr
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def _sub(arg: str, subs: dict[str, str]) -> str:
    for key, value in subs.items():
        arg = arg.replace(key, value)
    return arg
