"""The mock as aiobotocore (the engine's client) sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
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


@asynccontextmanager
async def open_client(server: MockServer) -> AsyncIterator[Any]:
    """An aiobotocore SageMaker client with SDK retries off."""
    async with get_session().create_client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"total_max_attempts": 1}),
    ) as client:
        yield client


@pytest.fixture
async def sm(mock_server: MockServer) -> AsyncIterator[Any]:
    async with open_client(mock_server) as client:
        yield client


async def test_create_duplicate_describe(sm: Any) -> None:
    """Create works, a duplicate is ResourceInUse, describe finds the job."""
    created = await sm.create_training_job(TrainingJobName="aio-1", **REQUEST)
    with pytest.raises(ClientError) as exc:
        await sm.create_training_job(TrainingJobName="aio-1", **REQUEST)
    assert classify(exc.value).kind is ErrorKind.EXISTS
    assert created["TrainingJobArn"] in str(exc.value)
    described = await sm.describe_training_job(TrainingJobName="aio-1")
    assert described["TrainingJobStatus"] == "Completed"


async def test_dropped_create_is_uncertain(mock_factory: MockFactory) -> None:
    """A dropped create is a ConnectionClosedError (uncertain), yet the job exists."""
    server = mock_factory(drop_rate=1.0)
    async with open_client(server) as client:
        with pytest.raises(ConnectionClosedError) as exc:
            await client.create_training_job(TrainingJobName="aio-1", **REQUEST)
        assert classify(exc.value).kind is ErrorKind.UNCERTAIN
        described = await client.describe_training_job(TrainingJobName="aio-1")
        assert described["TrainingJobName"] == "aio-1"
    assert server.stats().dropped_after_apply == 1
