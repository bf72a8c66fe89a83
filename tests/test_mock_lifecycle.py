"""The back of a training job: its lifecycle, its fate, and the metrics it reports.

Pure functions are specified directly; the end-to-end tests check that boto3 and
aiobotocore see the same through the mock, with short job durations.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import Counter
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from sagesweep.mock import MockConfig
from sagesweep.mock.fate import CAPACITY_ERROR, Fate, decide_fate, failure_kind
from sagesweep.mock.lifecycle import billing, history, natural_end, primary_status, visible
from sagesweep.mock.objective import (
    DEFAULT_METRIC,
    OPTIMA,
    final_metrics,
    maximized,
    metric_value,
    noise,
    optimum,
    quality,
)
from sagesweep.mock.state import JobTable
from sagesweep.mock.views import JobView, describe
from tests.conftest import MockFactory
from tests.test_mock_server import REQUEST, client

PHASES = ["Starting", "Downloading", "Training", "Uploading", "Completed"]
MIX = {"AlgorithmError": 1.0, "CapacityError": 1.0, "InternalServerError": 1.0}


def binomial_bounds(n: int, p: float) -> tuple[float, float]:
    """Mean +- 4.5 standard deviations: a fair draw falls outside once in ~150,000."""
    spread = 4.5 * math.sqrt(n * p * (1 - p))
    return n * p - spread, n * p + spread


def fates(seed: object, count: int, **settings: Any) -> list[Fate]:
    options: dict[str, Any] = {"job_seconds": (1.0, 3.0), "fail_rate": 0.2, "fail_reasons": MIX}
    options.update(settings)
    return [decide_fate(seed, f"job-{i:04d}", **options) for i in range(count)]


class TestHistory:
    def test_a_completing_run_passes_every_phase(self) -> None:
        """Starting, Downloading, Training, Uploading, Completed at 0/15/25/90/100 % of it."""
        steps = history(1000.0, Fate(duration=100.0), None, None)
        assert [s.status for s in steps] == PHASES
        assert [s.at - 1000.0 for s in steps] == pytest.approx([0, 15, 25, 90, 100])
        assert steps[2].message == "Training image download completed. Training in progress."

    def test_capacity_error_ends_while_starting(self) -> None:
        """No instance was ever provisioned: Starting, then Failed, nothing billed."""
        fate = Fate(duration=100.0, failure=CAPACITY_ERROR, fail_point=0.5)
        steps = history(0.0, fate, None, None)
        assert [(s.status, s.at) for s in steps] == [("Starting", 0.0), ("Failed", 7.5)]
        assert billing(steps, fate, spot=False).billable_seconds is None

    def test_algorithm_error_ends_while_training(self) -> None:
        """Other failures come part-way through Training, and the time run is billed."""
        fate = Fate(duration=100.0, failure="AlgorithmError: boom", fail_point=0.5)
        steps = history(0.0, fate, None, None)
        assert [s.status for s in steps] == ["Starting", "Downloading", "Training", "Failed"]
        assert steps[-1].at == pytest.approx(25 + 65 * 0.5)
        times = billing(steps, fate, spot=False)
        assert (times.start, times.training_seconds) == (15.0, math.ceil(57.5 - 15))

    def test_stop_cuts_the_run(self) -> None:
        """A stop while Training: the phases so far, Stopping, then Stopped."""
        steps = history(0.0, Fate(duration=100.0), 50.0, 52.0)
        assert [(s.status, s.at) for s in steps] == [
            ("Starting", 0.0),
            ("Downloading", 15.0),
            ("Training", 25.0),
            ("Stopping", 50.0),
            ("Stopped", 52.0),
        ]

    def test_visible_steps_and_primary_status(self) -> None:
        """At each moment the latest step decides TrainingJobStatus."""
        steps = history(0.0, Fate(duration=100.0), 50.0, 52.0)
        expected = {
            0: "InProgress",
            30: "InProgress",
            50: "Stopping",
            51: "Stopping",
            60: "Stopped",
        }
        for now, status in expected.items():
            assert primary_status(visible(steps, now)[-1]) == status

    @pytest.mark.parametrize(
        ("spot", "billable"),
        [pytest.param(False, 85, id="on-demand"), pytest.param(True, 43, id="spot")],
    )
    def test_billing(self, spot: bool, billable: int) -> None:
        """Training seconds round up; managed spot bills (1 - savings) of them, rounded up."""
        fate = Fate(duration=100.0, spot_savings=0.5)
        times = billing(history(0.0, fate, None, None), fate, spot=spot)
        assert (times.training_seconds, times.billable_seconds) == (85, billable)

    def test_failed_job_releases_its_instances(self) -> None:
        """A job that fails stops counting against its instance type's quota."""
        now = [0.0]
        jobs = JobTable(quotas={"ml.p3.2xlarge": 1}, stopping_seconds=0, clock=lambda: now[0])
        fate = Fate(duration=10.0, failure="AlgorithmError: boom", fail_point=0.0)
        jobs.add(
            region="r",
            name="a",
            arn="a",
            instance_type="ml.p3.2xlarge",
            instance_count=1,
            fate=fate,
        )
        assert jobs.check_quota("r", "ml.p3.2xlarge", 1) is not None
        now[0] = 2.5  # the run fails as Training begins
        jobs.advance()
        assert jobs.statuses("r") == {"a": "Failed"}
        assert jobs.check_quota("r", "ml.p3.2xlarge", 1) is None

    def test_table_status_agrees_with_describe(self) -> None:
        """The table's status (which quotas count) is the one Describe shows, at any time."""
        now = [0.0]
        jobs = JobTable(quotas={}, stopping_seconds=3, clock=lambda: now[0])
        for i, fate in enumerate(fates(7, 40, job_seconds=(5.0, 20.0), fail_rate=0.4)):
            jobs.add(
                region="r",
                name=f"j{i}",
                arn=f"a{i}",
                instance_type="t",
                instance_count=1,
                fate=fate,
            )
        for tick in range(300):
            now[0] = tick / 10
            jobs.advance()
            if tick == 80:
                for job in jobs.jobs():
                    if job.status == "InProgress":
                        jobs.stop(job)
            for job in jobs.jobs():
                assert describe(JobView(job, now[0]))["TrainingJobStatus"] == job.status
        assert jobs.in_progress == 0
        assert 0 < jobs.peak_in_progress <= 40


