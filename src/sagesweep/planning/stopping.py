"""The sweep file's keys about stopping: ``early_stopping`` (a rule that stops jobs
that lag) and ``stop_when`` (when the search as a whole has done enough).

``early_stopping: {rule: median, min_steps: 3}`` works with any method and needs an
``objective``: its metric's intermediate values are what the rule compares
(docs/early-stopping.md). ``median`` is SageMaker's rule; ``asha`` and ``hyperband``
are not available yet, and are refused as such. ``stop_when: {target, not_improving,
stop_running}`` needs an ``objective`` too (docs/early-stopping.md#stop_when).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagesweep.errors import Problem

__all__ = [
    "DEFAULT_MIN_STEPS",
    "RULES",
    "EarlyStopping",
    "StopWhen",
    "read_early_stopping",
    "read_stop_when",
]

#: Rules a sweep file may name today.
RULES = ("median",)
#: Rules that are planned but not available yet.
_LATER = ("asha", "hyperband")
DEFAULT_MIN_STEPS = 3
_KEYS = ("rule", "min_steps")


@dataclass(frozen=True, slots=True)
class EarlyStopping:
    """A checked ``early_stopping``: the rule, and the steps before its first decision."""

    rule: str
    min_steps: int = DEFAULT_MIN_STEPS


def read_early_stopping(
    raw: Mapping[str, Any], source: str, *, has_objective: bool
) -> tuple[EarlyStopping | None, list[Problem]]:
    value = raw.get("early_stopping")
    if value is None:
        return None, []
    where = "early_stopping"
    if not isinstance(value, Mapping):
        return None, [Problem(source, "", where, "must be {rule: median, min_steps: N}")]
    problems = [
        Problem(source, "", f"{where}.{key}", f"unknown key ({', '.join(_KEYS)})")
        for key in value
        if key not in _KEYS
    ]
    rule = value.get("rule")
    if rule in _LATER:
        problems.append(
            Problem(source, "", f"{where}.rule", f"{rule} is not available yet; use median")
        )
    elif rule not in RULES:
        problems.append(Problem(source, "", f"{where}.rule", f"must be median (got {rule!r})"))
    steps = value.get("min_steps", DEFAULT_MIN_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        problems.append(
            Problem(
                source, "", f"{where}.min_steps", f"must be a whole number >= 1 (got {steps!r})"
            )
        )
    if not has_objective:
        problems.append(
            Problem(
                source,
                "",
                where,
                "needs an objective: {metric: NAME, goal: maximize|minimize} (its values "
                "are what the rule compares)",
            )
        )
    if problems:
        return None, problems
    return EarlyStopping(str(rule), int(steps)), []


@dataclass(frozen=True, slots=True)
class StopWhen:
    """A checked ``stop_when``: when the search as a whole has done enough."""

    target: float | None = None  #: the best value reached this
    not_improving: int | None = None  #: the last N ended jobs improved the best by <= 1 %
    stop_running: bool = False  #: also stop the jobs still running


_STOP_KEYS = ("target", "not_improving", "stop_running")


def read_stop_when(
    raw: Mapping[str, Any], source: str, *, has_objective: bool
) -> tuple[StopWhen | None, list[Problem]]:
    value = raw.get("stop_when")
    if value is None:
        return None, []
    where = "stop_when"
    usage = "must be {target: VALUE, not_improving: N, stop_running: false}"
    if not isinstance(value, Mapping) or not value:
        return None, [Problem(source, "", where, usage)]
    problems = [
        Problem(source, "", f"{where}.{key}", f"unknown key ({', '.join(_STOP_KEYS)})")
        for key in value
        if key not in _STOP_KEYS
    ]
    target = value.get("target")
    if target is not None and (isinstance(target, bool) or not isinstance(target, int | float)):
        problems.append(
            Problem(source, "", f"{where}.target", f"must be a number (got {target!r})")
        )
    patience = value.get("not_improving")
    if patience is not None and (
        isinstance(patience, bool) or not isinstance(patience, int) or patience < 1
    ):
        problems.append(
            Problem(
                source,
                "",
                f"{where}.not_improving",
                f"must be a whole number of jobs >= 1 (got {patience!r})",
            )
        )
    running = value.get("stop_running", False)
    if not isinstance(running, bool):
        problems.append(
            Problem(source, "", f"{where}.stop_running", f"must be true or false (got {running!r})")
        )
    if target is None and patience is None:
        problems.append(Problem(source, "", where, "needs target or not_improving"))
    if not has_objective:
        problems.append(
            Problem(
                source,
                "",
                where,
                "needs an objective: {metric: NAME, goal: maximize|minimize}",
            )
        )
    if problems:
        return None, problems
    return StopWhen(
        None if target is None else float(target),
        None if patience is None else int(patience),
        bool(running),
    ), []
