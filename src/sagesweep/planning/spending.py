"""The sweep file's keys about spending: ``budget`` and ``capacity_fallback``.

``budget: {usd: 250}`` or ``{instance_hours: 40}`` caps a driven run (docs/costs.md).
``capacity_fallback`` is a list of overrides, ``{path: value}`` each (``null`` removes
the member): attempt n after a CapacityError applies the first n of them. Their paths
are checked against the request shape by the planner, like a parameter's.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from sagesweep.errors import Problem

__all__ = ["BUDGET_UNITS", "read_budget", "read_fallback"]

BUDGET_UNITS = ("usd", "instance_hours")


def read_budget(
    raw: Mapping[str, Any], source: str
) -> tuple[dict[str, float] | None, list[Problem]]:
    value = raw.get("budget")
    if value is None:
        return None, []
    usage = "must be {usd: AMOUNT} or {instance_hours: AMOUNT}"
    if not isinstance(value, Mapping) or len(value) != 1:
        return None, [Problem(source, "", "budget", usage)]
    ((unit, amount),) = value.items()
    if unit not in BUDGET_UNITS:
        return None, [Problem(source, "", f"budget.{unit}", f"unknown unit; {usage}")]
    if (
        isinstance(amount, bool)
        or not isinstance(amount, int | float)
        or not (amount > 0 and math.isfinite(amount))
    ):
        return None, [
            Problem(source, "", f"budget.{unit}", f"must be a number > 0 (got {amount!r})")
        ]
    return {str(unit): float(amount)}, []


def read_fallback(
    raw: Mapping[str, Any], source: str
) -> tuple[tuple[Mapping[str, Any], ...], list[Problem]]:
    value = raw.get("capacity_fallback")
    if value is None:
        return (), []
    if not isinstance(value, list) or not value:
        return (), [
            Problem(source, "", "capacity_fallback", "must be a list of {path: value} overrides")
        ]
    steps: list[Mapping[str, Any]] = []
    problems: list[Problem] = []
    for i, step in enumerate(value):
        if not isinstance(step, Mapping) or not step or not all(isinstance(k, str) for k in step):
            problems.append(
                Problem(source, f"step {i + 1}", "capacity_fallback", "must be a {path: value} map")
            )
            continue
        steps.append(dict(step))
    return tuple(steps), problems
