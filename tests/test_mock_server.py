"""The mock as boto3 sees it: each realism rule over the real wire protocol."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from sagesweep.aws.outcomes import ErrorKind, classify
from sagesweep.mock import MockServer
from tests.conftest import MockFactory

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:latest", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def client(server: MockServer, *, pool: int = 10, region: str = "us-east-1") -> Any:
    """A boto3 SageMaker client with SDK retries off, so every error is visible."""
    return boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=pool),
    )


def create(sm: Any, name: str, instance_type: str = "ml.m5.xlarge") -> str:
    request = dict(
        REQUEST, ResourceConfig=dict(REQUEST["ResourceConfig"], InstanceType=instance_type)
    )
    return str(sm.create_training_job(TrainingJobName=name, **request)["TrainingJobArn"])


def error_of(exc: pytest.ExceptionInfo[ClientError] | ClientError) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ClientError."""
    error = exc.value if isinstance(exc, pytest.ExceptionInfo) else exc
    response: Any = error.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def wait_for_status(sm: Any, name: str, status: str, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] != status:
        assert time.monotonic() < deadline, f"{name} never reached {status}"
        time.sleep(0.1)


def http_json(url: str, method: str = "GET") -> Any:
    with urllib.request.urlopen(urllib.request.Request(url, method=method)) as response:
        return json.loads(response.read())


class TestNames:
    def test_duplicate_name_is_resource_in_use(self, mock_server: MockServer) -> None:
        """A second create of a name fails with AWS's exact message; the first job stays."""
        sm = client(mock_server)
        arn = create(sm, "job-1")
        with pytest.raises(ClientError) as exc:
            create(sm, "job-1", instance_type="ml.c5.xlarge")
        assert error_of(exc) == (
            "ResourceInUse",
            "Training job names must be unique within an AWS account and region, and a "
            f"training job with this name already exists ({arn})",
            400,
        )
        described = sm.describe_training_job(TrainingJobName="job-1")
        assert described["ResourceConfig"]["InstanceType"] == "ml.m5.xlarge"
        assert mock_server.stats().duplicates_rejected == 1
        assert classify(exc.value).kind is ErrorKind.EXISTS

    def test_same_name_in_another_region_is_another_job(self, mock_server: MockServer) -> None:
        """Uniqueness is per account and region, as in AWS."""
        create(client(mock_server), "job-1")
        arn = create(client(mock_server, region="eu-west-1"), "job-1")
        assert ":eu-west-1:" in arn

    def test_invalid_name_is_validation_exception(self, mock_server: MockServer) -> None:
        """A name the service would refuse gets its ValidationException, and nothing is made."""
        sm = client(mock_server)
        with pytest.raises(ClientError) as exc:
            create(sm, "bad_name")
        assert error_of(exc) == (
            "ValidationException",
            "1 validation error detected: Value 'bad_name' at 'trainingJobName' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
            400,
        )
        with pytest.raises(ClientError, match="length less than or equal to 63"):
            create(sm, "a" * 64)
        assert mock_server.jobs() == {}
        assert mock_server.stats().created == 0

    def test_name_with_a_trailing_newline_is_validation_exception(
        self, mock_server: MockServer
    ) -> None:
        """A name with a trailing newline is refused as the service refuses it, not created."""
        sm = client(mock_server)
        with pytest.raises(ClientError) as exc:
            create(sm, "job-1\n")
        code, message, status = error_of(exc)
        assert (code, status) == ("ValidationException", 400)
        assert "regular expression pattern" in message
        assert mock_server.jobs() == {}


