"""Where a ledger's jobs were sent: a ledger is bound to one target.

A ledger says which jobs exist. That is only true of the account and region they were
created in: a trial run against the local mock must not make a later run against AWS
skip every job. Each run record carries the target, and a run against another target
is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sagesweep.aws.target import TargetKind

__all__ = ["Binding", "describe_kind"]

_KINDS: tuple[TargetKind, ...] = ("aws", "mock", "endpoint")


@dataclass(frozen=True, slots=True)
class Binding:
    """The kind of endpoint (AWS itself, the embedded mock, another URL) and the region."""

    kind: TargetKind
    region: str

    def as_record(self) -> dict[str, str]:
        return {"kind": self.kind, "region": self.region}

    @classmethod
    def from_record(cls, obj: Mapping[str, object]) -> Binding | None:
        kind, region = obj.get("kind"), obj.get("region")
        for known in _KINDS:
            if kind == known and isinstance(region, str):
                return cls(known, region)
        return None

    def __str__(self) -> str:
        return f"{describe_kind(self.kind)} in {self.region}"


def describe_kind(kind: TargetKind) -> str:
    return {"aws": "AWS", "mock": "the embedded mock", "endpoint": "an --endpoint-url"}[kind]