class TestFate:
    def test_fail_rate_within_binomial_bounds(self) -> None:
        """Of 1,000 jobs at fail rate 0.2, the failures are a fair binomial draw."""
        failed = [f for f in fates(11, 1000) if f.failure is not None]
        low, high = binomial_bounds(1000, 0.2)
        assert low <= len(failed) <= high

    def test_reason_mix_follows_the_weights(self) -> None:
        """CapacityError=2,AlgorithmError=1: two thirds of the failures lack capacity."""
        weights = {"CapacityError": 2.0, "AlgorithmError": 1.0}
        drawn = fates(12, 1000, fail_rate=1.0, fail_reasons=weights)
        kinds = Counter(failure_kind(f.failure or "") for f in drawn)
        assert set(kinds) == {"CapacityError", "AlgorithmError"}
        low, high = binomial_bounds(1000, 2 / 3)
        assert low <= kinds["CapacityError"] <= high

    def test_same_seed_same_fates(self) -> None:
        """A seed replays every job's fate; another seed gives other fates."""
        assert fates(5, 200) == fates(5, 200)
        assert fates(5, 200) != fates(6, 200)

    def test_fate_depends_on_the_name_not_the_order(self) -> None:
        """Asking in another order changes nothing: the draw is keyed by the name."""
        names = [f"job-{i:04d}" for i in range(200)]
        shuffled = random.Random(3).sample(names, len(names))
        settings: dict[str, Any] = {
            "job_seconds": (1.0, 3.0),
            "fail_rate": 0.3,
            "fail_reasons": MIX,
        }
        forward = {name: decide_fate(9, name, **settings) for name in names}
        backward = {name: decide_fate(9, name, **settings) for name in shuffled}
        assert forward == backward

    def test_durations_span_the_range(self) -> None:
        """job_seconds 1-3: every duration inside, both ends approached."""
        durations = [f.duration for f in fates(13, 1000)]
        assert all(1.0 <= d <= 3.0 for d in durations)
        assert min(durations) < 1.05
        assert max(durations) > 2.95

    @pytest.mark.parametrize(
        ("rate", "failing"), [pytest.param(0.0, 0, id="never"), pytest.param(1.0, 300, id="always")]
    )
    def test_extreme_rates(self, rate: float, failing: int) -> None:
        """Rate 0 fails no job, rate 1 fails every job."""
        assert sum(f.failure is not None for f in fates(1, 300, fail_rate=rate)) == failing

    def test_reasons_look_like_sagemaker(self) -> None:
        """Every FailureReason starts with its kind, and capacity has AWS's wording."""
        reasons = {f.failure for f in fates(2, 500, fail_rate=1.0) if f.failure}
        assert {failure_kind(r) for r in reasons} == set(MIX)
        assert CAPACITY_ERROR in reasons
        assert CAPACITY_ERROR.startswith(
            "CapacityError: Unable to provision requested ML compute capacity."
        )