class TestThrottling:
    def test_token_bucket_and_exact_counts(self, mock_factory: MockFactory) -> None:
        """Rapid calls beyond the bucket get ThrottlingException; stats match the client."""
        server = mock_factory(throttle_rate=5, throttle_burst=5)
        sm = client(server)
        outcomes: Counter[str] = Counter()
        for i in range(50):
            try:
                create(sm, f"job-{i}")
                outcomes["created"] += 1
            except ClientError as exc:
                code, message, status = error_of(exc)
                assert (message, status) == ("Rate exceeded", 400)
                outcomes[code] += 1
        assert outcomes["ThrottlingException"] > 0
        stats = server.stats()
        assert stats.throttled == outcomes["ThrottlingException"]
        assert stats.created == outcomes["created"] == len(server.jobs())
        assert stats.create_calls == 50

    def test_admin_api_is_never_throttled(self, mock_factory: MockFactory) -> None:
        """/_mock/* does not spend tokens."""
        server = mock_factory(throttle_rate=0.01, throttle_burst=1)
        for _ in range(5):
            assert http_json(server.url + "/_mock/stats")["throttled"] == 0
        create(client(server), "job-1")


class TestQuotas:
    def test_limit_counts_in_progress_instances(self, mock_factory: MockFactory) -> None:
        """The third p3 job is over the quota until one of the first two has ended."""
        # Hour-long jobs, ended by a stop: the quota is held for as long as the test
        # needs, however slow the machine.
        server = mock_factory(quotas={"ml.p3.2xlarge": 2}, job_seconds=3600, stopping_seconds=0.1)
        sm = client(server)
        create(sm, "p3-1", "ml.p3.2xlarge")
        create(sm, "p3-2", "ml.p3.2xlarge")
        create(sm, "m5-1", "ml.m5.xlarge")  # other types are not limited
        with pytest.raises(ClientError) as exc:
            create(sm, "p3-3", "ml.p3.2xlarge")
        assert error_of(exc) == (
            "ResourceLimitExceeded",
            "The account-level service limit 'ml.p3.2xlarge for training job usage' is 2 "
            "Instances, with current utilization of 2 Instances and a request delta of 1 "
            "Instances. Please use AWS Service Quotas to request an increase for this quota. "
            "If AWS Service Quotas is not available, contact AWS support to request an "
            "increase for this quota.",
            400,
        )
        assert classify(exc.value).kind is ErrorKind.CAPACITY
        sm.stop_training_job(TrainingJobName="p3-1")
        wait_for_status(sm, "p3-1", "Stopped")
        create(sm, "p3-3", "ml.p3.2xlarge")
        assert server.stats().quota_rejected == 1


class TestLifecycle:
    def test_in_progress_then_completed(self, mock_factory: MockFactory) -> None:
        """Jobs run for job_seconds, with no end time while they run."""
        # A job far longer than the test: seen running however slow the machine.
        sm = client(mock_factory(job_seconds=3600))
        create(sm, "job-1")
        described = sm.describe_training_job(TrainingJobName="job-1")
        assert described["TrainingJobStatus"] == "InProgress"
        assert "TrainingEndTime" not in described
        # A short one: waited for until it has ended, with its end time then.
        sm = client(mock_factory(job_seconds=0.3))
        create(sm, "job-2")
        wait_for_status(sm, "job-2", "Completed")
        ended = sm.describe_training_job(TrainingJobName="job-2")
        assert ended["TrainingEndTime"] >= ended["TrainingStartTime"]

    def test_default_completes_at_once(self, mock_server: MockServer) -> None:
        """job_seconds=0: Completed on the first describe."""
        sm = client(mock_server)
        create(sm, "job-1")
        assert sm.describe_training_job(TrainingJobName="job-1")["TrainingJobStatus"] == "Completed"

    def test_stop_ends_in_stopped(self, mock_factory: MockFactory) -> None:
        """StopTrainingJob: Stopping, then Stopped; stopping it again is refused."""
        server = mock_factory(job_seconds=60, stopping_seconds=0.3)
        sm = client(server)
        create(sm, "job-1")
        sm.stop_training_job(TrainingJobName="job-1")
        assert sm.describe_training_job(TrainingJobName="job-1")["TrainingJobStatus"] == "Stopping"
        wait_for_status(sm, "job-1", "Stopped")
        with pytest.raises(ClientError, match="in status Stopped"):
            sm.stop_training_job(TrainingJobName="job-1")

    def test_stop_unknown_job(self, mock_server: MockServer) -> None:
        """Stopping a job that does not exist is a ValidationException."""
        with pytest.raises(ClientError, match="Could not find training job") as exc:
            client(mock_server).stop_training_job(TrainingJobName="nope")
        assert error_of(exc)[0] == "ValidationException"


