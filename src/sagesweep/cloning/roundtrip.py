"""Read a cloned sweep file back as ``plan`` does and check that it remakes every request.

The file is loaded and planned by the planner itself (nothing re-implemented), and each
planned request, without the name and the tags sagesweep adds, must equal the request
it was copied from, types included. Identical requests are planned once (a plan drops
repeats), so they are compared once. Then the plan is validated as ``plan`` would, and
what it refuses (a checkpoint URI the jobs share, a value the local service model does
not allow) is returned for the user to fix in the file.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.cloning.split import path_text, same
from sagesweep.errors import InputError, SagesweepError
from sagesweep.planning.config import load_config
from sagesweep.planning.naming import canonical_json
from sagesweep.planning.planner import Planner

__all__ = ["NotReproducible", "RoundTrip", "as_original", "check_round_trip"]

_OWN_TAG_PREFIX = "sagesweep:"


class NotReproducible(SagesweepError):
    """A sweep file cannot remake some request exactly; one line per problem."""

    exit_code = 1

    def __init__(self, lines: Sequence[str]) -> None:
        self.lines = tuple(lines)
        super().__init__("; ".join(self.lines))


@dataclass(frozen=True, slots=True)
class RoundTrip:
    """How a cloned file plans."""

    duplicates: int  #: requests identical to an earlier one (planned once)
    problems: tuple[str, ...]  #: what ``plan`` refuses in the file, one line each


def as_original(request: Mapping[str, Any]) -> dict[str, Any]:
    """A planned request as its original: no TrainingJobName, no sagesweep tags."""
    out = {k: v for k, v in request.items() if k != "TrainingJobName"}
    tags = [
        t for t in out.get("Tags") or () if not str(t.get("Key", "")).startswith(_OWN_TAG_PREFIX)
    ]
    if tags:
        out["Tags"] = tags
    else:
        out.pop("Tags", None)
    return out


def check_round_trip(
    path: Path, names: Sequence[str], requests: Sequence[Mapping[str, Any]]
) -> RoundTrip:
    """Plan ``path``; raise :class:`NotReproducible` unless it remakes ``requests``."""
    unique: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for name, request in zip(names, requests, strict=True):
        unique.setdefault(canonical_json(request), (name, request))
    try:
        planner = Planner(load_config(path))
        planned = [as_original(job.request) for job in planner.jobs(validate=False)]
        planner.check()
    except InputError as exc:
        raise NotReproducible(exc.lines()) from None
    expected = list(unique.values())
    problems = []
    if len(planned) != len(expected):
        problems.append(f"{path}: plans {len(planned)} jobs for {len(expected)} requests")
    for (name, request), got in zip(expected, planned, strict=False):
        where = _first_difference(request, got, ())
        if where is not None:
            problems.append(f"{name}: {where or 'the request'}: not remade exactly by {path}")
    if problems:
        raise NotReproducible(problems)
    return RoundTrip(len(requests) - len(unique), _plan_problems(path))


def _plan_problems(path: Path) -> tuple[str, ...]:
    try:
        planner = Planner(load_config(path))
        for _ in planner.jobs():
            pass
        planner.check()
    except InputError as exc:
        return tuple(exc.lines())
    return ()


def _first_difference(a: Any, b: Any, keys: tuple[str | int, ...]) -> str | None:
    """The path of the first place ``a`` and ``b`` differ (never their values), or None."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in dict.fromkeys([*a, *b]):
            if key not in a or key not in b:
                return path_text((*keys, key))
            found = _first_difference(a[key], b[key], (*keys, key))
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            found = _first_difference(x, y, (*keys, index))
            if found is not None:
                return found
        return None
    return None if same(a, b) else path_text(keys)
