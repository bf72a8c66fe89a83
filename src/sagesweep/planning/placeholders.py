"""Placeholders in a template's strings: ``{sweep}``, ``{job}``, ``{digest}``; ``{{`` is ``{``.

Filled when a job is finished, from its sweep's name, its own name and its digest;
any other placeholder, or an unmatched brace, is a problem of the template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "PLACEHOLDERS",
    "RenderError",
    "fill_placeholders",
    "placeholder_names",
    "placeholder_problems",
]

PLACEHOLDERS = ("sweep", "job", "digest")
_BRACES = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")


class RenderError(ValueError):
    """A value or path cannot be rendered; carries the field path."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


def _fill(text: str, values: Mapping[str, str], field: str) -> str:
    def sub(m: re.Match[str]) -> str:
        token = m.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = m.group(1)
        if name is None:
            raise RenderError(
                field, f"unmatched {token!r} in {text!r}; write {token * 2} for a brace"
            )
        if name not in values:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise RenderError(field, f"unknown placeholder {{{name}}} in {text!r} (known: {known})")
        return values[name]

    return _BRACES.sub(sub, text)


def fill_placeholders(obj: Any, values: Mapping[str, str], field: str = "") -> Any:
    """Return ``obj`` with placeholders filled; unchanged subtrees are shared, not copied."""
    if isinstance(obj, str):
        return _fill(obj, values, field) if ("{" in obj or "}" in obj) else obj
    if isinstance(obj, dict):
        out: dict[str, Any] | None = None
        for key, child in obj.items():
            new = fill_placeholders(child, values, f"{field}.{key}" if field else key)
            if new is not child:
                if out is None:
                    out = dict(obj)
                out[key] = new
        return obj if out is None else out
    if isinstance(obj, list):
        items: list[Any] | None = None
        for i, child in enumerate(obj):
            new = fill_placeholders(child, values, f"{field}[{i}]")
            if new is not child:
                if items is None:
                    items = list(obj)
                items[i] = new
        return obj if items is None else items
    return obj


def placeholder_names(text: str) -> frozenset[str]:
    """The placeholders ``text`` uses; ``{{job}}`` is a literal, not a placeholder."""
    return frozenset(m.group(1) for m in _BRACES.finditer(text) if m.group(1) is not None)


def placeholder_problems(obj: Any) -> list[RenderError]:
    """Every bad placeholder in a template, found with stand-in values."""
    problems: list[RenderError] = []
    probe = dict.fromkeys(PLACEHOLDERS, "x")

    def walk(node: Any, field: str) -> None:
        if isinstance(node, str):
            try:
                _fill(node, probe, field)
            except RenderError as exc:
                problems.append(exc)
        elif isinstance(node, dict):
            for key, child in node.items():
                walk(child, f"{field}.{key}" if field else key)
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{field}[{i}]")

    walk(obj, "")
    return problems
