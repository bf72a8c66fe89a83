"""The sweep file's keys about stopping: ``early_stopping`` (a rule that stops jobs
that lag) and ``stop_when`` (when the search as a whole has done enough).

``early_stopping: {rule: median, min_steps: 3}`` works with any method and needs an
``objective``: its metric's intermediate values are what the rule compares
(docs/early-stopping.md). ``median`` is SageMaker's rule; ``asha`` and ``hyperband``
are Optuna's pruners, for ``random`` and ``tpe``. ``stop_when: {target, not_improving,
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

#: The rules, and the methods each works with.
RULES = ("median", "asha", "hyperband")
_PRUNER_METHODS = ("random", "tpe")
DEFAULT_MIN_STEPS = 3
_KEYS = {
    "median": ("rule", "min_steps"),
    "asha": ("rule", "min_resource", "reduction_factor"),
    "hyperband": ("rule", "min_resource", "max_resource", "reduction_factor"),
}


@dataclass(frozen=True, slots=True)
class EarlyStopping:
    """A checked ``early_stopping``: the rule and its arguments."""

    rule: str
    min_steps: int = DEFAULT_MIN_STEPS  #: median: no decision before this many steps
    min_resource: int = 1  #: asha, hyperband: the first rung's step (Optuna's)
    reduction_factor: int = 3  #: asha, hyperband: 1/η of a rung is promoted (Optuna's)
    max_resource: int | None = None  #: hyperband: the steps of a job that runs out


def _whole(value: Any, minimum: int) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= minimum


def read_early_stopping(
    raw: Mapping[str, Any], source: str, *, has_objective: bool, method: str = "grid"
) -> tuple[EarlyStopping | None, list[Problem]]:
    value = raw.get("early_stopping")
    if value is None:
        return None, []
    where = "early_stopping"
    if not isinstance(value, Mapping):
        return None, [Problem(source, "", where, "must be {rule: median, min_steps: N}")]
    rule = value.get("rule")
    problems: list[Problem] = []
    if rule not in RULES:
        problems.append(
            Problem(
                source, "", f"{where}.rule", f"must be median, asha or hyperband (got {rule!r})"
            )
        )
        keys: tuple[str, ...] = tuple(dict.fromkeys(k for ks in _KEYS.values() for k in ks))
    else:
        keys = _KEYS[str(rule)]
        if rule in ("asha", "hyperband") and method not in _PRUNER_METHODS:
            problems.append(
                Problem(source, "", f"{where}.rule", f"{rule} is for methods random and tpe")
            )
    problems += [
        Problem(source, "", f"{where}.{key}", f"unknown key for this rule ({', '.join(keys)})")
        for key in value
        if key not in keys
    ]
    minimums = {"min_steps": 1, "min_resource": 1, "max_resource": 1, "reduction_factor": 2}
    for key, least in minimums.items():
        if key in value and key in keys and not _whole(value[key], least):
            problems.append(
                Problem(
                    source,
                    "",
                    f"{where}.{key}",
                    f"must be a whole number >= {least} (got {value[key]!r})",
                )
            )
    if rule == "hyperband" and "max_resource" not in value:
        problems.append(
            Problem(
                source,
                "",
                f"{where}.max_resource",
                "hyperband needs it: the steps a job that runs to its end reports",
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
    return EarlyStopping(
        str(rule),
        min_steps=int(value.get("min_steps", DEFAULT_MIN_STEPS)),
        min_resource=int(value.get("min_resource", 1)),
        reduction_factor=int(value.get("reduction_factor", 3)),
        max_resource=None if value.get("max_resource") is None else int(value["max_resource"]),
    ), []


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
