"""The mock's learning curves: the formula (docs/mock-conformance.md#learning-curves) and
what a CloudWatch client sees of them on the mock's endpoint."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sagesweep.mock import MockConfig, MockServer
from sagesweep.mock.curves import curve, speed, start_value
from sagesweep.mock.fate import Fate
from sagesweep.mock.lifecycle import training_window
from sagesweep.mock.objective import final_metrics
from tests.clients import boto3_client
from tests.sweeps import metric_template

METRIC = "validation:auc"


def points(name: str, *, quality_eta: float, stopped: float | None = None) -> list[Any]:
    fate = Fate(duration=100.0)
    metrics = tuple(final_metrics([METRIC], {"eta": quality_eta}, seed=1, job_name=name))
    return list(
        curve(
            seed=1,
            name=name,
            created=0.0,
            fate=fate,
            metrics=metrics,
            points=10,
            stopped=stopped,
        )
    )


class TestFormula:
    def test_ten_points_over_training_ending_at_the_final_value(self) -> None:
        got = points("j", quality_eta=0.1)
        begin, end = training_window(0.0, Fate(duration=100.0))
        assert [p.step for p in got] == list(range(1, 11))
        assert got[0].at > begin
        assert got[-1].at == end
        final = final_metrics([METRIC], {"eta": 0.1}, seed=1, job_name="j")[0][1]
        assert got[-1].value == final
        assert abs(got[0].value - start_value(METRIC)) < abs(final - start_value(METRIC))

    def test_a_stopped_job_reports_nothing_after_its_stop(self) -> None:
        full = points("j", quality_eta=0.1)
        cut = points("j", quality_eta=0.1, stopped=full[3].at + 0.01)
        assert cut == full[:4]

    def test_a_job_short_of_capacity_reports_nothing(self) -> None:
        fate = Fate(duration=100.0).without_capacity()
        got = curve(
            seed=1,
            name="j",
            created=0.0,
            fate=fate,
            metrics=((METRIC, 0.9),),
            points=10,
            stopped=None,
        )
        assert list(got) == []

    def test_curves_cross(self) -> None:
        """Among 40 jobs some pair ranks one way at step 3 and the other way at the end:
        a good job can start slowly."""
        curves = [points(f"job-{i}", quality_eta=10 ** (-3 + i / 10)) for i in range(40)]
        crossed = sum(
            1
            for a in curves
            for b in curves
            if a[2].value > b[2].value and a[-1].value < b[-1].value
        )
        assert crossed > 0
        speeds = {speed(1, f"job-{i}") for i in range(40)}
        assert min(speeds) >= 0.5
        assert max(speeds) < 3.5


def create(sm: Any, name: str) -> None:
    request = metric_template(METRIC)
    sm.create_training_job(TrainingJobName=name, HyperParameters={"eta": "0.1"}, **request)


def read(cw: Any, name: str) -> list[float]:
    now = datetime.now(UTC)
    answer = cw.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": "/aws/sagemaker/TrainingJobs",
                        "MetricName": METRIC,
                        "Dimensions": [{"Name": "TrainingJobName", "Value": name}],
                    },
                    "Period": 1,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=now - timedelta(minutes=5),
        EndTime=now + timedelta(seconds=5),
        ScanBy="TimestampAscending",
    )
    (result,) = answer["MetricDataResults"]
    return [float(v) for v in result["Values"]]


def wait_ended(sm: Any, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job: dict[str, Any] = sm.describe_training_job(TrainingJobName=name)
        if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"{name} did not end")


class TestOnTheEndpoint:
    def test_a_completed_job_s_curve_is_in_cloudwatch(self) -> None:
        """Points 1 s apart or more (4 points over 4.55 s of Training): each is its own
        datapoint, and the last is the FinalMetricDataList value."""
        with MockServer(MockConfig(job_seconds=7.0, seed=4, curve_points=4)) as server:
            sm, cw = boto3_client(server), boto3_client(server, "cloudwatch")
            create(sm, "c1")
            job = wait_ended(sm, "c1")
            values = read(cw, "c1")
        assert len(values) == 4
        (final,) = job["FinalMetricDataList"]
        assert values[-1] == final["Value"]

    def test_no_point_is_seen_before_its_time_plus_the_delay(self) -> None:
        config = MockConfig(job_seconds=2.0, seed=4, curve_points=2, metric_delay=3600.0)
        with MockServer(config) as server:
            sm, cw = boto3_client(server), boto3_client(server, "cloudwatch")
            create(sm, "d1")
            wait_ended(sm, "d1")
            assert read(cw, "d1") == []
            listed = cw.list_metrics(Namespace="/aws/sagemaker/TrainingJobs")["Metrics"]
        assert listed == []

    def test_a_stopped_job_s_curve_ends_at_its_stop(self) -> None:
        with MockServer(MockConfig(job_seconds=60.0, seed=4, curve_points=4)) as server:
            sm, cw = boto3_client(server), boto3_client(server, "cloudwatch")
            create(sm, "s1")
            sm.stop_training_job(TrainingJobName="s1")
            wait_ended(sm, "s1")
            assert read(cw, "s1") == []  # stopped before Training began

    def test_curve_points_0_publishes_nothing(self) -> None:
        with MockServer(MockConfig(job_seconds=1.0, seed=4, curve_points=0)) as server:
            sm, cw = boto3_client(server), boto3_client(server, "cloudwatch")
            create(sm, "z1")
            wait_ended(sm, "z1")
            assert read(cw, "z1") == []
