"""The mock's Price List and Service Quotas, and its capacity: what cost and capacity
features rehearse against (docs/mock.md, docs/mock-conformance.md)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagesweep.mock import MockServer
from sagesweep.mock.pricing import ILLUSTRATIVE_PRICES
from tests.clients import boto3_client

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://b/out/"},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


def client(server: MockServer, service: str) -> Any:
    return boto3_client(server, service)


def wait_until_ended(server: MockServer) -> None:
    deadline = time.monotonic() + 30
    while "InProgress" in server.jobs().values():
        assert time.monotonic() < deadline
        time.sleep(0.05)


class TestPriceList:
    def test_a_training_price_per_type_and_region(self, mock_server: MockServer) -> None:
        """GetProducts filtered by region and instance: one product, its on-demand USD/h."""
        answer = client(mock_server, "pricing").get_products(
            ServiceCode="AmazonSageMaker",
            Filters=[
                {"Type": "TERM_MATCH", "Field": "regionCode", "Value": "eu-west-1"},
                {"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.p3.2xlarge"},
            ],
        )
        (raw,) = answer["PriceList"]
        product = json.loads(raw)
        attributes = product["product"]["attributes"]
        assert (attributes["regionCode"], attributes["component"]) == ("eu-west-1", "Training")
        (term,) = product["terms"]["OnDemand"].values()
        (dimension,) = term["priceDimensions"].values()
        assert dimension["unit"] == "Hrs"
        assert float(dimension["pricePerUnit"]["USD"]) == ILLUSTRATIVE_PRICES["ml.p3.2xlarge"]

    def test_a_type_without_a_price_has_no_product(self, mock_server: MockServer) -> None:
        """Never a made-up price: an unknown type is an empty list."""
        answer = client(mock_server, "pricing").get_products(
            ServiceCode="AmazonSageMaker",
            Filters=[{"Type": "TERM_MATCH", "Field": "instanceName", "Value": "ml.x9.huge"}],
        )
        assert answer["PriceList"] == []


class TestServiceQuotas:
    def test_each_quota_is_served_by_its_aws_name(self, mock_factory: Any) -> None:
        """--quota ml.p3.2xlarge=4 reads back as 'ml.p3.2xlarge for training job usage' = 4."""
        server = mock_factory(quotas={"ml.p3.2xlarge": 4, "ml.g5.xlarge": 0})
        quotas = client(server, "service-quotas")
        listed = quotas.list_service_quotas(ServiceCode="sagemaker")["Quotas"]
        by_name = {q["QuotaName"]: q["Value"] for q in listed}
        assert by_name == {
            "ml.g5.xlarge for training job usage": 0.0,
            "ml.p3.2xlarge for training job usage": 4.0,
        }
        one = quotas.get_service_quota(ServiceCode="sagemaker", QuotaCode=listed[0]["QuotaCode"])
        assert one["Quota"] == listed[0]

    def test_another_service_is_no_such_resource(self, mock_server: MockServer) -> None:
        """The mock holds only SageMaker's quotas."""
        with pytest.raises(ClientError) as caught:
            client(mock_server, "service-quotas").list_service_quotas(ServiceCode="ec2")
        assert caught.value.response["Error"]["Code"] == "NoSuchResourceException"


class TestCapacity:
    def test_beyond_the_capacity_a_job_fails_in_starting(self, mock_factory: Any) -> None:
        """--capacity ml.p3.2xlarge=2: two of four jobs run, two fail with a CapacityError."""
        # Hour-long jobs: the first two hold the capacity however slow the machine.
        server = mock_factory(capacity={"ml.p3.2xlarge": 2}, job_seconds=3600)
        sm = client(server, "sagemaker")
        resources = {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5}
        for i in range(4):
            sm.create_training_job(TrainingJobName=f"j{i}", ResourceConfig=resources, **REQUEST)
        deadline = time.monotonic() + 120
        while list(server.jobs().values()).count("Failed") < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        jobs = [sm.describe_training_job(TrainingJobName=f"j{i}") for i in range(4)]
        assert [j["TrainingJobStatus"] for j in jobs] == [
            "InProgress",
            "InProgress",
            "Failed",
            "Failed",
        ]
        assert jobs[2]["FailureReason"].startswith("CapacityError:")
        assert [t["Status"] for t in jobs[2]["SecondaryStatusTransitions"]] == [
            "Starting",
            "Failed",
        ]
        assert server.stats().quota_rejected == 0  # capacity is not a quota

    def test_preferences_take_the_first_type_with_capacity(self, mock_factory: Any) -> None:
        """InstancePreferences: p3 is full, so the job runs on the g5 preference."""
        server = mock_factory(capacity={"ml.p3.2xlarge": 0}, job_seconds=0.2)
        sm = client(server, "sagemaker")
        preferences = [
            {"InstanceType": "ml.p3.2xlarge", "InstanceCount": 1},
            {"InstanceType": "ml.g5.2xlarge", "InstanceCount": 2},
        ]
        resources = {"InstancePreferences": preferences, "VolumeSizeInGB": 5}
        sm.create_training_job(TrainingJobName="p", ResourceConfig=resources, **REQUEST)
        wait_until_ended(server)
        job = sm.describe_training_job(TrainingJobName="p")
        assert job["TrainingJobStatus"] == "Completed"
        assert job["ResourceConfig"]["InstancePreferences"] == preferences
        selected = job["ResourceConfig"]["SelectedInstanceType"]
        assert (selected, job["ResourceConfig"]["SelectedInstanceCount"]) == ("ml.g5.2xlarge", 2)
