"""Sweep files of any size, and the requests they plan (the same ones for every contender)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner

ROOT = Path(__file__).resolve().parents[2]
RANDOM_SWEEP = ROOT / "configs" / "xgb-random-spot.yaml"
DEMO_SWEEP = ROOT / "configs" / "demo.yaml"


def random_sweep(directory: Path, count: int, *, name: str = "bench", seed: int = 7) -> Path:
    """A copy of configs/xgb-random-spot.yaml with ``count`` jobs and room for them."""
    text = RANDOM_SWEEP.read_text()
    text = re.sub(r"(?m)^sweep: .*$", f"sweep: {name}", text)
    text = re.sub(r"(?m)^count: .*$", f"count: {count}", text)
    text = re.sub(r"(?m)^seed: .*$", f"seed: {seed}", text)
    text = re.sub(r"(?m)^max_jobs: .*$", f"max_jobs: {max(count, 1000)}", text)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{count}.yaml"
    path.write_text(text)
    return path


def planned_requests(sweep: Path) -> list[dict[str, Any]]:
    """Every CreateTrainingJob request of ``sweep``, exactly as sagesweep plans them."""
    planner = Planner(load_config(sweep))
    requests = [dict(job.request) for job in planner.jobs()]
    planner.check()
    return requests


def minimal_template() -> dict[str, Any]:
    """A small valid request for sweeps the benchmarks write themselves."""
    return {
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    }


#: The request of a realistic sweep, kept in a file of its own (``template_file``): two
#: channels, managed spot with its wait, a checkpoint per job, metric definitions, tags.
REALISTIC_TEMPLATE: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "TrainingInputMode": "File",
        "MetricDefinitions": [{"Name": "validation:auc", "Regex": "validation-auc:([0-9.]+)"}],
    },
    "InputDataConfig": [
        {
            "ChannelName": channel,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": f"s3://example-bucket/churn/{channel}/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "ContentType": "text/csv",
        }
        for channel in ("train", "validation")
    ],
    "OutputDataConfig": {"S3OutputPath": "s3://example-bucket/{sweep}/output/"},
    "CheckpointConfig": {"S3Uri": "s3://example-bucket/{sweep}/checkpoints/{job}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
    "EnableManagedSpotTraining": True,
    "RetryStrategy": {"MaximumRetryAttempts": 3},
    "HyperParameters": {"objective": "binary:logistic", "eval_metric": "auc", "num_round": "500"},
    "Tags": [{"Key": "team", "Value": "churn"}, {"Key": "project", "Value": "retention"}],
}


def realistic_sweep(directory: Path, count: int, *, name: str = "realistic") -> Path:
    """A random sweep of ``count`` jobs over :data:`REALISTIC_TEMPLATE`, in a file of its own."""
    directory.mkdir(parents=True, exist_ok=True)
    template = directory / f"{name}-template.json"
    template.write_text(json.dumps(REALISTIC_TEMPLATE, indent=2))
    doc = {
        "sweep": name,
        "template_file": template.name,
        "method": "random",
        "count": count,
        "seed": 7,
        "max_jobs": max(count, 1000),
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.01, "max": 0.3},
            "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 3, "max": 10},
            "HyperParameters.subsample": {"distribution": "uniform", "min": 0.5, "max": 1.0},
            "HyperParameters.min_child_weight": {
                "distribution": "log_uniform",
                "min": 1,
                "max": 20,
            },
        },
    }
    path = directory / f"{name}-{count}.yaml"
    path.write_text(json.dumps(doc, indent=2))
    return path
