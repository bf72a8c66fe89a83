"""The ledger's records: what a line holds, how it is written, where the file lives.

Job lines put everything resume needs before ``params``: the loader's fast path in
:mod:`sagesweep.ledger.read` depends on that key order. Secrets never reach a line:
params are masked by :mod:`sagesweep.redaction.redact`'s rule (``Environment`` values,
and hyperparameter and tag values the credential scan flags).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.redaction.redact import MASK, redact_params

__all__ = [
    "MASK",
    "JobRecord",
    "JobStatus",
    "Member",
    "default_ledger_path",
    "event_line",
    "job_line",
    "mask_params",
    "run_line",
]


class JobStatus(enum.StrEnum):
    SUBMITTED = "submitted"  #: created by this run
    EXISTS = "exists"  #: already existed; reconciled by name
    FAILED = "failed"  #: known not to exist: the service refused it, or it never got there
    CONFLICT = "conflict"  #: the name is taken by a job with another request
    UNKNOWN = "unknown"  #: may have been created, and no lookup could tell: the next run will


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRecord:
    """One job outcome, as handed to :meth:`Ledger.record`."""

    name: str
    digest: str
    status: JobStatus
    arn: str | None
    attempts: int
    params: Mapping[str, Any]
    error: tuple[str, str] | None = None  #: (code, message)
    ts: float | None = None  #: Unix time; filled in when handed over if None
    attempt: int = 0  #: 0 for the job itself, n for its n-th resubmission
    base: str | None = None  #: the attempt-0 name; None means ``name``
    fallback: int = 0  #: capacity_fallback steps the attempt's request applies


@dataclass(frozen=True, slots=True)
class Member:
    """One job name of a sweep, as its ledger last recorded it (read back)."""

    name: str
    base: str  #: the attempt-0 name; equal to ``name`` for attempt 0
    attempt: int
    status: JobStatus  #: the ledger's status (did the create succeed?)
    params: Mapping[str, Any]
    fallback: int = 0  #: capacity_fallback steps its request applies


def default_ledger_path(sweep_file: Path, sweep: str) -> Path:
    """``<sweep>.ledger.jsonl`` beside the sweep file."""
    return sweep_file.parent / f"{sweep}.ledger.jsonl"


def mask_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every value under ``Environment``, and every value the credential
    scan flags, replaced by :data:`MASK`."""
    return redact_params(params)


def _dumps(obj: Mapping[str, Any]) -> bytes:
    # default=str: an odd parameter type must not crash a run after AWS said yes.
    text = json.dumps(obj, separators=(",", ":"), default=str)
    return (text + "\n").encode()


def run_line(
    phase: str,
    sweep: str,
    tool_version: str,
    counts: Mapping[str, int],
    target: Mapping[str, str] | None = None,
    command: str | None = None,
) -> bytes:
    """The line that marks a run's start or end, with the jobs per status at that moment,
    and the command that ran (``submit``, ``resubmit``)."""
    record: dict[str, Any] = {
        "event": "run",
        "phase": phase,
        "ts": time.time(),
        "sweep": sweep,
        "tool_version": tool_version,
        "counts": dict(counts),
    }
    if target is not None:
        record["target"] = dict(target)
    if command is not None:
        record["command"] = command
    return _dumps(record)


def job_line(rec: JobRecord) -> bytes:
    """The line that records ``rec``, secrets masked."""
    error = None if rec.error is None else {"code": rec.error[0], "message": rec.error[1]}
    # Key order matters: the loader's fast path reads everything before "params".
    return _dumps(
        {
            "event": "job",
            "ts": time.time() if rec.ts is None else rec.ts,
            "name": rec.name,
            "digest": rec.digest,
            "status": rec.status.value,
            "arn": rec.arn,
            "attempts": rec.attempts,
            "params": mask_params(rec.params),
            "error": error,
            "attempt": rec.attempt,
            "base": rec.base or rec.name,
            **({"fallback": rec.fallback} if rec.fallback else {}),
        }
    )


def event_line(event: Mapping[str, Any]) -> bytes:
    """A line for another kind of record (``{"event": "end", ...}``); resume ignores them."""
    if event.get("event") in ("run", "job"):
        raise ValueError("run and job records have their own writers")
    return _dumps({"ts": time.time(), **event})
