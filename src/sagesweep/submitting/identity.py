"""Is the job found under a name the job that was asked for?

A job name is the digest of its request, so a job found under it is normally the very
job sagesweep created in an earlier try or run. But a name can also be taken by
someone else's job (a hand-made job, another tool, another sweep file whose template
was edited by hand): recording that as ``exists`` would report a job that never ran
as launched. :func:`differences` compares the request with what
``DescribeTrainingJob`` says of the job found.

Only members present on both sides are compared: Describe omits some Create members
and adds defaults of its own, and neither is evidence of another job. Tags are not
in a Describe answer, and the name is equal by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["differences"]

_NOT_COMPARED = frozenset({"TrainingJobName", "Tags"})


def differences(request: Mapping[str, Any], described: Mapping[str, Any]) -> list[str]:
    """Field paths whose described value differs from the requested one."""
    found: list[str] = []
    for key, wanted in request.items():
        if key in _NOT_COMPARED or key not in described:
            continue
        _compare(key, wanted, described[key], found)
    return found


def _compare(path: str, wanted: Any, got: Any, found: list[str]) -> None:
    if isinstance(wanted, Mapping):
        if not isinstance(got, Mapping):
            found.append(path)
            return
        for key, value in wanted.items():
            if key in got:
                _compare(f"{path}.{key}", value, got[key], found)
    elif isinstance(wanted, Sequence) and not isinstance(wanted, str):
        if not isinstance(got, Sequence) or isinstance(got, str) or len(got) != len(wanted):
            found.append(path)
            return
        for i, (value, other) in enumerate(zip(wanted, got, strict=True)):
            _compare(f"{path}[{i}]", value, other, found)
    elif wanted != got or isinstance(wanted, bool) != isinstance(got, bool):
        found.append(path)
