"""Load tests (docs/load-testing.md): ``submit --report``'s histograms and timeline,
``--rate-stages``, ``sagesweep compare``, and what a killed run leaves."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError, ReadTimeoutError
from click.testing import CliRunner

from sagesweep.aws.calllog import CallLog
from sagesweep.aws.outcomes import outcome_of
from sagesweep.cli import main
from sagesweep.commands.loadreport import target_counters
from sagesweep.commands.parts import Parts
from sagesweep.commands.submit import submit
from sagesweep.mock import MockServer
from sagesweep.reporting.compare import compare, parse_threshold
from sagesweep.reporting.loadtest import document, read_report
from sagesweep.submitting.pacing import AdaptiveRate, Backoff
from sagesweep.submitting.stages import Stage, parse_stages
from tests.conftest import MockFactory
from tests.sweeps import template

FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(tmp_path: Path, n: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": "load",
        "template": template(),
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / "load.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def create_training_job() -> None:
    """Stands in for the client method: its name is the operation's."""


class TestHistogram:
    def test_percentiles_of_a_known_distribution(self) -> None:
        """Latencies of 1..1000 ms: every percentile within the histogram's 0.1 %."""
        clock = FakeClock()
        log = CallLog(clock)
        for ms in range(1, 1001):
            sent = log.sent()
            clock.now += ms / 1000
            log.ended(create_training_job, sent, None, 5.0)
        doc = document(
            log,
            sweep="s",
            target={},
            requested_rate=5,
            stages=(),
            created=1000,
            complete=True,
        )
        latency = doc["operations"]["create"]["latency_ms"]
        for name, expected in (("p50", 500), ("p90", 900), ("p99", 990), ("p99.9", 999)):
            assert abs(latency[name] - expected) <= expected * 0.001 + 0.001, name
        assert abs(latency["max"] - 1000) <= 1.0
        assert doc["operations"]["create"]["outcomes"] == {"ok": 1000}

    def test_two_reports_merge_through_their_encoded_histograms(self) -> None:
        from hdrh.histogram import HdrHistogram

        docs = []
        for ms in (10, 30):
            clock = FakeClock()
            log = CallLog(clock)
            for _ in range(100):
                sent = log.sent()
                clock.now += ms / 1000
                log.ended(create_training_job, sent, None, None)
            docs.append(
                document(
                    log, sweep="s", target={}, requested_rate=1, stages=(), created=0, complete=True
                )
            )
        merged = HdrHistogram.decode(docs[0]["operations"]["create"]["histogram"])
        merged.add(HdrHistogram.decode(docs[1]["operations"]["create"]["histogram"]))
        assert merged.get_total_count() == 200
        assert abs(merged.get_value_at_percentile(25) - 10_000) <= 10
        assert abs(merged.get_value_at_percentile(75) - 30_000) <= 30


def client_error(code: str, status: int) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": "m"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "CreateTrainingJob")


class TestOutcomes:
    @pytest.mark.parametrize(
        ("exc", "outcome"),
        [
            pytest.param(None, "ok", id="ok"),
            pytest.param(client_error("ThrottlingException", 400), "throttled", id="throttled"),
            pytest.param(client_error("InternalFailure", 500), "5xx", id="5xx"),
            pytest.param(client_error("ResourceInUse", 400), "refused", id="refused"),
            pytest.param(ReadTimeoutError(endpoint_url="http://x"), "timed_out", id="timeout"),
            pytest.param(ConnectionResetError("reset"), "dropped", id="dropped"),
        ],
    )
    def test_each_call_is_counted_by_what_it_came_to(
        self, exc: BaseException | None, outcome: str
    ) -> None:
        assert outcome_of(exc) == outcome


