"""The training-job request the end-to-end tests sweep over (valid, minimal, no secrets)."""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["template"]

_TEMPLATE: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
}


def template(**extra: Any) -> dict[str, Any]:
    """A fresh copy of the request, with ``extra`` members added."""
    return {**copy.deepcopy(_TEMPLATE), **extra}
