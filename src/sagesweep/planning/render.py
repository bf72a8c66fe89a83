"""Template + point -> CreateTrainingJob request: paths, canonical values, placeholders.

The template is never mutated: setting a path copies only the containers on that path,
and filling placeholders copies only what changes, so rendering a job costs little more
than the fields it touches. Placeholders themselves live in
:mod:`sagesweep.planning.placeholders` (re-exported here).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagesweep.planning.naming import DIGEST_TAG, SWEEP_TAG
from sagesweep.planning.placeholders import (
    RenderError,
    fill_placeholders,
    placeholder_names,
    placeholder_problems,
)

__all__ = [
    "STRING_MAPS",
    "PointApplier",
    "RenderError",
    "Rendered",
    "canonical_template",
    "canonical_value",
    "field_of",
    "fill_placeholders",
    "own_tags",
    "parse_path",
    "placeholder_names",
    "placeholder_problems",
    "set_path",
    "tags_of",
    "value_at",
]

#: Request members whose values are strings; swept values are rendered canonically.
STRING_MAPS = ("HyperParameters", "Environment")

_PATH_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

PathKey = str | int


def parse_path(path: str) -> tuple[PathKey, ...]:
    """``A.B[0].C`` -> ``("A", "B", 0, "C")``; inside a string map the rest is one key."""
    head, dot, rest = path.partition(".")
    if head in STRING_MAPS:
        if not dot or not rest:
            raise RenderError(path, f"name a key inside {head}, e.g. {head}.learning_rate")
        return (head, rest)
    keys: list[PathKey] = []
    pos = 0
    while pos < len(path):
        if keys and path[pos] == ".":
            pos += 1
        m = _PATH_TOKEN.match(path, pos)
        if m is None:
            raise RenderError(path, f"malformed path at character {pos + 1}")
        keys.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not keys or not isinstance(keys[0], str):
        raise RenderError(path, "a path starts with a request member name")
    return tuple(keys)


def canonical_value(value: Any, field: str) -> str:
    """Strings inside HyperParameters/Environment: bool, int, float rendered canonically."""
    if type(value) is float and value - value == 0.0:  # finite: the common swept value
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise RenderError(field, f"{value!r} is not a finite number")
        return repr(value)
    raise RenderError(field, f"must be a string, number or boolean (got {type(value).__name__})")


def set_path(request: dict[str, Any], keys: tuple[PathKey, ...], value: Any, field: str) -> None:
    """Set ``value`` at ``keys``, copying containers on the way (the template is shared)."""
    node: Any = request
    for depth, key in enumerate(keys[:-1]):
        nxt = keys[depth + 1]
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                size = len(node) if isinstance(node, list) else 0
                raise RenderError(field, f"index [{key}] is out of range (the list has {size})")
            child = node[key]
        else:
            if not isinstance(node, dict):
                raise RenderError(field, f"{key!r} is inside a {type(node).__name__}, not a map")
            child = node.get(key)
        if child is None:
            child = [] if isinstance(nxt, int) else {}
        elif isinstance(child, dict):
            child = dict(child)
        elif isinstance(child, list):
            child = list(child)
        else:
            raise RenderError(field, f"{key!r} holds a {type(child).__name__}, not a map or list")
        node[key] = child
        node = child
    last = keys[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last >= len(node):
            size = len(node) if isinstance(node, list) else 0
            raise RenderError(field, f"index [{last}] is out of range (the list has {size})")
        node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise RenderError(field, f"cannot set {last!r} inside a {type(node).__name__}")


def value_at(node: Any, keys: tuple[PathKey, ...]) -> Any:
    """The value at ``keys`` inside ``node``, or None where there is none."""
    for key in keys:
        if isinstance(key, int):
            if not isinstance(node, list) or key >= len(node):
                return None
            node = node[key]
        elif isinstance(node, dict):
            node = node.get(key)
        else:
            return None
    return node


def _brace_paths(node: Any, prefix: tuple[PathKey, ...] = ()) -> list[tuple[PathKey, ...]]:
    """Paths of the strings in ``node`` that hold a placeholder or an escaped brace."""
    if isinstance(node, str):
        return [prefix] if ("{" in node or "}" in node) else []
    found: list[tuple[PathKey, ...]] = []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_brace_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found.extend(_brace_paths(child, (*prefix, i)))
    return found


def field_of(keys: tuple[PathKey, ...]) -> str:
    """``("A", 0, "B")`` -> ``A[0].B``: a parsed path as problems name it."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


