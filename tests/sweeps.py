"""The training-job request the end-to-end tests sweep over (valid, minimal, no secrets)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

__all__ = ["metric_template", "small_sweep", "template"]

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


def metric_template(metric: str) -> dict[str, Any]:
    """:func:`template` whose jobs report ``metric`` (one of its MetricDefinitions)."""
    request = template()
    request["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": metric, "Regex": "x"}]
    return request


def small_sweep(tmp_path: Path, n: int = 20) -> Path:
    """A grid of ``n`` jobs of :func:`template` (sweep ``rv``), written to ``rv.yaml``."""
    doc = {
        "sweep": "rv",
        "template": template(),
        "parameters": {"HyperParameters.i": {"range": [0, n, 1]}},
    }
    path = tmp_path / "rv.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path
