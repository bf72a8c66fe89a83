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


def with_change(path: str, value: object) -> dict[str, Any]:
    """REQUEST (with an output path) with the member at dotted ``path`` set to ``value``."""
    request: dict[str, Any] = {
        key: dict(item) if isinstance(item, dict) else item for key, item in REQUEST.items()
    }
    request["OutputDataConfig"] = {"S3OutputPath": "s3://b/out/"}
    head, _, tail = path.partition(".")
    if tail:
        request[head][tail] = value
    else:
        request[head] = value
    return request


def channel(name: str, uri: str) -> dict[str, Any]:
    source = {"S3DataType": "S3Prefix", "S3Uri": uri}
    return {"ChannelName": name, "DataSource": {"S3DataSource": source}}


class TestCreatesTheServiceRefuses:
    """The model's constraints hold server-side: botocore checks only types and required
    members, so a client sends these, and SageMaker refuses them (nothing is created)."""

    @pytest.mark.parametrize(
        ("path", "value", "problem"),
        [
            pytest.param(
                "ResourceConfig.InstanceType",
                "ml.bogus.huge",
                "Value 'ml.bogus.huge' at 'resourceConfig.instanceType' failed to satisfy "
                "constraint: Member must satisfy enum value set: [",
                id="instance-type",
            ),
            pytest.param(
                "AlgorithmSpecification.TrainingInputMode",
                "Bogus",
                "Value 'Bogus' at 'algorithmSpecification.trainingInputMode' failed to satisfy "
                "constraint: Member must satisfy enum value set: [Pipe, File, FastFile]",
                id="input-mode",
            ),
            pytest.param(
                "RoleArn",
                "arn:aws:iam::1234:role/R",
                "Value 'arn:aws:iam::1234:role/R' at 'roleArn' failed to satisfy constraint: "
                "Member must satisfy regular expression pattern: "
                "^arn:aws[a-z\\-]*:iam::\\d{12}:role/",
                id="role-arn",
            ),
            pytest.param(
                "OutputDataConfig.S3OutputPath",
                "http://x",
                "Value 'http://x' at 'outputDataConfig.s3OutputPath' failed to satisfy "
                "constraint: Member must satisfy regular expression pattern: ^(https|s3)://",
                id="output-path",
            ),
            pytest.param(
                "ResourceConfig.InstanceCount",
                0,
                "Value '0' at 'resourceConfig.instanceCount' failed to satisfy constraint: "
                "Member must have value greater than or equal to 1",
                id="instance-count",
            ),
        ],
    )
    def test_a_model_constraint_is_a_validation_exception(
        self, mock_server: MockServer, path: str, value: object, problem: str
    ) -> None:
        sm = client(mock_server)
        with pytest.raises(ClientError) as caught:
            sm.create_training_job(TrainingJobName="j", **with_change(path, value))
        error = caught.value.response
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert error["Error"]["Code"] == "ValidationException"
        assert error["Error"]["Message"].startswith("1 validation error detected: " + problem)
        assert mock_server.jobs() == {}

    def test_every_problem_is_named_and_counted(self, mock_server: MockServer) -> None:
        """Problems are counted and joined with "; "; list items are 1-based, as AWS
        numbers them."""
        request = with_change("ResourceConfig.InstanceCount", 0)
        request["InputDataConfig"] = [
            channel("train", "s3://b/t"),
            channel("bad name!", "s3://b/v"),
        ]
        unchecked = boto3.client(
            "sagemaker",
            endpoint_url=mock_server.url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        )
        with pytest.raises(ClientError) as caught:
            unchecked.create_training_job(TrainingJobName="j", **request)
        message = caught.value.response["Error"]["Message"]
        assert message.startswith("2 validation errors detected: ")
        assert "Value 'bad name!' at 'inputDataConfig.2.member.channelName'" in message
        assert "at 'resourceConfig.instanceCount'" in message
        assert message.count("; Value ") == 1
        assert mock_server.jobs() == {}

    def test_the_same_request_passes_once_fixed(self, mock_server: MockServer) -> None:
        sm = client(mock_server)
        sm.create_training_job(
            TrainingJobName="j", **with_change("ResourceConfig.InstanceCount", 1)
        )
        assert list(mock_server.jobs()) == ["j"]