class TestFaults:
    def test_error_rate_fails_without_creating(self, mock_factory: MockFactory) -> None:
        """error_rate=1: HTTP 500 InternalFailure, and no job exists afterwards."""
        server = mock_factory(error_rate=1.0)
        with pytest.raises(ClientError) as exc:
            create(client(server), "job-1")
        code, _, status = error_of(exc)
        assert (code, status) == ("InternalFailure", 500)
        assert server.jobs() == {}
        stats = server.stats()
        assert (stats.errors_injected, stats.created, stats.create_calls) == (1, 0, 1)

    def test_drop_creates_then_closes_the_connection(self, mock_factory: MockFactory) -> None:
        """drop_rate=1: the client sees a closed connection, yet the job exists."""
        server = mock_factory(drop_rate=1.0)
        sm = client(server)
        with pytest.raises(ConnectionClosedError) as exc:
            create(sm, "job-1")
        assert classify(exc.value).kind is ErrorKind.UNCERTAIN
        assert sm.describe_training_job(TrainingJobName="job-1")["TrainingJobName"] == "job-1"
        stats = server.stats()
        assert (stats.created, stats.dropped_after_apply) == (1, 1)

    def test_latency_is_added(self, mock_factory: MockFactory) -> None:
        """latency_ms delays each control-plane call by at least that much."""
        server = mock_factory(latency_ms=200)
        sm = client(server)
        start = time.monotonic()
        sm.list_training_jobs()
        assert time.monotonic() - start >= 0.2

    def test_seeded_faults_replay(self, mock_factory: MockFactory) -> None:
        """The same seed gives the same sequence of injected errors (serial calls)."""

        def pattern() -> list[bool]:
            server = mock_factory(error_rate=0.5, seed=42)
            sm = client(server)
            failed = []
            for _ in range(12):
                try:
                    sm.list_training_jobs()
                    failed.append(False)
                except ClientError:
                    failed.append(True)
            return failed

        assert pattern() == pattern()


class TestListingAndTags:
    def test_filters_and_pagination(self, mock_factory: MockFactory) -> None:
        """NameContains and StatusEquals filter; pages join up to every match."""
        server = mock_factory(job_seconds=60, stopping_seconds=0)
        sm = client(server)
        names = [f"alpha-{i}" for i in range(5)] + ["beta-0", "beta-1"]
        for name in names:
            create(sm, name)
        for name in ("alpha-1", "beta-0"):
            sm.stop_training_job(TrainingJobName=name)

        def listed(**kwargs: Any) -> list[str]:
            paginator = sm.get_paginator("list_training_jobs")
            return [
                summary["TrainingJobName"]
                for page in paginator.paginate(PaginationConfig={"PageSize": 2}, **kwargs)
                for summary in page["TrainingJobSummaries"]
            ]

        assert listed() == names
        assert listed(NameContains="alpha") == names[:5]
        assert listed(StatusEquals="Stopped") == ["alpha-1", "beta-0"]
        assert listed(StatusEquals="InProgress", NameContains="beta") == ["beta-1"]
        first = sm.list_training_jobs(MaxResults=3)
        assert len(first["TrainingJobSummaries"]) == 3
        assert "NextToken" in first

    def test_tags(self, mock_server: MockServer) -> None:
        """Tags given at create are listed; AddTags appends."""
        sm = client(mock_server)
        arn = sm.create_training_job(
            TrainingJobName="job-1", Tags=[{"Key": "sagesweep:sweep", "Value": "s"}], **REQUEST
        )["TrainingJobArn"]
        sm.add_tags(ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"}])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [
            {"Key": "sagesweep:sweep", "Value": "s"},
            {"Key": "team", "Value": "ml"},
        ]
        with pytest.raises(ClientError, match="Could not find training job"):
            sm.list_tags(ResourceArn=arn + "-missing")

    def test_tags_of_a_job_arn_with_a_trailing_newline_are_not_found(
        self, mock_server: MockServer
    ) -> None:
        """An ARN one newline off a real job's names no job: not found, not a crash."""
        sm = client(mock_server)
        arn = create(sm, "job-1")
        with pytest.raises(ClientError) as exc:
            sm.list_tags(ResourceArn=arn + "\n")
        code, message, status = error_of(exc)
        assert (code, status) == ("ValidationException", 400)
        assert message.startswith("Could not find training job")


