"""A described training job back into the CreateTrainingJob request that would make it again.

Which members a request has is read from botocore's service model, never typed here:
a ``DescribeTrainingJob`` answer keeps the members that ``CreateTrainingJob`` takes
(the others — status, times, ARNs, ``FailureReason``, ``ModelArtifacts``, metrics,
billing ... — are output only), minus ``TrainingJobName``, which sagesweep sets itself.
Tags come from ``ListTags``, without the ones AWS (``aws:``) or sagesweep
(``sagesweep:``) own.

An ``OutputDataConfig.KmsKeyId`` of ``""`` (how Describe says "no key") is left out.
Hyperparameters a launcher wrote for that one launch are removed (docs/cli.md):

- ``_tuning_objective_metric``, which a hyperparameter tuning job adds to each job it
  starts (the job's ``TuningJobArn`` says it was one). A job started by hand keeps it:
  there someone wrote it on purpose.
- ``sagemaker_job_name``, where the SageMaker Python SDK writes the name of the launch
  (the training job's own, or the tuning run's): stale under any new name.
- any other ``sagemaker_*`` value that is the job's or its tuning job's name, written
  as is or JSON-quoted as the SDK does. The SDK's other ``sagemaker_*`` settings
  (``sagemaker_program``, ``sagemaker_submit_directory``, ``sagemaker_region``,
  ``sagemaker_estimator_class_name``, ``sagemaker_estimator_module``, ...) say how to
  run the code and are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sagesweep.planning.render import STRING_MAPS

__all__ = [
    "NAME_ECHO",
    "OWN_TAG_PREFIXES",
    "TUNING_OBJECTIVE",
    "ModelFacts",
    "Recreated",
    "clean_hyperparameters",
    "model_facts",
    "recreate",
]

#: Tag key prefixes of tags that a new job gets from its launcher, not from its request.
OWN_TAG_PREFIXES = ("aws:", "sagesweep:")
TUNING_OBJECTIVE = "_tuning_objective_metric"
NAME_ECHO = "sagemaker_job_name"
_SDK_PREFIX = "sagemaker_"
_TUNING_ARN_MARK = ":hyper-parameter-tuning-job/"


@dataclass(frozen=True, slots=True)
class ModelFacts:
    """What the service model says about training-job requests and descriptions."""

    request_members: tuple[str, ...]  #: CreateTrainingJob's input members, in model order
    output_only: frozenset[str]  #: DescribeTrainingJob members a request cannot hold
    statuses: tuple[str, ...]  #: TrainingJobStatus values
    name_pattern: str  #: what a training job's name matches, whole


@cache
def model_facts() -> ModelFacts:
    """Read once from botocore's SageMaker model."""
    import botocore.session  # type: ignore[import-untyped, unused-ignore]

    model: Any = botocore.session.get_session().get_service_model("sagemaker")
    create = model.operation_model("CreateTrainingJob").input_shape.members
    describe = model.operation_model("DescribeTrainingJob")
    described = describe.output_shape.members
    name = describe.input_shape.members["TrainingJobName"].metadata
    return ModelFacts(
        request_members=tuple(create),
        output_only=frozenset(set(described) - set(create)),
        statuses=tuple(described["TrainingJobStatus"].enum),
        name_pattern=str(name.get("pattern", ".+")),
    )


@dataclass(frozen=True, slots=True)
class Recreated:
    """A job's request as it can be sent again, and what was left out of it."""

    name: str  #: the original job's name
    request: dict[str, Any]  #: CreateTrainingJob members, without TrainingJobName
    removed: tuple[str, ...]  #: hyperparameters removed as launch-specific


def recreate(description: Mapping[str, Any], tags: Iterable[Mapping[str, Any]]) -> Recreated:
    """The request that makes the described job again, with ``tags`` its ListTags."""
    facts = model_facts()
    name = str(description.get("TrainingJobName", ""))
    # Keeping only request members also drops what botocore adds (ResponseMetadata);
    # the model's order makes a file read like the API reference.
    request = {
        k: description[k]
        for k in facts.request_members
        if k not in ("TrainingJobName", "Tags") and description.get(k) is not None
    }
    removed: tuple[str, ...] = ()
    hyperparameters = request.get("HyperParameters")
    if isinstance(hyperparameters, Mapping):
        tuning = _tuning_job_name(description.get("TuningJobArn"))
        cleaned = clean_hyperparameters(hyperparameters, job=name, tuning_job=tuning)
        removed = tuple(k for k in hyperparameters if k not in cleaned)
        request["HyperParameters"] = cleaned
    for member in STRING_MAPS:
        # An empty map sends nothing; and a sweep file cannot say "empty here, absent
        # there" (a path names a key inside the map), so it is left out.
        if request.get(member) == {}:
            del request[member]
    output = request.get("OutputDataConfig")
    if isinstance(output, Mapping) and output.get("KmsKeyId") == "":
        # Describe answers "" for no key: the same as none, and what the job was made with.
        request["OutputDataConfig"] = {k: v for k, v in output.items() if k != "KmsKeyId"}
    user_tags = [
        {"Key": str(tag["Key"]), "Value": str(tag.get("Value", ""))}
        for tag in tags
        if isinstance(tag.get("Key"), str) and not str(tag["Key"]).startswith(OWN_TAG_PREFIXES)
    ]
    if user_tags:
        request["Tags"] = user_tags
        order = {k: i for i, k in enumerate(facts.request_members)}
        request = dict(sorted(request.items(), key=lambda item: order[item[0]]))
    return Recreated(name, request, removed)


def clean_hyperparameters(
    hyperparameters: Mapping[str, Any], *, job: str, tuning_job: str | None
) -> dict[str, Any]:
    """``hyperparameters`` without the launch-specific ones (see the module docstring)."""
    names = {job} | ({tuning_job} if tuning_job else set())
    out: dict[str, Any] = {}
    for key, value in hyperparameters.items():
        if key == TUNING_OBJECTIVE and tuning_job is not None:
            continue
        if key == NAME_ECHO:
            continue
        if key.startswith(_SDK_PREFIX) and _unquoted(value) in names:
            continue
        out[key] = value
    return out


def _unquoted(value: Any) -> Any:
    """The SDK JSON-encodes its string settings: ``'"my-job"'`` stands for ``my-job``."""
    if isinstance(value, str) and value.startswith('"'):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _tuning_job_name(arn: Any) -> str | None:
    if isinstance(arn, str) and _TUNING_ARN_MARK in arn:
        return arn.split(_TUNING_ARN_MARK, 1)[1] or None
    return None