class TestObjective:
    def test_quality_is_one_at_the_optimum(self) -> None:
        """Every numeric hyperparameter at its center gives quality 1."""
        centers = {name: str(OPTIMA[name].center) for name in ("eta", "max_depth", "subsample")}
        assert quality(centers) == pytest.approx(1.0)

    def test_worked_example(self) -> None:
        """The formula of the docs, by hand: eta one decade off its center."""
        eta = OPTIMA["eta"]
        d = (math.log10(1.0 + eta.floor) - math.log10(eta.center + eta.floor)) / eta.width
        q = math.exp(-(d**2) / 2)
        assert quality({"eta": "1.0", "max_depth": "6"}) == pytest.approx(q)
        assert metric_value("validation:auc", q, 0.5) == pytest.approx(0.5 + 0.45 * q + 0.0025)
        assert metric_value("validation:rmse", q, -1.0) == pytest.approx(
            0.05 + 0.9 * (1 - q) - 0.005
        )

    def test_log_scale_for_values_spanning_decades(self) -> None:
        """A decade below or above eta's center costs the same."""
        assert quality({"eta": "0.01"}) == pytest.approx(quality({"eta": "1.0"}), rel=1e-3)

    def test_one_best_region(self) -> None:
        """Quality falls off monotonically on either side of the center."""
        values = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
        qualities = [quality({"learning_rate": str(v)}) for v in values]
        best = qualities.index(max(qualities))
        assert values[best] == 0.1
        assert qualities[:best] == sorted(qualities[:best])
        assert qualities[best:] == sorted(qualities[best:], reverse=True)

    def test_only_numbers_count(self) -> None:
        """Text values and bookkeeping names (seed, num_class) do not move the quality."""
        base = quality({"eta": "0.3"})
        assert quality({"eta": "0.3", "objective": "binary:logistic", "seed": "42"}) == base
        assert quality({"eta": "0.3", "num_class": "7", "flag": "true"}) == base

    def test_unknown_names_get_an_optimum_from_the_name(self) -> None:
        """An unlisted parameter still has one center, in [0.01, 100], the same every time."""
        center = optimum("my_param").center
        assert 0.01 <= center <= 100
        assert optimum("my_param") == optimum("my_param")
        assert quality({"my_param": str(center)}) == pytest.approx(1.0)

    def test_values_are_bounded(self) -> None:
        """auc-like metrics stay in (0.495, 0.955), losses in (0.045, 0.955)."""
        rng = random.Random(4)
        for i in range(500):
            params = {"eta": str(10 ** rng.uniform(-5, 2)), "max_depth": str(rng.randint(0, 40))}
            auc, loss = final_metrics(
                ["validation:auc", "validation:logloss"], params, seed=1, job_name=f"j{i}"
            )
            assert 0.495 < auc[1] < 0.955
            assert 0.045 < loss[1] < 0.955

    def test_deterministic_with_per_job_noise(self) -> None:
        """Same seed and name, same value; another name, a slightly different one."""
        params = {"eta": "0.2"}
        first = final_metrics(["validation:auc"], params, seed=3, job_name="a")
        assert first == final_metrics(["validation:auc"], params, seed=3, job_name="a")
        other = final_metrics(["validation:auc"], params, seed=3, job_name="b")
        assert first != other
        assert abs(first[0][1] - other[0][1]) <= 0.01

    def test_default_metric_and_direction(self) -> None:
        """No metric definitions: validation:auc. Names decide which way is better."""
        assert [name for name, _ in final_metrics([], {}, seed=0, job_name="j")] == [DEFAULT_METRIC]
        assert maximized("validation:auc")
        assert maximized("train:accuracy")
        assert not maximized("validation:rmse")
        assert -1.0 <= noise(0, "j", "m") < 1.0


