"""A sweep's fixed paths compiled once, so a job costs only what varies between jobs.

Every point of a grid or random sweep sets the same paths into the same template.
So the canonical JSON a digest hashes is the template's, encoded once with a slot per
swept value, and a job splices its values in; and the request is the template (with
its ``{sweep}`` placeholders filled once) plus a fixed list of container copies and
assignments. The result is the very digest and request the general path
(:mod:`sagesweep.planning.render`, :mod:`sagesweep.planning.naming`) gives; what this
cannot reproduce is refused when compiling, and the planner then uses the general
path. The per-job checks are :mod:`sagesweep.planning.fastpath`'s.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring
from typing import Any

from sagesweep.planning.naming import canonical_json, identity_json
from sagesweep.planning.render import (
    STRING_MAPS,
    PathKey,
    PointApplier,
    canonical_value,
    field_of,
    fill_placeholders,
    own_tags,
    placeholder_names,
    set_path,
    tags_of,
)

__all__ = ["CompiledPlan"]

_SLOT = "\x00sagesweep-slot-{}\x00"
_PER_JOB = frozenset({"job", "digest"})
# Per-job placeholders are filled once with markers, then the markers replaced per job.
_JOB, _DIGEST = "\x00job\x00", "\x00digest\x00"
_MARKERS = {"job": _JOB, "digest": _DIGEST}
_CHECKPOINT = ("CheckpointConfig", "S3Uri")
# Operations replayed per job on the filled template (see CompiledPlan._compile_ops).
_COPY, _NEW, _SET = 0, 1, 2


def _encode(value: Any) -> str:
    """``canonical_json(value)``, with the common scalars encoded directly."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if not math.isfinite(value):
            raise ValueError("not a finite number")  # the general path reports it
        return float.__repr__(value)
    return canonical_json(value)


def _get(node: Any, keys: tuple[PathKey, ...]) -> Any:
    for key in keys:
        node = node[key]
    return node


