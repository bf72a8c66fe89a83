"""Overrides of a rendered request: ``{path: value}``, ``None`` removing the member.

What ``capacity_fallback`` applies to an attempt after a CapacityError. Paths are those
of the sweep file's parameters (``ResourceConfig.InstanceType``,
``StoppingCondition.MaxWaitTimeInSeconds``); values inside ``HyperParameters`` and
``Environment`` are rendered as strings as swept values are; no placeholder is filled.
Applying the first k steps to a request that already has the first j <= k gives the same
request as applying them to the original: every step sets or removes, nothing adds up.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from sagesweep.planning.render import STRING_MAPS, canonical_value, parse_path, set_path

__all__ = ["apply_overrides", "override_paths"]


def override_paths(steps: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every path the steps name, in first-seen order."""
    return list(dict.fromkeys(path for step in steps for path in step))


def apply_overrides(
    request: Mapping[str, Any], steps: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """``request`` with every step applied in order; RenderError on a path that cannot be set."""
    body = copy.deepcopy(dict(request))
    for step in steps:
        for path, value in step.items():
            keys = parse_path(path)
            if value is None:
                _remove(body, keys)
                continue
            if keys[0] in STRING_MAPS:
                value = canonical_value(value, path)
            set_path(body, keys, copy.deepcopy(value), path)
    return body


def _remove(body: dict[str, Any], keys: tuple[str | int, ...]) -> None:
    node: Any = body
    for key in keys[:-1]:
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return
        elif not isinstance(node, dict) or key not in node:
            return
        node = node[key]
    last = keys[-1]
    if isinstance(last, int):
        if isinstance(node, list) and last < len(node):
            del node[last]
    elif isinstance(node, dict):
        node.pop(last, None)
