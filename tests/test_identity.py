"""Whether a job found under a name is the job that was asked for (docs/ledger.md)."""

from __future__ import annotations

from typing import Any

import pytest

from sagesweep.submitting.identity import differences

REQUEST: dict[str, Any] = {
    "TrainingJobName": "s-abc",
    "RoleArn": "arn:aws:iam::1:role/R",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    "HyperParameters": {"eta": "0.1"},
    "InputDataConfig": [{"ChannelName": "train"}],
    "EnableManagedSpotTraining": True,
    "Tags": [{"Key": "sagesweep:sweep", "Value": "s"}],
}


def described(**changes: Any) -> dict[str, Any]:
    """A Describe answer for REQUEST: no tags, output fields and defaults added."""
    answer: dict[str, Any] = {k: v for k, v in REQUEST.items() if k != "Tags"}
    answer["AlgorithmSpecification"] = {
        **REQUEST["AlgorithmSpecification"],
        "EnableSageMakerMetricsTimeSeries": False,
    }
    answer.update(TrainingJobArn="arn:x", TrainingJobStatus="InProgress")
    answer.update(changes)
    return answer


class TestDifferences:
    def test_the_same_job_has_none(self) -> None:
        """Describe's extra fields and defaults, and missing tags, are no difference."""
        assert differences(REQUEST, described()) == []

    def test_members_describe_omits_are_not_evidence(self) -> None:
        """A member absent from the answer is skipped, not reported."""
        answer = described()
        del answer["HyperParameters"]
        assert differences(REQUEST, answer) == []

    @pytest.mark.parametrize(
        ("changes", "path"),
        [
            pytest.param(
                {"AlgorithmSpecification": {"TrainingImage": "other:2"}},
                "AlgorithmSpecification.TrainingImage",
                id="image",
            ),
            pytest.param({"HyperParameters": {"eta": "0.2"}}, "HyperParameters.eta", id="hp"),
            pytest.param({"InputDataConfig": []}, "InputDataConfig", id="list-length"),
            pytest.param({"EnableManagedSpotTraining": 1}, "EnableManagedSpotTraining", id="bool"),
            pytest.param({"RoleArn": "arn:aws:iam::1:role/Q"}, "RoleArn", id="role"),
        ],
    )
    def test_another_request_is_named(self, changes: dict[str, Any], path: str) -> None:
        """A differing value is reported by its field path."""
        assert differences(REQUEST, described(**changes)) == [path]
