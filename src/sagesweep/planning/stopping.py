"""The sweep file's ``early_stopping`` key: which rule stops jobs that lag, and when.

``early_stopping: {rule: median, min_steps: 3}`` works with any method and needs an
``objective``: its metric's intermediate values are what the rule compares
(docs/early-stopping.md). ``median`` is SageMaker's rule; ``asha`` and ``hyperband``
are named in the contract but not available yet, and are refused as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagesweep.errors import Problem

__all__ = ["DEFAULT_MIN_STEPS", "RULES", "EarlyStopping", "read_early_stopping"]

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
