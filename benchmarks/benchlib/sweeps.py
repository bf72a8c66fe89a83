"""Sweep files of any size, and the requests they plan (the same ones for every contender)."""

from __future__ import annotations

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