class CompiledPlan:
    """One template and one tuple of parameter paths, compiled; see the module doc."""

    __slots__ = (
        "_checkpoint_slot",
        "_checkpoint_static",
        "_fields",
        "_filled",
        "_kinds",
        "_ops",
        "_order",
        "_pieces",
        "_static_tags",
        "_sweep",
        "_targets",
        "fields",
        "paths",
        "places",
        "user_tags",
    )

    def __init__(
        self,
        template: dict[str, Any],
        paths: Sequence[str],
        applier: PointApplier,
        sweep: str,
    ) -> None:
        """Raise RenderError, ValueError or TypeError when the plan cannot be compiled."""
        self.paths = tuple(paths)
        self._sweep = sweep
        keys = [applier.keys(p) for p in self.paths]
        for i, a in enumerate(keys):
            for b in keys[i + 1 :]:
                if a[: len(b)] == b or b[: len(a)] == a:
                    raise ValueError("overlapping paths")
            if a[0] == "Tags" and not (len(a) == 3 and a[2] == "Value"):
                raise ValueError("a swept tag key changes which tags are sagesweep's")
            if a[0] == _CHECKPOINT[0] and a != _CHECKPOINT:
                raise ValueError("checkpoint sharing needs the raw S3Uri")
        # Values written as strings: in a string map, and a tag's Value.
        self._kinds = tuple(
            k[0] in STRING_MAPS or (k[0] == "Tags" and len(k) == 3 and k[2] == "Value")
            for k in keys
        )
        self._fields = tuple(field_of(k) for k in keys)
        self._compile_digest(template, keys)
        self._compile_request(template, keys, applier)
        #: every path a job sets a value at: the swept ones, then per-job template strings
        self.places = (*keys, *(t for t, _, _ in self._targets))
        #: the field names of :attr:`places`, as problems name them
        self.fields = (*self._fields, *(fld for _, fld, _ in self._targets))
        self._checkpoint_slot = keys.index(_CHECKPOINT) if _CHECKPOINT in keys else None
        config = template.get(_CHECKPOINT[0])
        raw = config.get(_CHECKPOINT[1]) if isinstance(config, Mapping) else None
        self._checkpoint_static = (
            raw if isinstance(raw, str) and not placeholder_names(raw) & _PER_JOB else None
        )

    # -- digest ---------------------------------------------------------------------

    def _compile_digest(self, template: dict[str, Any], keys: list[tuple[PathKey, ...]]) -> None:
        body = dict(template)
        for i, (path, k) in enumerate(zip(self.paths, keys, strict=True)):
            set_path(body, k, _SLOT.format(i), path)
        text = identity_json(body)
        found: list[tuple[int, int, int]] = []
        for i in range(len(keys)):
            token = canonical_json(_SLOT.format(i))
            if text.count(token) != 1:
                raise ValueError("a swept value is not part of the digest")
            at = text.index(token)
            found.append((at, at + len(token), i))
        found.sort()
        pieces: list[str] = []
        pos = 0
        for start, end, _ in found:
            pieces.extend((text[pos:start], ""))
            pos = end
        pieces.append(text[pos:])
        self._pieces = pieces
        self._order = tuple(i for _, _, i in found)

    def digest(self, point: Mapping[str, Any]) -> tuple[bytes, list[Any]]:
        """The full sha256 of a point's request, and its values as set (canonical)."""
        values: list[Any] = []
        texts: list[str] = []
        for (path, value), smap in zip(point.items(), self._kinds, strict=True):
            if smap:
                if type(value) is float and value - value == 0.0:
                    value = repr(value)
                    texts.append(f'"{value}"')  # a float's repr needs no escaping
                else:
                    value = canonical_value(value, path)
                    texts.append(encode_basestring(value))
            else:
                texts.append(_encode(value))
            values.append(value)
        chunks = self._pieces.copy()
        for j, i in enumerate(self._order):
            chunks[2 * j + 1] = texts[i]
        return hashlib.sha256("".join(chunks).encode()).digest(), values

    # -- request --------------------------------------------------------------------

    def _compile_request(
        self, template: dict[str, Any], keys: list[tuple[PathKey, ...]], applier: PointApplier
    ) -> None:
        stand_in = dict.fromkeys(_PER_JOB, "")
        filled = dict(template)
        self._targets: list[tuple[tuple[PathKey, ...], str, str]] = []
        for target in applier.braces:
            if any(target[: len(k)] == k for k in keys):
                continue  # a swept value replaces it
            text = _get(template, target)
            if placeholder_names(text) & _PER_JOB:
                if "\x00" in text:
                    raise ValueError("a template string holds the marker character")
                marked = fill_placeholders(text, {"sweep": self._sweep, **_MARKERS})
                self._targets.append((target, field_of(target), marked))
            else:
                values = {"sweep": self._sweep, **stand_in}
                set_path(filled, target, fill_placeholders(text, values), field_of(target))
        self._filled = filled
        places = [*keys, *(t for t, _, _ in self._targets)]
        self._ops = self._compile_ops(filled, places)
        tagged = any(k[0] == "Tags" for k in places)
        self._static_tags = None if tagged else own_tags(filled.get("Tags"))
        #: how many tags precede sagesweep's own in every request (None: it varies)
        self.user_tags = None if self._static_tags is None else len(self._static_tags)

    @staticmethod
    def _compile_ops(
        filled: dict[str, Any], places: list[tuple[PathKey, ...]]
    ) -> list[tuple[Any, ...]]:
        """Copies (or new maps) of the containers on each path, then the assignment.

        In path order, as set_path would do them, so new keys land in the same order.
        """
        ops: list[tuple[Any, ...]] = []
        opened: dict[tuple[PathKey, ...], int] = {(): 0}
        shadow: dict[tuple[PathKey, ...], Any] = {(): filled}
        for index, place in enumerate(places):
            for depth in range(1, len(place)):
                prefix = place[:depth]
                if prefix in opened:
                    continue
                parent, key = shadow[place[: depth - 1]], place[depth - 1]
                if isinstance(parent, list) != isinstance(key, int):
                    raise ValueError(f"cannot set {field_of(place)}")
                child = parent[key] if _holds(parent, key) else None
                if child is None and not isinstance(place[depth], int):
                    ops.append((_NEW, opened[place[: depth - 1]], key))
                    child = {}
                elif isinstance(child, dict | list):
                    ops.append((_COPY, opened[place[: depth - 1]], key))
                else:
                    raise ValueError(f"cannot set {field_of(place)}")
                opened[prefix] = len(opened)
                shadow[prefix] = child
            parent, key = shadow[place[:-1]], place[-1]
            if isinstance(parent, list) != isinstance(key, int) or (
                isinstance(key, int) and not _holds(parent, key)
            ):
                raise ValueError(f"cannot set {field_of(place)}")
            ops.append((_SET, opened[place[:-1]], key, index))
        return ops

    def request(
        self, values: list[Any], name: str, digest: str
    ) -> tuple[dict[str, Any], list[Any]]:
        """The finished request of a job, and every value it placed (filled)."""
        names = {"sweep": self._sweep, "job": name, "digest": digest}
        placed = [
            value
            if type(value) is str and "{" not in value and "}" not in value
            else fill_placeholders(value, names, fld)
            for value, fld in zip(values, self._fields, strict=True)
        ]
        placed.extend(
            marked.replace(_JOB, name).replace(_DIGEST, digest) for _, _, marked in self._targets
        )
        request = dict(self._filled)
        containers: list[Any] = [request]
        for op in self._ops:
            if op[0] == _SET:
                containers[op[1]][op[2]] = placed[op[3]]
                continue
            parent = containers[op[1]]
            child = parent[op[2]].copy() if op[0] == _COPY else {}
            parent[op[2]] = child
            containers.append(child)
        request["TrainingJobName"] = name
        tags = self._static_tags
        if tags is None:
            tags = own_tags(request.get("Tags"))
        request["Tags"] = [*tags, *tags_of(self._sweep, digest)]
        return request, placed

    # -- checks ---------------------------------------------------------------------

    @property
    def template(self) -> dict[str, Any]:
        """The template as every job shares it: ``{sweep}`` filled, per-job strings not."""
        return self._filled

    def raw_checkpoint(self, values: list[Any]) -> Any:
        """The job's CheckpointConfig.S3Uri before placeholders; None if unique per job."""
        if self._checkpoint_slot is None:
            return self._checkpoint_static
        raw = values[self._checkpoint_slot]
        return raw if isinstance(raw, str) and not placeholder_names(raw) & _PER_JOB else None


def _holds(container: Any, key: PathKey) -> bool:
    if isinstance(key, int):
        return isinstance(container, list) and key < len(container)
    return isinstance(container, dict) and key in container
