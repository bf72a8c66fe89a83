"""Specification of the compiled plan: the general path's jobs, verdicts and problems, faster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sagesweep.errors import PlanError
from sagesweep.planning.compiled import CompiledPlan
from sagesweep.planning.config import load_config
from sagesweep.planning.naming import digest_bytes, digest_text, job_name
from sagesweep.planning.planner import Planner
from sagesweep.planning.render import PointApplier, canonical_template

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"


def template(**extra: Any) -> dict[str, Any]:
    return {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        **extra,
    }


def doc(
    parameters: dict[str, Any], *, count: int = 30, seed: int = 5, **extra: Any
) -> dict[str, Any]:
    return {
        "sweep": "cp",
        "method": "random",
        "count": count,
        "seed": seed,
        "template": template(**extra),
        "parameters": parameters,
    }


NEW_MEMBERS = doc(
    {
        "HyperParameters.b": {"values": [1, 2.5, "x", True]},
        "EnableManagedSpotTraining": {"values": [True]},
        "HyperParameters.a": {"distribution": "uniform", "min": 0, "max": 1},
        "StoppingCondition.MaxWaitTimeInSeconds": {"values": [600, 1200]},
        "Environment.K": {"values": ["{job}", "v"]},
    }
)
PLACEHOLDERS = doc(
    {
        "InputDataConfig[0].DataSource.S3DataSource.S3Uri": {
            "values": ["s3://b/{digest}/", "s3://b/{{x}}/", "s3://b/{sweep}/"]
        },
        "CheckpointConfig.S3Uri": {"values": ["s3://b/{job}/", "s3://b/{digest}/"]},
        "HyperParameters.run": {"values": ["{sweep}-{job}", 3]},
    },
    InputDataConfig=[
        {
            "ChannelName": "train",
            "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/"}},
        }
    ],
    Environment={"J": "{job}", "S": "{sweep}", "D": "{{digest}}"},
    Tags=[{"Key": "run", "Value": "{sweep}"}],
)
INVALID_LATER = doc(
    {
        "ResourceConfig.InstanceType": {
            "values": ["ml.m5.xlarge", "ml.m5.huge"],
            "probabilities": [0.6, 0.4],
        },
        "HyperParameters.key": {
            "values": ["plain", "AKIAABCDEFGHIJKLMNOP"],
            "probabilities": [0.7, 0.3],
        },
        "Environment.TOKEN": {"values": ["short", "ghp_" + "a1B2" * 9]},
        "StoppingCondition.MaxRuntimeInSeconds": {"values": [600, 5000]},
        "HyperParameters.lr": {"distribution": "log_uniform", "min": 0.001, "max": 0.1},
    },
    count=60,
    seed=1,
    EnableManagedSpotTraining=True,
    CheckpointConfig={"S3Uri": "s3://b/ck/{job}/"},
    StoppingCondition={"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200},
)
SWEPT_TAGS = doc(
    {"Tags[0].Value": {"values": ["a", "b", "c"]}, "HyperParameters.x": {"values": [1, 2]}},
    Tags=[{"Key": "team", "Value": "t"}, {"Key": "sagesweep:sweep", "Value": "old"}],
)
DOCS = [
    pytest.param(NEW_MEMBERS, id="new-members"),
    pytest.param(PLACEHOLDERS, id="placeholders"),
    pytest.param(INVALID_LATER, id="invalid-later"),
    pytest.param(SWEPT_TAGS, id="swept-tags"),
]


def write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "sweep.json"
    path.write_text(json.dumps(document))
    return path


def outcome(planner: Planner) -> dict[str, Any]:
    """Everything a plan shows: its jobs (in key order), problems, warnings and counts."""
    jobs = [json.dumps([j.name, j.digest, j.params, j.request]) for j in planner.jobs()]
    try:
        planner.check()
        lines: list[str] = []
    except PlanError as exc:
        lines = exc.lines()
    stats = planner.stats
    return {
        "jobs": jobs,
        "problems": lines,
        "warnings": stats.warnings,
        "counts": (stats.points, stats.jobs, stats.duplicates, stats.invalid),
    }


class TestCompiledPlan:
    """The compiled digest and request are the general path's, value for value."""

    @pytest.mark.parametrize("document", DOCS)
    def test_same_digest_and_request(self, tmp_path: Path, document: dict[str, Any]) -> None:
        """For every point, the same identity hash and the same request, keys in order."""
        config = load_config(write(tmp_path, document))
        base, _ = canonical_template(config.template)
        applier = PointApplier(base)
        plan = CompiledPlan(base, list(config.parameters), applier, config.sweep)
        planner = Planner(config)
        for point in planner.space.points():
            rendered = applier.apply(point)
            full, values = plan.digest(point)
            assert full == digest_bytes(rendered.body)
            digest = digest_text(full)
            name = job_name(config.sweep, digest)
            request, _ = plan.request(values, name, digest)
            expected = rendered.finish(config.sweep, name, digest)
            assert json.dumps(request) == json.dumps(expected)

    @pytest.mark.parametrize(
        ("paths", "why"),
        [
            pytest.param(
                ["ResourceConfig", "ResourceConfig.InstanceType"], "overlapping", id="overlapping"
            ),
            pytest.param(["Tags[0].Key"], "which tags are sagesweep's", id="tag-key"),
            pytest.param(["CheckpointConfig"], "raw S3Uri", id="whole-checkpoint"),
            pytest.param(["TrainingJobName"], "not part of the digest", id="not-in-the-digest"),
        ],
    )
    def test_refuses_what_it_cannot_reproduce(self, paths: list[str], why: str) -> None:
        """Paths whose effect on the digest or the checks varies are left to the general path."""
        base, _ = canonical_template(template(Tags=[{"Key": "a", "Value": "b"}]))
        with pytest.raises(ValueError, match=why):
            CompiledPlan(base, paths, PointApplier(base), "cp")


class TestPlannerAgrees:
    """A plan is the same with the compiled path as with the general path alone."""

    @pytest.mark.parametrize("document", DOCS)
    def test_same_plan(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, document: dict[str, Any]
    ) -> None:
        """Same jobs, problems, warnings and counts, valid and invalid points mixed."""
        path = write(tmp_path, document)
        fast = outcome(Planner(load_config(path)))
        monkeypatch.setattr(Planner, "_compile", lambda self, template, paths: None)
        general = outcome(Planner(load_config(path)))
        assert fast == general
        assert fast["jobs"]

    def test_invalid_points_after_a_clean_one_are_reported(self, tmp_path: Path) -> None:
        """Once one job validated clean, later invalid swept values are still found."""
        result = outcome(Planner(load_config(write(tmp_path, INVALID_LATER))))
        text = "\n".join(result["problems"])
        assert "ResourceConfig.InstanceType: must be one of" in text
        assert "looks like an AWS access key id" in text
        assert "MaxWaitTimeInSeconds: must be at least MaxRuntimeInSeconds (5000)" in text
        assert any("GitHub token" in w for w in result["warnings"])
