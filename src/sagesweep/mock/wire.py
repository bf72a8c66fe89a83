"""AWS's JSON wire shapes for the errors the realism layer answers by itself.

The messages copy the real service's wording, because clients (and people) match
on them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "NAME_MAX_LENGTH",
    "NAME_PATTERN",
    "Reply",
    "delete_refused",
    "error",
    "internal_failure",
    "json_reply",
    "limit_exceeded",
    "name_errors",
    "not_found",
    "resource_in_use",
    "resource_not_found",
    "resource_not_found_arn",
    "throttling",
    "tuning_job_not_found",
    "validation",
    "validation_summary",
]

#: The TrainingJobName pattern as the service model and the service's message spell it.
NAME_PATTERN = "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
NAME_MAX_LENGTH = 63
_NAME_RE = re.compile(NAME_PATTERN)  # used with fullmatch: "$" would let "name\n" through
_CONTENT_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True, slots=True)
class Reply:
    """A complete HTTP response: what a WSGI app hands to ``start_response``."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes


def json_reply(status: str, payload: object, content_type: str = _CONTENT_TYPE) -> Reply:
    body = json.dumps(payload).encode()
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    return Reply(status, headers, body)


def error(status: str, code: str, message: str) -> Reply:
    # botocore reads the code from ``__type`` and the text from ``message``.
    reply = json_reply(status, {"__type": code, "message": message})
    reply.headers.append(("x-amzn-ErrorType", code))
    return reply


def resource_in_use(arn: str) -> Reply:
    return error(
        "400 Bad Request",
        "ResourceInUse",
        "Training job names must be unique within an AWS account and region, "
        f"and a training job with this name already exists ({arn})",
    )


def throttling() -> Reply:
    return error("400 Bad Request", "ThrottlingException", "Rate exceeded")


def internal_failure() -> Reply:
    return error(
        "500 Internal Server Error",
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    )


def limit_exceeded(
    instance_type: str,
    limit: int,
    current: int,
    delta: int,
    *,
    usage: str = "for training job usage",
) -> Reply:
    return error(
        "400 Bad Request",
        "ResourceLimitExceeded",
        f"The account-level service limit '{instance_type} {usage}' is "
        f"{limit} Instances, with current utilization of {current} Instances and a "
        f"request delta of {delta} Instances. Please use AWS Service Quotas to request "
        "an increase for this quota. If AWS Service Quotas is not available, contact "
        "AWS support to request an increase for this quota.",
    )


def validation(message: str) -> Reply:
    return error("400 Bad Request", "ValidationException", message)


def not_found(arn: str) -> Reply:
    # moto's wording for a missing training job, so every path answers alike.
    return validation(f"Could not find training job '{arn}'.")


def name_errors(value: object, member: str = "trainingJobName") -> list[str]:
    """The constraint violations of a TrainingJobName, worded like the service."""
    if not isinstance(value, str):
        return [
            f"Value '{value}' at '{member}' failed to satisfy constraint: Member must be a string"
        ]
    problems: list[str] = []
    prefix = f"Value '{value}' at '{member}' failed to satisfy constraint: Member must"
    if not _NAME_RE.fullmatch(value):
        problems.append(f"{prefix} satisfy regular expression pattern: {NAME_PATTERN}")
    if len(value) > NAME_MAX_LENGTH:
        problems.append(f"{prefix} have length less than or equal to {NAME_MAX_LENGTH}")
    return problems


def validation_summary(problems: Iterable[str]) -> str:
    """``1 validation error detected: ...``, joined the way the service joins them."""
    items = list(problems)
    noun = "error" if len(items) == 1 else "errors"
    return f"{len(items)} validation {noun} detected: " + "; ".join(items)


def resource_not_found(arn: str) -> Reply:
    return error("400 Bad Request", "ResourceNotFound", f"Could not find training job '{arn}'.")


def resource_not_found_arn(arn: str) -> Reply:
    """A tag action on a resource the account does not have (or another account's)."""
    return validation(f"Could not find resource {arn}.")


def tuning_job_not_found(name: str) -> Reply:
    # moto's wording for DescribeHyperParameterTuningJob of a missing tuning job.
    message = f"Could not find hyper parameter tuning job '{name}'."
    return error("400 Bad Request", "ResourceNotFound", message)


def delete_refused(arn: str, status: str) -> Reply:
    # SageMaker documents ResourceInUse here but not its wording; this is the mock's.
    return error(
        "400 Bad Request",
        "ResourceInUse",
        f"Training job '{arn}' is in status {status}. Only a job in a terminal state "
        "(Completed, Failed or Stopped) can be deleted.",
    )
