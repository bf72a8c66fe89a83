"""Cost, quotas and capacity (docs/costs.md): the forecast, the budget as a hard cap,
quota-aware caps and capacity fallback, against the mock."""

from __future__ import annotations

import io
import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from sagesweep.cli import main
from sagesweep.commands.parts import Parts
from sagesweep.commands.plan import plan
from sagesweep.commands.resubmit import resubmit
from sagesweep.commands.submit import submit
from sagesweep.costs.budget import Budget, Meter, parse_budget
from sagesweep.costs.prices import Prices, read_prices_file
from sagesweep.errors import InputError
from sagesweep.mock import MockConfig, MockServer
from sagesweep.mock.pricing import ILLUSTRATIVE_PRICES
from sagesweep.planning.usage import Usage
from sagesweep.submitting.pacing import Backoff
from tests.chains import failure_reasons, ledger_records, split_attempt
from tests.sweeps import template

ROOT = Path(__file__).resolve().parent.parent
FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"
M5 = ILLUSTRATIVE_PRICES["ml.m5.xlarge"]


def write_sweep(tmp_path: Path, n: int, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "cost",
        "template": template(**extra.pop("template_extra", {})),
        "max_jobs": 100_000,
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
        **extra,
    }
    path = tmp_path / "cost.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def mock_spend(server: MockServer, names: list[str]) -> float:
    """USD the mock's jobs billed, at the mock's prices: what the budget is held to."""
    import boto3

    client = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    total = 0.0
    for name in names:
        job = client.describe_training_job(TrainingJobName=name)
        resources = job["ResourceConfig"]
        price = ILLUSTRATIVE_PRICES[resources["InstanceType"]]
        total += job.get("BillableTimeInSeconds", 0) * resources["InstanceCount"] * price / 3600
    return total