METRIC_REQUEST: dict[str, Any] = dict(
    REQUEST,
    AlgorithmSpecification=dict(
        REQUEST["AlgorithmSpecification"],
        MetricDefinitions=[
            {"Name": "validation:auc", "Regex": "auc=(\\S+)"},
            {"Name": "train:logloss", "Regex": "loss=(\\S+)"},
        ],
    ),
    HyperParameters={"eta": "0.05", "max_depth": "4", "objective": "binary:logistic"},
)


def describe_until(sm: Any, name: str, status: str, timeout: float = 15) -> list[dict[str, Any]]:
    """Describe ``name`` until it has ``status``; every response seen, in order."""
    seen = []
    deadline = time.monotonic() + timeout
    while True:
        described = sm.describe_training_job(TrainingJobName=name)
        seen.append(described)
        if described["TrainingJobStatus"] == status:
            return seen
        assert time.monotonic() < deadline, f"{name} never reached {status}"
        time.sleep(0.02)


class TestThroughTheServer:
    def test_secondary_statuses_advance_in_order(self, mock_factory: MockFactory) -> None:
        """Polling sees the phases in SageMaker's order, and the history lists them all."""
        sm = client(mock_factory(job_seconds=0.8))
        sm.create_training_job(TrainingJobName="job-1", **METRIC_REQUEST)
        seen = describe_until(sm, "job-1", "Completed")
        # Which phases a poll catches depends on the machine's speed; their order does not.
        observed = [d["SecondaryStatus"] for d in seen]
        assert [PHASES.index(s) for s in observed] == sorted(PHASES.index(s) for s in observed)
        final = seen[-1]
        transitions = final["SecondaryStatusTransitions"]
        assert [t["Status"] for t in transitions] == PHASES
        starts = [t["StartTime"] for t in transitions]
        assert starts == sorted(starts)
        assert final["TrainingStartTime"] == transitions[1]["StartTime"]
        assert final["TrainingEndTime"] == transitions[-1]["StartTime"] == final["LastModifiedTime"]
        assert final["BillableTimeInSeconds"] == final["TrainingTimeInSeconds"] >= 1
        assert all(
            "TrainingEndTime" not in d for d in seen if d["TrainingJobStatus"] != "Completed"
        )

    def test_metrics_follow_the_documented_objective(self, mock_factory: MockFactory) -> None:
        """FinalMetricDataList has the request's metric names and the formula's values."""
        sm = client(mock_factory(seed=21))
        sm.create_training_job(TrainingJobName="job-1", **METRIC_REQUEST)
        described = sm.describe_training_job(TrainingJobName="job-1")
        reported = [(m["MetricName"], m["Value"]) for m in described["FinalMetricDataList"]]
        expected = final_metrics(
            ["validation:auc", "train:logloss"],
            METRIC_REQUEST["HyperParameters"],
            seed=21,
            job_name="job-1",
        )
        assert reported == expected
        # The caller's metric definitions are echoed, not replaced.
        assert (
            described["AlgorithmSpecification"]["MetricDefinitions"]
            == METRIC_REQUEST["AlgorithmSpecification"]["MetricDefinitions"]
        )

    def test_fates_match_the_seeded_draw(self, mock_factory: MockFactory) -> None:
        """Each job ends as decide_fate says for its name, with its FailureReason."""
        sm = client(mock_factory(seed=3, fail_rate=0.5))
        names = [f"job-{i}" for i in range(30)]
        for name in names:
            sm.create_training_job(TrainingJobName=name, **REQUEST)
        for name in names:
            described = sm.describe_training_job(TrainingJobName=name)
            fate = decide_fate(
                3,
                name,
                job_seconds=(0.0, 0.0),
                fail_rate=0.5,
                fail_reasons={
                    "AlgorithmError": 2.0,
                    "CapacityError": 2.0,
                    "InternalServerError": 1.0,
                },
            )
            expected = "Completed" if fate.failure is None else "Failed"
            assert described["TrainingJobStatus"] == expected
            assert described.get("FailureReason") == fate.failure
            assert ("FinalMetricDataList" in described) == (fate.failure is None)

    def test_arrival_order_does_not_change_fates(self, mock_factory: MockFactory) -> None:
        """Two mocks with one seed, jobs created in opposite orders: the same outcomes."""
        names = [f"job-{i}" for i in range(25)]

        def outcomes(order: list[str]) -> dict[str, tuple[str, str | None]]:
            sm = client(mock_factory(seed=8, fail_rate=0.5))
            for name in order:
                sm.create_training_job(TrainingJobName=name, **REQUEST)
            return {
                name: (d["TrainingJobStatus"], d.get("FailureReason"))
                for name in names
                for d in [sm.describe_training_job(TrainingJobName=name)]
            }

        assert outcomes(names) == outcomes(names[::-1])

    def test_stop_mid_run(self, mock_factory: MockFactory) -> None:
        """Stopped mid-run: the phases so far, then Stopping and Stopped, no metrics."""
        sm = client(mock_factory(job_seconds=60, stopping_seconds=0.2))
        sm.create_training_job(TrainingJobName="job-1", **REQUEST)
        sm.stop_training_job(TrainingJobName="job-1")
        final = describe_until(sm, "job-1", "Stopped")[-1]
        statuses = [t["Status"] for t in final["SecondaryStatusTransitions"]]
        assert statuses == ["Starting", "Stopping", "Stopped"]
        assert final["SecondaryStatus"] == "Stopped"
        assert "FinalMetricDataList" not in final

    def test_managed_spot_bills_less(self, mock_factory: MockFactory) -> None:
        """A managed spot job is billed for less time than it trained."""
        # 1.3 s: 1.105 s of training, billed as 2 s on demand, 1 s on spot.
        sm = client(mock_factory(job_seconds=1.3))
        sm.create_training_job(TrainingJobName="spot", EnableManagedSpotTraining=True, **REQUEST)
        final = describe_until(sm, "spot", "Completed")[-1]
        assert final["BillableTimeInSeconds"] < final["TrainingTimeInSeconds"]


