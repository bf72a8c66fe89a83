"""Attempt n of a planned job: the same request under the name ``{sweep}-{digest}-r{n}``.

SageMaker never frees a job name (short of deleting the job and its history), so a job
that failed in training is run again under a new name. The request is the job's own,
byte for byte, but for its name and one tag, ``sagesweep:attempt=n``. ``{job}`` in the
template rendered the attempt-0 name when the job was planned, so a checkpoint prefix
built from it is shared by every attempt: a resubmitted spot job resumes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sagesweep.errors import PlanError, Problem
from sagesweep.planning.naming import ATTEMPT_TAG
from sagesweep.planning.overrides import apply_overrides
from sagesweep.planning.planner import JobSpec

__all__ = ["CAPACITY_ERROR", "MAX_TAGS", "attempt_spec", "fallback_steps"]

#: How a FailureReason for want of capacity starts.
CAPACITY_ERROR = "CapacityError"

#: CreateTrainingJob accepts at most this many tags.
MAX_TAGS = 50


def attempt_spec(
    job: JobSpec,
    attempt: int,
    source: str = "<plan>",
    *,
    fallback: Sequence[Mapping[str, Any]] = (),
) -> JobSpec:
    """``job`` (any attempt of it) as its ``attempt``-th resubmission, with the first
    ``len(fallback)`` capacity fallback steps applied."""
    if attempt < 1:
        raise ValueError(f"a resubmission is attempt 1 or more, got {attempt}")
    name = f"{job.base_name}-r{attempt}"
    request = apply_overrides(job.request, fallback) if fallback else dict(job.request)
    request["TrainingJobName"] = name
    tags = [t for t in request.get("Tags") or [] if t.get("Key") != ATTEMPT_TAG]
    tags.append({"Key": ATTEMPT_TAG, "Value": str(attempt)})
    if len(tags) > MAX_TAGS:
        raise PlanError(
            [
                Problem(
                    source,
                    job.name,
                    "Tags",
                    f"an attempt needs one more tag than the {MAX_TAGS} allowed",
                )
            ]
        )
    request["Tags"] = tags
    return JobSpec(
        name,
        job.digest,
        job.params,
        request,
        job.index,
        attempt=attempt,
        base=job.base_name,
        fallback=len(fallback) if fallback else job.fallback,
    )


def fallback_steps(
    steps: Sequence[Mapping[str, Any]], attempt: int, reason: str | None, before: int
) -> int:
    """How many capacity fallback steps attempt ``attempt`` applies: the first ``attempt``
    when it follows a CapacityError (``reason``), else as many as the attempt before it
    (``before``)."""
    if steps and reason is not None and reason.startswith(CAPACITY_ERROR):
        return min(attempt, len(steps))
    return before