class TestAdminApi:
    def test_stats_and_reset(self, mock_server: MockServer) -> None:
        """GET /_mock/stats has every counter; POST /_mock/reset forgets all, in moto too."""
        sm = client(mock_server)
        create(sm, "job-1")
        stats = http_json(mock_server.url + "/_mock/stats")
        assert stats == {
            "create_calls": 1,
            "created": 1,
            "duplicates_rejected": 0,
            "throttled": 0,
            "errors_injected": 0,
            "dropped_after_apply": 0,
            "quota_rejected": 0,
            "warm_starts": 0,
            "in_progress": 0,
            "peak_in_progress": 0,
            "describe_calls": 0,
            "list_calls": 0,
            "search_calls": 0,
            "stop_calls": 0,
            "delete_calls": 0,
            "save_failures": 0,
        }
        assert http_json(mock_server.url + "/_mock/reset", method="POST") == {"reset": True}
        assert sm.list_training_jobs()["TrainingJobSummaries"] == []
        assert http_json(mock_server.url + "/_mock/stats")["created"] == 0
        create(sm, "job-1")  # the name is free again
        # moto's own reset URL resets this mock only, table and moto together.
        http_json(mock_server.url + "/moto-api/reset", method="POST")
        assert mock_server.jobs() == {}
        create(sm, "job-1")

    def test_two_mocks_do_not_share_jobs(self, mock_factory: MockFactory) -> None:
        """Each in-process mock has its own moto account."""
        first, second = mock_factory(), mock_factory()
        assert first.account_id != second.account_id
        create(client(first), "job-1")
        create(client(second), "job-1")
        second.reset()
        assert len(client(first).list_training_jobs()["TrainingJobSummaries"]) == 1


def test_concurrent_creates_are_exactly_once(mock_server: MockServer) -> None:
    """32 threads, 2,000 names plus 500 repeats: each name created exactly once."""
    names = [f"job-{i:04d}" for i in range(2000)]
    calls = names + random.Random(7).sample(names, 500)
    random.Random(8).shuffle(calls)
    sm = client(mock_server, pool=32)
    lock = threading.Lock()
    outcomes: dict[str, Counter[str]] = {name: Counter() for name in names}

    def submit(name: str) -> None:
        try:
            create(sm, name)
            outcome = "created"
        except ClientError as exc:
            outcome = exc.response["Error"]["Code"]
        with lock:
            outcomes[name][outcome] += 1

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(submit, calls))

    assert all(counts["created"] == 1 for counts in outcomes.values())
    assert sum(counts["ResourceInUse"] for counts in outcomes.values()) == 500
    stats = mock_server.stats()
    assert (stats.create_calls, stats.created, stats.duplicates_rejected) == (2500, 2000, 500)
    paginator = sm.get_paginator("list_training_jobs")
    listed = [
        summary["TrainingJobName"]
        for page in paginator.paginate(PaginationConfig={"PageSize": 100})
        for summary in page["TrainingJobSummaries"]
    ]
    assert sorted(listed) == names