class TestReportOfARun:
    async def test_latency_injected_by_the_mock_is_measured(
        self, tmp_path: Path, mock_factory: MockFactory
    ) -> None:
        """The mock holds every call 40 ms: no percentile is below it, and the report
        counts every call and the mock's own counters."""
        server = mock_factory(latency_ms=40.0)
        sweep = write_sweep(tmp_path, 60)
        report = tmp_path / "r.json"
        await submit(sweep, endpoint_url=server.url, rate=200, report=report, parts=FAST)
        doc = read_report(report)
        create = doc["operations"]["create"]
        assert doc["complete"] is True
        assert create["calls"] == 60
        assert create["outcomes"] == {"ok": 60}
        assert create["latency_ms"]["p50"] >= 40.0
        from hdrh.histogram import HdrHistogram

        histogram = HdrHistogram.decode(create["histogram"])
        assert histogram.get_min_value() >= 40_000 * 0.999
        assert doc["target_counters"]["source"] == "/_mock/stats"
        assert doc["target_counters"]["create_calls"] == 60
        assert sum(sum(s["outcomes"].values()) for s in doc["timeline"]) == 60

    async def test_stages_show_in_the_per_second_counts(
        self, tmp_path: Path, mock_server: MockServer
    ) -> None:
        """5 calls/s for 3 s, then 50/s: the first stage's seconds stay at its rate and
        a later second goes well past it."""
        sweep = write_sweep(tmp_path, 250)
        report = tmp_path / "r.json"
        await submit(
            sweep,
            endpoint_url=mock_server.url,
            rate_stages="5:3s,50:10s",
            report=report,
            parts=FAST,
        )
        doc = read_report(report)
        assert [m["rate"] for m in doc["stage_marks"]] == [5.0, 50.0]
        boundary = doc["stage_marks"][1]["second"]
        per_second = {s["second"]: sum(s["outcomes"].values()) for s in doc["timeline"]}
        first = [n for second, n in per_second.items() if second + 1 <= boundary]
        assert first
        assert max(first) <= 6  # 5/s, and the bucket's one call
        later = [n for second, n in per_second.items() if second >= boundary + 1]
        assert max(later) > 10
        assert doc["requested_rate"] == 50.0

    def test_a_killed_run_leaves_its_last_snapshot(
        self, tmp_path: Path, mock_server: MockServer
    ) -> None:
        """kill -9 during the run: the report on disk is whole JSON, marked incomplete."""
        sweep = write_sweep(tmp_path, 400)
        report = tmp_path / "r.json"
        args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", mock_server.url]
        args += ["--rate", "20", "--report", str(report), "--quiet"]
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while not report.exists() and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert report.exists(), "no snapshot was written"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        doc = read_report(report)
        assert doc["complete"] is False
        assert 0 < doc["calls"] <= 400
        assert [p.name for p in tmp_path.glob(".r.json.*")] == []


class TestStages:
    def test_parse(self) -> None:
        assert parse_stages("20:30s,50:1m, 100:500ms") == (
            Stage(20.0, 30.0),
            Stage(50.0, 60.0),
            Stage(100.0, 0.5),
        )

    @pytest.mark.parametrize("text", ["20", "20:30", "x:30s", "20:0s", "20:30s,,"])
    def test_a_malformed_stage_list_is_one_line_and_exit_2(self, tmp_path: Path, text: str) -> None:
        sweep = write_sweep(tmp_path, 3)
        run = CliRunner().invoke(main, ["submit", str(sweep), "--mock", "--rate-stages", text])
        assert run.exit_code == 2, run.output
        lines = run.output.strip().splitlines()
        assert len(lines) == 1
        assert "--rate-stages" in lines[0]
        assert not (tmp_path / "load.ledger.jsonl").exists()

    def test_the_ceiling_moves_but_a_back_off_holds(self) -> None:
        clock = FakeClock()
        limiter = AdaptiveRate(rate=10, clock=clock)
        limiter.set_ceiling(40)
        assert limiter.rate == 40
        limiter.on_throttle()
        cut = limiter.rate
        assert cut < 40
        limiter.set_ceiling(100)
        assert limiter.rate == cut  # recovering: the step up does not undo the cut
        clock.now += 60
        limiter.on_success()
        assert limiter.rate == 100
        limiter.set_ceiling(5)
        assert limiter.rate == 5


