"""The model's constraints on a request, worded the way SageMaker words them.

A server that stands in for SageMaker (the mock) must refuse what the service
refuses, and say so as the service does::

    1 validation error detected: Value 'ml.bogus.huge' at 'resourceConfig.instanceType'
    failed to satisfy constraint: Member must satisfy enum value set: [...]

The checks are the planner's own (:mod:`sagesweep.validation.model`); only the
model's constraints are reported, and the few service rules the model cannot state
(:func:`~sagesweep.validation.model.service_rules`). Members the model does not know
are ignored, as the service ignores them, and so are the client-side extras
(managed-spot and instance-preference rules, credential scans).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from sagesweep.validation.model import RequestValidator, service_rules, validator
from sagesweep.validation.shapes import ListNode, MapNode, Node, StructureNode, Violation

__all__ = ["service_problems"]

_STEP = re.compile(r"\.?([^.\[]+)|\[(\d+)\]")
_MISSING = object()


def service_problems(
    request: Mapping[str, Any], checker: RequestValidator | None = None
) -> list[str]:
    """One service-worded sentence per constraint ``request`` breaks ([] if none)."""
    checker = checker or validator()
    out: list[Violation] = []
    checker.root.check(request, "", out)
    out.extend(service_rules(request))
    return [
        f"Value {_shown(value)} at '{where}' failed to satisfy constraint: {v.constraint}"
        for v in out
        if v.constraint
        for where, value in (_located(checker.root, request, v.field),)
    ]


def _located(root: StructureNode, request: object, field: str) -> tuple[str, object]:
    """The service's path for ``field`` (camel-case members, 1-based ``.n.member`` list
    items, map keys verbatim) and the value found there."""
    node: Node | None = root
    value: object = request
    parts: list[str] = []
    position = 0
    while position < len(field):
        if isinstance(node, MapNode):
            # Everything left names one key: keys may hold dots and brackets.
            key = field[position + 1 :] if field[position] == "." else field[position:]
            parts.append(key)
            value = value.get(key, _MISSING) if isinstance(value, Mapping) else _MISSING
            break
        step = _STEP.match(field, position)
        if step is None:  # not a path this module wrote; show it as it is
            return field, _MISSING
        position = step.end()
        name, index = step.group(1), step.group(2)
        if index is not None:
            i = int(index)
            parts.append(f"{i + 1}.member")
            value = value[i] if isinstance(value, list | tuple) and i < len(value) else _MISSING
            node = node.item if isinstance(node, ListNode) else None
            continue
        parts.append(name[:1].lower() + name[1:])
        value = value.get(name, _MISSING) if isinstance(value, Mapping) else _MISSING
        node = node.members.get(name) if isinstance(node, StructureNode) else None
    return ".".join(parts), value


def _shown(value: object) -> str:
    if value is _MISSING or value is None:
        return "null"
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return f"'{str(value).lower()}'"
    if isinstance(value, int | float):
        return f"'{value}'"
    try:
        return f"'{json.dumps(value, sort_keys=True, default=str)}'"
    except (TypeError, ValueError):
        return f"'{value!r}'"
