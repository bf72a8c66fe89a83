"""The mock's cold starts and warm pools (docs/mock.md#start-up-and-warm-pools): a job
with a keep-alive leaves a pool Available when it completes; the next matching job
starts on it in half a second; the pool is released after its keep-alive."""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagesweep.mock import MockConfig, MockServer
from tests.clients import boto3_client

RESOURCES = {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}
REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


def sagemaker(server: MockServer) -> Any:
    return boto3_client(server)


def create(sm: Any, name: str, keep_alive: int | None = 60, **resources: Any) -> None:
    request = copy.deepcopy(REQUEST)
    request["ResourceConfig"] = {**RESOURCES, **resources}
    if keep_alive is not None:
        request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = keep_alive
    sm.create_training_job(TrainingJobName=name, **request)


def wait_for(sm: Any, name: str, want: str, *, warm: str | None = None) -> dict[str, Any]:
    """Describe ``name`` until its status is ``want`` (and its pool ``warm``)."""
    deadline = time.monotonic() + 60
    while True:
        job: dict[str, Any] = sm.describe_training_job(TrainingJobName=name)
        pool = (job.get("WarmPoolStatus") or {}).get("Status")
        if job["TrainingJobStatus"] == want and (warm is None or pool == warm):
            return job
        assert time.monotonic() < deadline, (name, job["TrainingJobStatus"], pool)
        time.sleep(0.05)


def start_delay(job: dict[str, Any]) -> float:
    """Seconds in Starting, from the job's own timestamps."""
    delay: float = (job["TrainingStartTime"] - job["CreationTime"]).total_seconds()
    return delay


class TestColdStart:
    def test_start_seconds_is_the_starting_phase(self) -> None:
        with MockServer(MockConfig(job_seconds=0.5, start_seconds=2.0, seed=1)) as server:
            sm = sagemaker(server)
            create(sm, "cold", keep_alive=None)
            job = wait_for(sm, "cold", "Completed")
        assert start_delay(job) == pytest.approx(2.0, abs=0.01)
        total = (job["TrainingEndTime"] - job["CreationTime"]).total_seconds()
        assert total == pytest.approx(2.5, abs=0.01)
        assert "WarmPoolStatus" not in job  # no keep-alive, no pool

    def test_without_start_seconds_starting_stays_a_share_of_the_run(self) -> None:
        with MockServer(MockConfig(job_seconds=1.0, seed=1)) as server:
            sm = sagemaker(server)
            create(sm, "plain", keep_alive=None)
            job = wait_for(sm, "plain", "Completed")
        assert start_delay(job) == pytest.approx(0.15, abs=0.01)


class TestWarmPools:
    def test_a_matching_job_starts_warm_and_the_pool_moves_to_it(self) -> None:
        config = MockConfig(job_seconds=0.5, start_seconds=3.0, seed=1)
        with MockServer(config) as server:
            sm = sagemaker(server)
            create(sm, "first")
            running = sm.describe_training_job(TrainingJobName="first")
            assert running["WarmPoolStatus"]["Status"] == "InUse"
            wait_for(sm, "first", "Completed", warm="Available")
            create(sm, "other-type", InstanceType="ml.m5.2xlarge")  # does not match
            create(sm, "second")  # matches: takes the pool
            second = wait_for(sm, "second", "Completed")
            other = wait_for(sm, "other-type", "Completed")
            first = sm.describe_training_job(TrainingJobName="first")
            stats = server.stats()
        assert start_delay(second) <= 1.0
        assert start_delay(other) == pytest.approx(3.0, abs=0.01)
        assert first["WarmPoolStatus"]["Status"] == "Reused"
        assert first["WarmPoolStatus"]["ReusedByJob"] == "second"
        assert first["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"] >= 0
        assert second["WarmPoolStatus"]["Status"] == "Available"
        assert stats.warm_starts == 1

    def test_a_pool_is_released_after_its_keep_alive(self) -> None:
        with MockServer(MockConfig(job_seconds=0.3, seed=1)) as server:
            sm = sagemaker(server)
            create(sm, "short", keep_alive=1)
            job = wait_for(sm, "short", "Completed", warm="Terminated")
            create(sm, "late")
            late = wait_for(sm, "late", "Completed")
            stats = server.stats()
        assert job["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"] == 1
        assert "ReusedByJob" not in job["WarmPoolStatus"]
        assert stats.warm_starts == 0
        assert start_delay(late) == pytest.approx(0.3 * 0.15, abs=0.01)

    def test_a_failed_job_keeps_no_pool(self) -> None:
        config = MockConfig(job_seconds=0.3, fail_rate=1.0, seed=1)
        with MockServer(config) as server:
            sm = sagemaker(server)
            create(sm, "fails")
            job = wait_for(sm, "fails", "Failed", warm="Terminated")
        assert job["WarmPoolStatus"]["ResourceRetainedBillableTimeInSeconds"] == 0

    def test_spot_with_a_keep_alive_is_refused(self) -> None:
        with MockServer(MockConfig()) as server:
            sm = sagemaker(server)
            request = copy.deepcopy(REQUEST)
            request["ResourceConfig"] = {**RESOURCES, "KeepAlivePeriodInSeconds": 60}
            request["StoppingCondition"]["MaxWaitTimeInSeconds"] = 1200
            with pytest.raises(ClientError) as caught:
                sm.create_training_job(
                    TrainingJobName="spot", EnableManagedSpotTraining=True, **request
                )
        assert caught.value.response["Error"]["Code"] == "ValidationException"

    def test_the_warm_pool_quota_refuses_a_keep_alive_beyond_it(self) -> None:
        config = MockConfig(job_seconds=30.0, warm_pool_quotas={"ml.m5.xlarge": 1})
        with MockServer(config) as server:
            sm = sagemaker(server)
            create(sm, "one")
            with pytest.raises(ClientError) as caught:
                create(sm, "two")
            create(sm, "no-pool", keep_alive=None)  # no keep-alive: not a warm-pool use
            listed = boto3_client(server, "service-quotas").list_service_quotas(
                ServiceCode="sagemaker"
            )
        quotas = listed["Quotas"]
        error = caught.value.response["Error"]
        assert error["Code"] == "ResourceLimitExceeded"
        assert "ml.m5.xlarge for training warm pool usage" in error["Message"]
        names = {q["QuotaName"]: q["Value"] for q in quotas}
        assert names == {"ml.m5.xlarge for training warm pool usage": 1.0}


class TestStateFile:
    def test_a_restarted_mock_keeps_pools_and_start_phases(self, tmp_path: Path) -> None:
        """With --state, a pool reused before a restart stays Reused, and the warm job's
        half-second Starting phase is kept (the fate is stored with the job)."""
        state = tmp_path / "account.json"
        config = MockConfig(job_seconds=0.3, start_seconds=2.0, seed=1, state_file=state)
        with MockServer(config) as server:
            sm = sagemaker(server)
            create(sm, "first")
            wait_for(sm, "first", "Completed", warm="Available")
            create(sm, "second")
            wait_for(sm, "second", "Completed")
        with MockServer(MockConfig(seed=9, state_file=state)) as server:
            sm = sagemaker(server)
            first = sm.describe_training_job(TrainingJobName="first")
            second = sm.describe_training_job(TrainingJobName="second")
        assert first["WarmPoolStatus"]["Status"] == "Reused"
        assert first["WarmPoolStatus"]["ReusedByJob"] == "second"
        assert start_delay(second) <= 1.0
        assert start_delay(first) == pytest.approx(2.0, abs=0.01)