class TestCompare:
    @pytest.fixture
    def base(self, tmp_path: Path) -> Path:
        clock = FakeClock()
        log = CallLog(clock)
        for ms in range(1, 201):
            sent = log.sent()
            clock.now += ms / 1000
            log.ended(create_training_job, sent, None, None)
        doc = document(
            log, sweep="s", target={}, requested_rate=1, stages=(), created=200, complete=True
        )
        path = tmp_path / "base.json"
        path.write_text(json.dumps(doc))
        return path

    def test_itself_passes(self, base: Path) -> None:
        run = CliRunner().invoke(main, ["compare", str(base), str(base)])
        assert run.exit_code == 0, run.output
        assert "create p99 ms" in run.output
        assert "no measure regressed" in run.output

    def test_twenty_percent_slower_fails(self, base: Path, tmp_path: Path) -> None:
        doc = json.loads(base.read_text())
        doc["calls_per_second"] /= 1.2
        for key in doc["operations"]["create"]["latency_ms"]:
            doc["operations"]["create"]["latency_ms"][key] *= 1.2
        slower = tmp_path / "slower.json"
        slower.write_text(json.dumps(doc))
        run = CliRunner().invoke(
            main, ["compare", str(base), str(slower), "--max-regression", "10%"]
        )
        assert run.exit_code == 1, run.output
        assert "REGRESSED" in run.output
        # within a wider threshold it is no regression
        wide = CliRunner().invoke(
            main, ["compare", str(base), str(slower), "--max-regression", "25%"]
        )
        assert wide.exit_code == 0, wide.output

    def test_errors_from_none_to_some_regress(self) -> None:
        base = {"calls_per_second": 10.0, "operations": {}, "error_rate": 0.0}
        new = {"calls_per_second": 10.0, "operations": {}, "error_rate": 0.01}
        regressed = [m.name for m in compare(base, new, 0.1) if m.regressed]
        assert regressed == ["error rate"]

    @pytest.mark.parametrize(
        "content", ["not json", json.dumps({"format": "other"}), json.dumps([1, 2])]
    )
    def test_files_that_are_not_reports(self, base: Path, tmp_path: Path, content: str) -> None:
        other = tmp_path / "other.json"
        other.write_text(content)
        run = CliRunner().invoke(main, ["compare", str(base), str(other)])
        assert run.exit_code == 2, run.output
        assert len(run.output.strip().splitlines()) == 1
        assert "other.json" in run.output

    def test_threshold(self) -> None:
        assert parse_threshold("10%") == pytest.approx(0.1)
        assert parse_threshold("0.25") == pytest.approx(0.25)
        with pytest.raises(Exception, match="--max-regression"):
            parse_threshold("ten")


class TestBadInput:
    def test_a_plot_without_a_report(self, tmp_path: Path) -> None:
        sweep = write_sweep(tmp_path, 3)
        run = CliRunner().invoke(
            main, ["submit", str(sweep), "--mock", "--report-plot", str(tmp_path / "t.png")]
        )
        assert run.exit_code == 2, run.output
        assert "--report" in run.output
        assert len(run.output.strip().splitlines()) == 1

    def test_a_report_in_a_missing_folder(self, tmp_path: Path) -> None:
        sweep = write_sweep(tmp_path, 3)
        run = CliRunner().invoke(
            main, ["submit", str(sweep), "--mock", "--report", str(tmp_path / "no" / "r.json")]
        )
        assert run.exit_code == 2, run.output
        assert "directory does not exist" in run.output


class TestTargetCounters:
    def test_moto_servers_count_of_training_jobs(self, tmp_path: Path) -> None:
        """Plain moto has no /_mock/stats: its /moto-api/ counts the jobs it holds."""
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(port=0, verbose=False)
        server.start()
        try:
            host, port = server.get_host_and_port()
            url = f"http://{host}:{port}"
            # moto's model registry is the process's: other tests' jobs may be in it.
            before = target_counters(url)
            assert before is not None
            sweep = write_sweep(tmp_path, 3)
            run = CliRunner().invoke(
                main,
                ["submit", str(sweep), "--endpoint-url", url, "--report", str(tmp_path / "r.json")],
            )
            assert run.exit_code == 0, run.output
            counters = read_report(tmp_path / "r.json")["target_counters"]
            assert counters["source"] == "/moto-api/data.json"
            assert counters["training_jobs"] - before["training_jobs"] == 3
        finally:
            server.stop()

    def test_aws_has_none(self) -> None:
        assert target_counters(None) is None