@dataclass(frozen=True, slots=True)
class Rendered:
    """A request before its name is known (the digest input), plus the finishing step."""

    body: dict[str, Any]
    #: where placeholders may be: template strings with braces, and swept values
    targets: tuple[tuple[PathKey, ...], ...] = ()

    def finish(self, sweep: str, name: str, digest: str) -> dict[str, Any]:
        values = {"sweep": sweep, "job": name, "digest": digest}
        request = dict(self.body)
        for keys in self.targets:
            old = value_at(request, keys)
            new = fill_placeholders(old, values, field_of(keys))
            if new is not old:
                set_path(request, keys, new, field_of(keys))
        request["TrainingJobName"] = name
        request["Tags"] = [*own_tags(request.get("Tags")), *tags_of(sweep, digest)]
        return request


def own_tags(user_tags: Any) -> list[Any]:
    """A request's tags without sagesweep's own (they are set per job)."""
    if user_tags is None:
        return []
    if not isinstance(user_tags, list):
        raise RenderError(
            "Tags", f"must be a list of {{Key, Value}} maps (got {type(user_tags).__name__})"
        )
    return [
        t
        for t in user_tags
        if not (isinstance(t, Mapping) and t.get("Key") in (SWEEP_TAG, DIGEST_TAG))
    ]


def tags_of(sweep: str, digest: str) -> tuple[dict[str, str], dict[str, str]]:
    """The tags sagesweep adds to every request it sends."""
    return {"Key": SWEEP_TAG, "Value": sweep}, {"Key": DIGEST_TAG, "Value": digest}


def canonical_template(template: Mapping[str, Any]) -> tuple[dict[str, Any], list[RenderError]]:
    """The template with its string-map values rendered canonically."""
    out = dict(template)
    problems: list[RenderError] = []
    for member in STRING_MAPS:
        mapping = out.get(member)
        if not isinstance(mapping, Mapping):
            continue
        rendered: dict[str, Any] = {}
        for key, value in mapping.items():
            try:
                rendered[key] = canonical_value(value, f"{member}.{key}")
            except RenderError as exc:
                problems.append(exc)
                rendered[key] = value
        out[member] = rendered
    tags = out.get("Tags")
    if isinstance(tags, list):
        out["Tags"] = [_string_tag(tag, i) for i, tag in enumerate(tags)]
    problems.extend(placeholder_problems(out))
    return out, problems


def _string_tag(tag: Any, index: int) -> Any:
    """A tag's Key and Value are strings: numbers and booleans are written as strings, as a
    hyperparameter's are (a list or a map is left for the validator to refuse)."""
    if not isinstance(tag, Mapping):
        return tag
    out = dict(tag)
    for key in ("Key", "Value"):
        value = out.get(key)
        if isinstance(value, bool | int | float):
            with contextlib.suppress(RenderError):  # not finite: the validator says so
                out[key] = canonical_value(value, f"Tags[{index}].{key}")
    return out


def _is_tag_text(keys: tuple[PathKey, ...], value: Any) -> bool:
    """A swept number for a tag's Key or Value (``Tags[0].Value``): written as a string."""
    return (
        len(keys) == 3
        and keys[0] == "Tags"
        and keys[2] in ("Key", "Value")
        and isinstance(value, bool | int | float)
    )


class PointApplier:
    """Sets a point's values into a shared template; parsed paths are cached."""

    __slots__ = ("_paths", "braces", "template")

    def __init__(self, template: dict[str, Any]) -> None:
        self.template = template
        self._paths: dict[str, tuple[PathKey, ...]] = {}
        #: paths of the template strings that hold a placeholder or an escaped brace
        self.braces = tuple(_brace_paths(template))

    def keys(self, path: str) -> tuple[PathKey, ...]:
        keys = self._paths.get(path)
        if keys is None:
            keys = self._paths[path] = parse_path(path)
        return keys

    def apply(self, point: Mapping[str, Any]) -> Rendered:
        body = dict(self.template)
        swept: list[tuple[PathKey, ...]] = []
        for path, value in point.items():
            keys = self.keys(path)
            if keys[0] in STRING_MAPS or _is_tag_text(keys, value):
                value = canonical_value(value, path)
            set_path(body, keys, value, path)
            if not isinstance(value, str) or "{" in value or "}" in value:
                swept.append(keys)
        if not swept:
            return Rendered(body, self.braces)
        # A template string under a swept subtree is filled with that subtree, once.
        kept = [t for t in self.braces if not any(t[: len(k)] == k for k in swept)]
        return Rendered(body, (*kept, *swept))