class TestForecast:
    async def test_a_shipped_config_matches_a_hand_computation(self, tmp_path: Path) -> None:
        """configs/demo.yaml: 6 + 6 jobs of 1,800 s; priced from a file."""
        prices = tmp_path / "prices.csv"
        prices.write_text("instance_type,usd_per_hour\nml.m5.xlarge,0.23\nml.c5.2xlarge,0.408\n")
        out = io.StringIO()
        forecast = await plan(ROOT / "configs" / "demo.yaml", prices_file=prices, out=out)
        rows = {row.instance_type: row for row in forecast.rows()}
        # 6 jobs x 1 instance x 1,800 s = 3 instance-hours per type.
        assert (rows["ml.m5.xlarge"].jobs, rows["ml.m5.xlarge"].worst_hours) == (6, 3.0)
        assert rows["ml.m5.xlarge"].worst_usd == pytest.approx(3 * 0.23)
        assert rows["ml.c5.2xlarge"].worst_usd == pytest.approx(3 * 0.408)
        text = out.getvalue()
        assert "total                     12        12           6.0" in text
        assert "1.91" in text  # 0.69 + 1.224
        assert f"prices: {prices}" in text

    async def test_without_prices_it_says_so(self) -> None:
        """No --prices and no target: instance-hours only, and a line that says so."""
        out = io.StringIO()
        forecast = await plan(ROOT / "configs" / "xgb-random-spot.yaml", out=out)
        (row,) = forecast.rows()
        assert (row.jobs, row.worst_hours, row.worst_usd) == (200, 200.0, None)
        assert "no prices: instance-hours only" in out.getvalue()

    async def test_the_mock_prices_it_and_says_they_are_illustrative(self) -> None:
        """plan --mock reads the embedded mock's Price List: 200 h at its m5.xlarge price."""
        out = io.StringIO()
        forecast = await plan(ROOT / "configs" / "xgb-random-spot.yaml", mock=True, out=out)
        (row,) = forecast.rows()
        assert row.worst_usd == pytest.approx(200 * M5)
        assert "illustrative" in out.getvalue()

    async def test_preferences_are_priced_at_the_dearest(self, tmp_path: Path) -> None:
        """InstancePreferences [m5.xlarge x1, c5.2xlarge x2]: counted on 2 x c5.2xlarge."""
        resources = {
            "InstancePreferences": [
                {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
                {"InstanceType": "ml.c5.2xlarge", "InstanceCount": 2},
            ],
            "VolumeSizeInGB": 5,
        }
        sweep = write_sweep(tmp_path, 3, template_extra={"ResourceConfig": resources})
        prices = tmp_path / "p.csv"
        prices.write_text("ml.m5.xlarge,0.23\nml.c5.2xlarge,0.408\n")
        forecast = await plan(sweep, prices_file=prices, out=io.StringIO())
        (row,) = forecast.rows()
        assert (row.instance_type, row.instances) == ("ml.c5.2xlarge", 6)
        assert row.worst_usd == pytest.approx(3 * 2 * (600 / 3600) * 0.408)


class TestBudgetArithmetic:
    def test_a_job_is_dispatched_only_within_the_budget(self) -> None:
        """Worst case until a job ended, then the mean billable time so far."""
        usage = Usage((("ml.m5.xlarge", 1),), 3600, False)
        meter = Meter(Budget(1.0, "usd"), Prices({"ml.m5.xlarge": 0.4}, "t"))
        assert meter.expected(usage) == pytest.approx(0.4)  # an hour: nothing ended yet
        meter.started("a", usage, now=0.0)
        meter.started("b", usage, now=0.0)
        assert not meter.allows(usage, now=0.0)  # 0.8 committed + 0.4 > 1.0
        meter.ended("a", "ml.m5.xlarge", 1, 360)  # billed 6 minutes
        assert meter.spent == pytest.approx(0.04)
        assert meter.expected(usage) == pytest.approx(0.04)
        assert meter.allows(usage, now=360.0)  # 0.04 + 0.4 (b, worst) + 0.04 <= 1.0
        assert not meter.check(now=360.0)
        assert meter.check(now=3600 * 2.4)  # b has accrued 0.96: spent + accrued >= 1.0

    @pytest.mark.parametrize(
        ("text", "budget"),
        [
            pytest.param("250usd", Budget(250.0, "usd"), id="usd"),
            pytest.param("$12.5", Budget(12.5, "usd"), id="dollar-sign"),
            pytest.param("40h", Budget(40.0, "instance_hours"), id="hours"),
        ],
    )
    def test_budget_texts(self, text: str, budget: Budget) -> None:
        """--budget takes an amount and a unit."""
        assert parse_budget(text) == budget


class TestBudgetRun:
    async def test_a_driven_sweep_ends_at_its_budget(self, tmp_path: Path) -> None:
        """200 jobs, --budget: 'budget reached', spend <= budget + one poll's accrual,
        every job ended or never dispatched."""
        cap, poll, budget = 4, 0.3, 0.004
        stopping = {"MaxRuntimeInSeconds": 30}
        sweep = write_sweep(tmp_path, 200, template_extra={"StoppingCondition": stopping})
        config = MockConfig(job_seconds=(1.0, 2.0), seed=3)
        with MockServer(config) as server:
            summary = await submit(
                sweep,
                endpoint_url=server.url,
                max_running=cap,
                poll=poll,
                budget=f"{budget}usd",
                rate=200,
                parts=FAST,
            )
            jobs = server.jobs()
            spent = mock_spend(server, list(jobs))
        assert summary.stopped_by is not None
        assert summary.stopped_by.startswith("budget reached")
        assert summary.exit_code == 0
        assert 0 < len(jobs) < 200
        assert set(jobs.values()) <= {"Completed", "Stopped"}
        # One poll's accrual of the running jobs, plus the mock's stopping time.
        assert spent <= budget + cap * (poll + 1.0) * M5 / 3600

    def test_killed_twice_and_rerun_keeps_the_same_guarantee(self, tmp_path: Path) -> None:
        """kill -9 twice, rerun: budget reached, within the bound, no name created twice."""
        cap, poll, budget = 4, 0.3, 0.003
        stopping = {"MaxRuntimeInSeconds": 30}
        sweep = write_sweep(tmp_path, 200, template_extra={"StoppingCondition": stopping})
        ledger = tmp_path / "cost.ledger.jsonl"
        rng = random.Random(4)
        with MockServer(MockConfig(job_seconds=(1.0, 2.0), seed=4)) as server:
            args = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", server.url]
            args += ["--max-running", str(cap), "--poll", str(poll), "--rate", "200"]
            args += ["--budget", f"{budget}usd", "--quiet"]
            for _ in range(2):
                proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                target = rng.randint(10, 40)
                deadline = time.monotonic() + 60
                while proc.poll() is None and time.monotonic() < deadline:
                    ended = [r for r in _records(ledger) if r.get("event") == "end"]
                    if len(ended) >= target:
                        break
                    time.sleep(0.02)
                proc.send_signal(signal.SIGKILL)
                proc.wait()
            final = subprocess.run(args, capture_output=True, text=True, timeout=180)
            again = subprocess.run(args, capture_output=True, text=True, timeout=180)
            jobs = server.jobs()
            stats = server.stats()
            spent = mock_spend(server, list(jobs))
        assert final.returncode == 0, final.stderr[-2000:]
        assert "budget reached" in final.stderr
        assert stats.created == len(jobs)  # no name created twice
        assert set(jobs.values()) <= {"Completed", "Stopped"}
        assert spent <= budget + cap * (poll + 1.0) * M5 / 3600
        # The same budget again: nothing more is dispatched.
        assert "budget reached" in again.stderr
        assert len(jobs) == stats.created


def _records(ledger: Path) -> list[dict[str, Any]]:
    if not ledger.exists():
        return []
    found = []
    for line in ledger.read_bytes().split(b"\n")[:-1]:
        try:
            found.append(json.loads(line))
        except ValueError:
            continue
    return found


class TestQuotas:
    async def test_a_quota_below_demand_warns_and_caps_the_type(self, tmp_path: Path) -> None:
        """Quota 3 of the type, --max-running 6: a warning, and at most 3 ever run."""
        sweep = write_sweep(tmp_path, 24)
        config = MockConfig(quotas={"ml.m5.xlarge": 3}, job_seconds=(0.3, 0.6), seed=2)
        with MockServer(config) as server:
            summary = await submit(
                sweep, endpoint_url=server.url, max_running=6, poll=0.1, rate=200, parts=FAST
            )
            stats = server.stats()
            jobs = server.jobs()
        (warning,) = [w for w in summary.warnings if "quota" in w]
        assert warning.startswith("quota 'ml.m5.xlarge for training job usage' is 3 instances")
        assert stats.peak_in_progress <= 3
        assert stats.quota_rejected == 0  # the run kept within it: the service never said no
        assert set(jobs.values()) == {"Completed"}
        assert len(jobs) == 24


class TestCapacityFallback:
    async def test_each_attempt_applies_exactly_its_steps(self, tmp_path: Path) -> None:
        """--capacity p3=2, two steps (on demand, then g5): every job completes somewhere,
        and attempt n of each applies exactly the first n steps."""
        resources = {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}
        stopping = {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200}
        fallback = [
            {"EnableManagedSpotTraining": False, "StoppingCondition.MaxWaitTimeInSeconds": None},
            {"ResourceConfig.InstanceType": "ml.g5.2xlarge"},
        ]
        sweep = write_sweep(
            tmp_path,
            10,
            template_extra={
                "ResourceConfig": resources,
                "StoppingCondition": stopping,
                "EnableManagedSpotTraining": True,
            },
            capacity_fallback=fallback,
        )
        config = MockConfig(capacity={"ml.p3.2xlarge": 2}, job_seconds=(2.0, 3.0), seed=1)
        with MockServer(config) as server:
            await submit(
                sweep,
                endpoint_url=server.url,
                poll=0.2,
                rate=200,
                resubmit_on="CapacityError",
                max_attempts=2,
                parts=FAST,
            )
            jobs = server.jobs()
            requests = _requests(server, list(jobs))
            reasons = failure_reasons(server, [n for n, s in jobs.items() if s == "Failed"])
        bases: dict[str, list[int]] = {}
        for name in jobs:
            base, n = split_attempt(name)
            bases.setdefault(base, []).append(n)
        assert len(bases) == 10
        for base, attempts in bases.items():
            newest = max(attempts)
            last = base if newest == 0 else f"{base}-r{newest}"
            assert jobs[last] == "Completed", (last, reasons)
        for name, request in requests.items():
            _, n = split_attempt(name)
            spot = request.get("EnableManagedSpotTraining")
            wait = request["StoppingCondition"].get("MaxWaitTimeInSeconds")
            kind = request["ResourceConfig"]["InstanceType"]
            expected = {
                0: (True, 1200, "ml.p3.2xlarge"),
                1: (False, None, "ml.p3.2xlarge"),
                2: (False, None, "ml.g5.2xlarge"),
            }[n]
            assert (spot, wait, kind) == expected, name
        records = [r for r in ledger_records(tmp_path / "cost.ledger.jsonl") if r["event"] == "job"]
        assert {r["name"]: r.get("fallback", 0) for r in records} == {
            name: split_attempt(name)[1] for name in jobs
        }

    async def test_resubmit_applies_the_step_of_the_attempt_it_makes(self, tmp_path: Path) -> None:
        """A CapacityError, then resubmit: its -r1 applies the first step."""
        fallback = [{"ResourceConfig.InstanceType": "ml.g5.2xlarge"}]
        resources = {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}
        sweep = write_sweep(
            tmp_path, 3, template_extra={"ResourceConfig": resources}, capacity_fallback=fallback
        )
        config = MockConfig(capacity={"ml.p3.2xlarge": 0}, job_seconds=0.2, seed=1)
        with MockServer(config) as server:
            await submit(sweep, endpoint_url=server.url, until_done=True, poll=0.1, parts=FAST)
            again = await resubmit(
                sweep, endpoint_url=server.url, reason="CapacityError", parts=FAST
            )
            jobs = server.jobs()
            requests = _requests(server, [n for n in jobs if split_attempt(n)[1] == 1])
        assert len(again.picks) == 3
        assert {r["ResourceConfig"]["InstanceType"] for r in requests.values()} == {"ml.g5.2xlarge"}


def _requests(server: MockServer, names: list[str]) -> dict[str, dict[str, Any]]:
    import boto3

    client = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    return {n: client.describe_training_job(TrainingJobName=n) for n in names}


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["--budget", "100eur"], "--budget: '100eur': give an amount", id="unit"),
            pytest.param(["--prices", "{bad}"], "line 2: usd_per_hour", id="prices-row"),
        ],
    )
    def test_options_are_one_line_and_exit_2(
        self, tmp_path: Path, args: list[str], message: str
    ) -> None:
        """A budget in an unknown unit, a prices file with a bad row."""
        bad = tmp_path / "bad.csv"
        bad.write_text("ml.m5.xlarge,0.23\nml.c5.xlarge,cheap\n")
        sweep = write_sweep(tmp_path, 2)
        argv = ["submit", str(sweep), "--mock", *(a.replace("{bad}", str(bad)) for a in args)]
        result = CliRunner().invoke(main, argv)
        assert result.exit_code == 2, result.output
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, lines
        assert message in lines[0]

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            pytest.param(
                {"capacity_fallback": [{"ResourceConfig.InstanceTyp": "ml.g5.xlarge"}]},
                "capacity_fallback: ResourceConfig.InstanceTyp",
                id="fallback-path",
            ),
            pytest.param(
                {
                    "template_extra": {
                        "ResourceConfig": {
                            "InstancePreferences": [{"InstanceType": "ml.g5.xlarge"}],
                            "VolumeSizeInGB": 5,
                        },
                        "EnableManagedSpotTraining": True,
                        "StoppingCondition": {
                            "MaxRuntimeInSeconds": 60,
                            "MaxWaitTimeInSeconds": 120,
                        },
                    }
                },
                "EnableManagedSpotTraining: not allowed with ResourceConfig.InstancePreferences",
                id="preferences-with-spot",
            ),
            pytest.param({"budget": {"eur": 5}}, "budget.eur: unknown unit", id="budget-key"),
        ],
    )
    def test_sweep_files_are_refused_by_plan(
        self, tmp_path: Path, extra: dict[str, Any], message: str
    ) -> None:
        """plan names the problem in one line, exit 2."""
        sweep = write_sweep(tmp_path, 2, **extra)
        result = CliRunner().invoke(main, ["plan", str(sweep)])
        assert result.exit_code == 2, result.output
        assert message in result.stderr
        assert len(set(result.stderr.strip().splitlines())) == 1, result.stderr


class TestPricesFile:
    def test_a_header_and_comments_are_allowed(self, tmp_path: Path) -> None:
        path = tmp_path / "p.csv"
        path.write_text("# from the console\ninstance_type,usd_per_hour\nml.m5.xlarge, 0.23\n")
        assert read_prices_file(path).usd_per_hour == {"ml.m5.xlarge": 0.23}

    def test_every_bad_row_is_named(self, tmp_path: Path) -> None:
        path = tmp_path / "p.csv"
        path.write_text("m5.xlarge,0.1\nml.c5.xlarge,-1\nml.a,1,2\n")
        with pytest.raises(InputError) as caught:
            read_prices_file(path)
        assert [p.subject for p in caught.value.problems] == ["line 1", "line 2", "line 3"]