async def test_aiobotocore_sees_the_lifecycle(mock_factory: MockFactory) -> None:
    """The engine's client reads status, transitions and metrics the same way."""
    server = mock_factory(job_seconds=0.3, seed=2)
    async with get_session().create_client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"total_max_attempts": 1}),
    ) as sm:
        await sm.create_training_job(TrainingJobName="aio-1", **METRIC_REQUEST)
        # No look at it while it runs (a loaded machine may only look after it ended):
        # the transitions below say it passed every phase.
        deadline = time.monotonic() + 120
        while (described := await sm.describe_training_job(TrainingJobName="aio-1"))[
            "TrainingJobStatus"
        ] != "Completed":
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
    assert [t["Status"] for t in described["SecondaryStatusTransitions"]] == PHASES
    assert [m["MetricName"] for m in described["FinalMetricDataList"]] == [
        "validation:auc",
        "train:logloss",
    ]


def test_config_range_reaches_the_jobs() -> None:
    """MockConfig(job_seconds=(1, 3)) is the range each job's duration is drawn from."""
    assert MockConfig(job_seconds=(1, 3)).job_seconds_range == (1.0, 3.0)
    assert MockConfig(job_seconds=2).job_seconds_range == (2.0, 2.0)
    end, status = natural_end(0.0, Fate(duration=2.0))
    assert (end, status) == (2.0, "Completed")
