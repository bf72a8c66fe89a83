"""`submit` end to end against the realistic mock: exactly once, resumable, paced."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
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
from click.testing import CliRunner
from structlog.testing import capture_logs

from sagesweep.aws.client import ClientSettings, sagemaker_client
from sagesweep.aws.target import check_endpoint_url
from sagesweep.cli import main
from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.errors import InputError
from sagesweep.mock import MockConfig, MockServer
from sagesweep.submitting.pacing import Backoff, CapacityProbe
from tests.sweeps import small_sweep

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
ROOT = Path(__file__).resolve().parent.parent
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(
    tmp_path: Path,
    n: int,
    *,
    sweep: str = "t",
    retries: int | None = None,
    instance_types: list[str] | None = None,
) -> Path:
    template: dict[str, Any] = {
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }
    if retries is not None:
        template["RetryStrategy"] = {"MaximumRetryAttempts": retries}
    parameters: dict[str, Any] = {"HyperParameters.i": {"range": [0, n, 1]}}
    if instance_types:
        parameters["ResourceConfig.InstanceType"] = {"values": instance_types}
    doc = {"sweep": sweep, "template": template, "max_jobs": 100_000, "parameters": parameters}
    path = tmp_path / f"{sweep}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def ledger_jobs(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text().splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    return [r for r in records if r["event"] == "job"]


def arn_of(server: MockServer, name: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:{server.account_id}:training-job/{name}"


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig()) as srv:
        yield srv


class TestExactlyOnce:
    async def test_fresh_run_creates_every_job_and_records_its_arn(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """12 planned jobs: 12 created, 12 `submitted` lines with the mock's ARNs."""
        sweep = write_sweep(tmp_path, 12)
        summary = await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert summary.exit_code == 0
        assert summary.counts["submitted"] == 12
        records = ledger_jobs(summary.ledger)
        assert sorted(r["name"] for r in records) == sorted(server.jobs())
        assert all(r["status"] == "submitted" for r in records)
        assert all(r["arn"] == arn_of(server, r["name"]) for r in records)
        assert server.stats().created == 12

    async def test_rerun_makes_no_call_and_deleted_ledger_reconciles(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Re-run: zero creates. Without the ledger: N creates, all reconciled as `exists`."""
        sweep = write_sweep(tmp_path, 8)
        await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        calls = server.stats().create_calls
        again = await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert again.exit_code == 0
        assert again.counts["skipped"] == 8
        assert server.stats().create_calls == calls
        again.ledger.unlink()
        fresh = await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert fresh.exit_code == 0
        assert fresh.counts["exists"] == 8
        assert server.stats().create_calls == calls + 8
        assert server.stats().created == 8
        records = ledger_jobs(fresh.ledger)
        assert {r["status"] for r in records} == {"exists"}
        assert all(r["arn"] == arn_of(server, r["name"]) for r in records)

    async def test_dropped_connections_never_duplicate_a_job(self, tmp_path: Path) -> None:
        """With half the creates dropped after taking effect, each job exists once."""
        sweep = write_sweep(tmp_path, 40)
        with MockServer(MockConfig(drop_rate=0.5, seed=3)) as srv:
            summary = await submit(sweep, endpoint_url=srv.url, rate=500, parts=FAST)
            stats = srv.stats()
            assert summary.exit_code == 0
            assert stats.created == 40
            assert stats.dropped_after_apply > 0
            records = ledger_jobs(summary.ledger)
            assert len({r["name"] for r in records}) == 40
            assert all(r["arn"] == arn_of(srv, r["name"]) for r in records)


class TestRetries:
    @pytest.mark.parametrize(
        ("retries", "attempts"),
        [
            pytest.param(1, 2, id="MaximumRetryAttempts-1"),
            pytest.param(5, 6, id="MaximumRetryAttempts-5"),
        ],
    )
    async def test_retry_strategy_bounds_attempts(
        self, tmp_path: Path, retries: int, attempts: int
    ) -> None:
        """Against --error-rate 1 a job is attempted 1 + MaximumRetryAttempts times.

        A 5xx may have taken effect and every lookup by name fails too, so the job's
        fate is recorded as unknown, not failed.
        """
        sweep = write_sweep(tmp_path, 1, retries=retries)
        with MockServer(MockConfig(error_rate=1.0)) as srv:
            summary = await submit(sweep, endpoint_url=srv.url, rate=500, parts=FAST)
            assert srv.stats().create_calls == attempts
        assert summary.exit_code == 1
        (record,) = ledger_jobs(summary.ledger)
        assert record["status"] == "unknown"
        assert record["attempts"] == attempts
        assert record["error"]["code"] == "InternalFailure"


class TestPacing:
    async def test_throttled_run_completes_and_slows_to_the_service_rate(
        self, tmp_path: Path
    ) -> None:
        """--rate 5x the mock's bucket: every job created once, a minority of calls throttled."""
        sweep = write_sweep(tmp_path, 150)
        with MockServer(MockConfig(throttle_rate=20, throttle_burst=5)) as srv:
            summary = await submit(sweep, endpoint_url=srv.url, rate=100, parts=FAST)
            stats = srv.stats()
        assert summary.exit_code == 0
        assert stats.created == 150
        assert stats.throttled == summary.counts["throttled"]
        assert 0 < stats.throttled < stats.create_calls / 2


class TestCapacity:
    async def test_quota_is_waited_for_while_other_types_flow(self, tmp_path: Path) -> None:
        """p3 jobs beyond the quota wait and finish; m5 jobs are not held up meanwhile."""
        sweep = write_sweep(tmp_path, 6, instance_types=["ml.p3.2xlarge", "ml.m5.xlarge"])
        # 2 s jobs: the third p3 create comes milliseconds after the first two, far
        # within their run, so it meets the quota even on a loaded machine.
        config = MockConfig(quotas={"ml.p3.2xlarge": 2}, job_seconds=2.0)
        with MockServer(config) as srv:
            summary = await submit(
                sweep,
                endpoint_url=srv.url,
                rate=500,
                concurrency=4,
                parts=Parts(
                    backoff=FAST.backoff,
                    capacity_probe=lambda: CapacityProbe(first=0.2, factor=1.2, cap=0.5),
                ),
            )
            stats = srv.stats()
        assert summary.exit_code == 0
        assert stats.created == 12
        assert stats.quota_rejected > 0
        records = ledger_jobs(summary.ledger)
        m5 = [r["ts"] for r in records if "m5" in json.dumps(r["params"])]
        p3 = [r["ts"] for r in records if "p3" in json.dumps(r["params"])]
        assert len(m5) == len(p3) == 6
        assert max(m5) < max(p3), "m5 jobs finished while p3 jobs still waited"


def _run_cli(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.Popen(
        [str(SAGESWEEP), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        **kwargs,
    )


class TestSignals:
    def test_sigint_stops_cleanly_and_a_rerun_finishes(self, tmp_path: Path) -> None:
        """SIGINT mid-run: exit 130, only whole ledger lines; the re-run completes the rest."""
        sweep = write_sweep(tmp_path, 60)
        ledger = tmp_path / "l.jsonl"
        with MockServer(MockConfig(latency_ms=50)) as srv:
            args = ("submit", str(sweep), "--endpoint-url", srv.url, "--ledger", str(ledger))
            proc = _run_cli(*args, "--rate", "10", "--concurrency", "2")
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if ledger.exists() and len(ledger.read_text().splitlines()) >= 5:
                    break
                time.sleep(0.05)
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 130, err
            assert "Traceback" not in err
            first = ledger_jobs(ledger)
            assert 0 < len(first) < 60
            rerun = _run_cli(*args, "--rate", "200")
            _, err = rerun.communicate(timeout=60)
            assert rerun.returncode == 0, err
            records = ledger_jobs(ledger)
            assert len({r["name"] for r in records}) == 60
            assert srv.stats().created == 60

    def test_sigint_as_the_run_starts_exits_130_without_a_traceback(self, tmp_path: Path) -> None:
        """SIGINT the moment `submit.started` is logged: exit 130 and one clean stop."""
        sweep = write_sweep(tmp_path, 40)
        with MockServer(MockConfig()) as srv:
            proc = _run_cli("submit", str(sweep), "--endpoint-url", srv.url, "--rate", "2")
            assert proc.stderr is not None
            for line in proc.stderr:
                if "submit.started" in line:
                    proc.send_signal(signal.SIGINT)
                    break
            _, err = proc.communicate(timeout=60)
            stats = srv.stats()
        assert proc.returncode == 130, err
        assert "Traceback" not in err
        # At 2 calls/s, jobs waiting for the limiter are dropped, not sent during the grace.
        assert stats.create_calls < 5


def submit_without_credentials(sweep: Path, home: Path) -> subprocess.CompletedProcess[str]:
    """``sagesweep submit SWEEP`` with no AWS credentials anywhere and no endpoint."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") or k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
    }
    env.update(HOME=str(home), AWS_EC2_METADATA_DISABLED="true", AWS_REGION="us-east-1")
    return subprocess.run(
        [str(SAGESWEEP), "submit", str(sweep)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


class TestCredentials:
    def test_no_credentials_and_no_endpoint_is_one_line_suggesting_mock(
        self, tmp_path: Path
    ) -> None:
        """Without credentials or an endpoint: exit 2, one line that suggests --mock."""
        sweep = write_sweep(tmp_path, 2)
        proc = submit_without_credentials(sweep, tmp_path)
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1, proc.stderr
        assert "credentials" in lines[0]
        assert "--mock" in lines[0]

    def test_the_sweep_files_problems_come_before_missing_credentials(self, tmp_path: Path) -> None:
        """An invalid plan and no credentials: the plan's problem is what is shown."""
        sweep = write_sweep(tmp_path, 2, instance_types=["ml.m5.xlarge", "ml.not-a-type"])
        proc = submit_without_credentials(sweep, tmp_path)
        assert proc.returncode == 2
        assert "ResourceConfig.InstanceType" in proc.stderr
        assert "ml.not-a-type" in proc.stderr
        assert "credentials" not in proc.stderr

    async def test_mock_flag_needs_no_credentials(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--mock works with no AWS configuration at all."""
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            monkeypatch.delenv(name, raising=False)
        summary = await submit(write_sweep(tmp_path, 3), mock=True, rate=500, parts=FAST)
        assert summary.exit_code == 0
        assert summary.counts["submitted"] == 3


class TestLogs:
    def test_json_logs_are_one_object_per_line_with_namespaced_events(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """--log-format json: every stderr line is JSON; per-job and summary events present."""
        sweep = write_sweep(tmp_path, 5)
        proc = _run_cli(
            "submit",
            str(sweep),
            "--endpoint-url",
            server.url,
            "--rate",
            "100",
            "--log-format",
            "json",
            "--no-progress",
        )
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        events = [json.loads(line) for line in err.splitlines()]
        names = [e["event"] for e in events]
        assert names.count("engine.job_submitted") == 5
        (finished,) = [e for e in events if e["event"] == "submit.finished"]
        assert finished["submitted"] == 5
        assert all("timestamp" in e and "level" in e for e in events)


class TestFailuresStayVisible:
    async def test_a_rerun_with_failures_in_the_ledger_exits_1_and_says_so(
        self, tmp_path: Path
    ) -> None:
        """A dead endpoint fails every job; the rerun makes no call yet still exits 1."""
        sweep = write_sweep(tmp_path, 20)
        dead = "http://127.0.0.1:9"
        first = await submit(sweep, endpoint_url=dead, outage_wait=0.5, rate=500, parts=FAST)
        assert (first.exit_code, first.counts["failed"]) == (1, 20)
        out = io.StringIO()
        again = await submit(
            sweep, endpoint_url=dead, outage_wait=0.5, rate=500, parts=FAST, summary_stream=out
        )
        assert (again.exit_code, again.counts["calls"]) == (1, 0)
        assert again.counts["failed_earlier"] == 20
        assert "--retry-failed" in out.getvalue()
        with MockServer(MockConfig()) as srv:
            retried = await submit(
                sweep, endpoint_url=srv.url, retry_failed=True, rate=500, parts=FAST
            )
        assert (retried.exit_code, retried.counts["submitted"]) == (0, 20)


class TestOutage:
    async def test_an_endpoint_down_at_the_start_is_waited_for(self, tmp_path: Path) -> None:
        """The endpoint comes up 1 s into the run: no job fails, each is created once."""
        sweep = write_sweep(tmp_path, 30)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        config = MockConfig(port=port)

        async def start_later() -> None:
            await anyio.sleep(1.0)
            servers.append(MockServer(config).__enter__())

        servers: list[MockServer] = []
        try:
            async with anyio.create_task_group() as tg:
                tg.start_soon(start_later)
                summary = await submit(
                    sweep, endpoint_url=f"http://127.0.0.1:{port}", rate=500, parts=FAST
                )
            assert summary.exit_code == 0, summary.counts
            assert summary.counts["failed"] == 0
            assert servers[0].stats().created == 30
        finally:
            for srv in servers:
                srv.__exit__(None, None, None)


class TestLedgerTruth:
    async def test_failed_means_the_job_does_not_exist(self, tmp_path: Path) -> None:
        """Dropped answers and 5xx everywhere: no job the mock holds is recorded failed."""
        sweep = write_sweep(tmp_path, 40)
        with MockServer(MockConfig(drop_rate=1.0, error_rate=0.8, seed=1)) as srv:
            summary = await submit(sweep, endpoint_url=srv.url, rate=500, parts=FAST)
            existing = set(srv.jobs())
        records = {r["name"]: r for r in ledger_jobs(summary.ledger)}
        assert len(records) == 40
        for name, rec in records.items():
            if rec["status"] == "failed":
                assert name not in existing, rec
            elif rec["status"] in ("submitted", "exists"):
                assert name in existing, rec
        assert summary.exit_code == (0 if len(existing) == 40 else 1)

    async def test_names_taken_by_other_jobs_are_conflicts(self, tmp_path: Path) -> None:
        """The sweep's names pre-created with another image: `conflict`, exit 1."""
        sweep = write_sweep(tmp_path, 4)
        with MockServer(MockConfig()) as srv:
            probe = await submit(sweep, endpoint_url=srv.url, rate=500, parts=FAST)
            names = [r["name"] for r in ledger_jobs(probe.ledger)]
            srv.reset()
            probe.ledger.unlink()
            sm = boto3.client(
                "sagemaker",
                endpoint_url=srv.url,
                region_name="us-east-1",
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            for name in names:
                sm.create_training_job(
                    TrainingJobName=name,
                    RoleArn="arn:aws:iam::123456789012:role/SageMakerRole",
                    AlgorithmSpecification={
                        "TrainingImage": "squat:9",
                        "TrainingInputMode": "File",
                    },
                    OutputDataConfig={"S3OutputPath": "s3://b/x/"},
                    ResourceConfig={
                        "InstanceType": "ml.m5.xlarge",
                        "InstanceCount": 1,
                        "VolumeSizeInGB": 5,
                    },
                    StoppingCondition={"MaxRuntimeInSeconds": 600},
                )
            summary = await submit(sweep, endpoint_url=srv.url, rate=500, parts=FAST)
        assert summary.exit_code == 1
        assert summary.counts["conflict"] == 4
        assert {r["status"] for r in ledger_jobs(summary.ledger)} == {"conflict"}


class TestLedgerBinding:
    async def test_a_ledger_from_the_mock_is_refused_against_another_target(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """A trial run on the mock never makes a real run skip its jobs: exit 2, both named."""
        sweep = write_sweep(tmp_path, 3)
        trial = await submit(sweep, mock=True, rate=500, parts=FAST)
        assert trial.exit_code == 0
        with pytest.raises(InputError, match=r"embedded mock in us-east-1.*--endpoint-url") as exc:
            await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        assert exc.value.exit_code == 2
        assert server.stats().create_calls == 0

    async def test_another_region_is_another_target(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """The same endpoint kind in another region is refused too."""
        sweep = write_sweep(tmp_path, 2)
        await submit(sweep, endpoint_url=server.url, region="us-east-1", rate=500, parts=FAST)
        with pytest.raises(InputError, match=r"us-east-1.*eu-west-1"):
            await submit(sweep, endpoint_url=server.url, region="eu-west-1", rate=500, parts=FAST)

    async def test_a_ledger_of_another_sweep_is_refused(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """--ledger pointing at another sweep's ledger: refused before anything is sent."""
        first = await submit(write_sweep(tmp_path, 2, sweep="a"), endpoint_url=server.url)
        with pytest.raises(InputError, match="belongs to sweep 'a', not 'b'"):
            await submit(
                write_sweep(tmp_path, 2, sweep="b"), endpoint_url=server.url, ledger=first.ledger
            )

    async def test_an_edited_template_is_said_before_sending(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """Every job renamed by an edit: a warning counts the ledger's jobs not in the plan."""
        sweep = write_sweep(tmp_path, 4)
        await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        doc = yaml.safe_load(sweep.read_text())
        doc["template"]["ResourceConfig"]["VolumeSizeInGB"] = 20
        sweep.write_text(yaml.safe_dump(doc))
        with capture_logs() as logs:
            summary = await submit(sweep, endpoint_url=server.url, rate=500, parts=FAST)
        stale = [e for e in logs if e["event"] == "submit.stale_ledger"]
        assert [e["jobs"] for e in stale] == [4]
        assert any("4 job(s) that are not in this plan" in w for w in summary.warnings)
        started = [i for i, e in enumerate(logs) if e["event"] == "submit.started"]
        assert logs.index(stale[0]) < started[0]


class TestEndpointUrl:
    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("localhost:18181", id="no-scheme"),
            pytest.param("http://[::1", id="unclosed-ipv6"),
            pytest.param("http://", id="no-host"),
            pytest.param("ftp://localhost:18181", id="not-http"),
            pytest.param("http://localhost:port", id="bad-port"),
            pytest.param("http://local host", id="space"),
        ],
    )
    def test_bad_url_is_one_line_exit_2(self, tmp_path: Path, url: str) -> None:
        """A malformed --endpoint-url: exit 2, one line naming the option; no ledger made."""
        sweep = write_sweep(tmp_path, 2)
        result = CliRunner().invoke(main, ["submit", str(sweep), "--endpoint-url", url])
        assert result.exit_code == 2, (result.stderr, result.exception)
        (line,) = result.stderr.splitlines()
        assert line.startswith("<cli>: --endpoint-url: "), line
        assert repr(url) in line
        assert not list(tmp_path.glob("*.ledger.jsonl*"))

    @pytest.mark.parametrize(
        "url",
        [
            pytest.param("http://localhost:18181", id="host-port"),
            pytest.param("https://example.com/", id="https"),
            pytest.param("http://[::1]:8080", id="ipv6"),
            pytest.param("http://127.0.0.1:8080", id="ipv4"),
        ],
    )
    def test_good_url_passes(self, url: str) -> None:
        """Well-formed http(s) URLs are accepted."""
        check_endpoint_url(url)

    async def test_client_factory_checks_too(self) -> None:
        """The client factory refuses a bad URL itself, for callers other than submit."""
        with pytest.raises(InputError, match="--endpoint-url"):
            async with sagemaker_client(ClientSettings(endpoint_url="localhost:1")):
                pass


class TestRateFloor:
    def test_a_rate_below_the_limiters_floor_is_a_usage_error(self, tmp_path: Path) -> None:
        """--rate 0.1 is refused by the option, not by a traceback from the limiter."""
        result = CliRunner().invoke(main, ["submit", str(small_sweep(tmp_path)), "--rate", "0.1"])
        assert result.exit_code == 2
        assert "Traceback" not in result.output

    async def test_the_api_refuses_it_too(self, tmp_path: Path) -> None:
        """The Python API says so in one line."""
        with pytest.raises(InputError, match=r"rate: must be at least 0\.5"):
            await submit(small_sweep(tmp_path), endpoint_url="http://127.0.0.1:9", rate=0.1)


class TestRefusedLedgerLeavesNoMockState:
    def test_no_mock_account_is_made_for_a_ledger_of_another_target(self, tmp_path: Path) -> None:
        """--mock on a ledger written against an endpoint: refused before the mock starts."""
        sweep = small_sweep(tmp_path, 2)
        ledger = tmp_path / "b.ledger.jsonl"
        run = {"event": "run", "phase": "start", "sweep": "rv", "counts": {}}
        run["target"] = {"kind": "endpoint", "region": "us-east-1"}
        ledger.write_text(json.dumps(run) + "\n")
        result = CliRunner().invoke(main, ["submit", str(sweep), "--mock", "--ledger", str(ledger)])
        assert result.exit_code == 2
        assert "--endpoint-url" in result.stderr
        assert sorted(p.name for p in tmp_path.iterdir() if ".mock" in p.name) == []
