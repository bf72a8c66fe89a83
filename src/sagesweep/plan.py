"""Ties the pure steps into a stream of frozen :class:`JobSpec` values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["JobSpec"]


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One planned CreateTrainingJob call, ready to send."""

    name: str  #: TrainingJobName, ``{sweep}-{digest}``
    digest: str  #: content digest of the request (the idempotency key)
    params: Mapping[str, Any]  #: the swept values of this job, path -> value
    request: Mapping[str, Any]  #: the full CreateTrainingJob request (boto3 kwargs)
    index: int = 0  #: position in the plan (0-based)

    @property
    def instance_type(self) -> str:
        resource = self.request.get("ResourceConfig") or {}
        return str(resource.get("InstanceType") or "")
