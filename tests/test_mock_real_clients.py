"""What clients no one here wrote expect of the mock (docs/mock-conformance.md): the
SageMaker SDK's attach, AWS's 4xx for tags of a resource the account does not hold, an
output path as it was given."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sagesweep.mock import MockServer

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


def client(server: MockServer) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"total_max_attempts": 1}),
    )


class TestDescribe:
    def test_the_output_config_has_a_kms_key_id(self, mock_server: MockServer) -> None:
        """KmsKeyId is "" when unset, as AWS answers (the SDK's Estimator.attach reads it)."""
        sm = client(mock_server)
        output = {"S3OutputPath": "s3://b/out/"}
        sm.create_training_job(TrainingJobName="j", OutputDataConfig=output, **REQUEST)
        described = sm.describe_training_job(TrainingJobName="j")["OutputDataConfig"]
        assert described == {"S3OutputPath": "s3://b/out/", "KmsKeyId": ""}

    @pytest.mark.parametrize(
        ("path", "artifacts"),
        [
            pytest.param("s3://b/p", "s3://b/p/j/output/model.tar.gz", id="no-slash"),
            pytest.param("s3://b/p/", "s3://b/p/j/output/model.tar.gz", id="slash"),
            pytest.param("s3://b/p//", "s3://b/p//j/output/model.tar.gz", id="two-slashes"),
        ],
    )
    def test_model_artifacts_keep_the_path_as_given(
        self, mock_server: MockServer, path: str, artifacts: str
    ) -> None:
        """S3ModelArtifacts is the output path as given, then the job's folder."""
        sm = client(mock_server)
        sm.create_training_job(
            TrainingJobName="j", OutputDataConfig={"S3OutputPath": path}, **REQUEST
        )
        model = sm.describe_training_job(TrainingJobName="j")["ModelArtifacts"]
        assert model["S3ModelArtifacts"] == artifacts


class TestTagsOfWhatTheAccountLacks:
    @pytest.mark.parametrize(
        "arn",
        [
            pytest.param("arn:aws:sagemaker:us-east-1:999999999999:training-job/x", id="foreign"),
            pytest.param("not-an-arn", id="malformed"),
            pytest.param("arn:aws:sagemaker:us-east-1:{account}:notebook-instance/n", id="other"),
        ],
    )
    @pytest.mark.parametrize("action", ["list_tags", "add_tags", "delete_tags"])
    def test_a_4xx_at_once(self, mock_server: MockServer, arn: str, action: str) -> None:
        """AWS answers 4xx (moto: 500, which botocore retries for seconds)."""
        sm = client(mock_server)
        arguments: dict[str, Any] = {"ResourceArn": arn.format(account=mock_server.account_id)}
        if action == "add_tags":
            arguments["Tags"] = [{"Key": "k", "Value": "v"}]
        if action == "delete_tags":
            arguments["TagKeys"] = ["k"]
        with pytest.raises(ClientError) as caught:
            getattr(sm, action)(**arguments)
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
