"""What a set of requests share, and what differs: the template and trials of a list sweep.

:func:`split` walks the requests together. A member every request has with the same
value goes into the template whole. A map every request has is split key by key (the
template keeps the shared keys), and so is a list every request has with the same
length, when each position holds the same value in all of them or maps that share at
least one member; the template then keeps the list with each map's shared part, and
the trials address the rest by index (``InputDataConfig[0].DataSource...``). Anything
else is a trial value: per request, its value at that path (maps are spelled out down
to their leaves; a list is one value, as the template has no index to fill).

Paths are written the way sweep files write them (docs/sweep-file.md): dotted member
names, ``[n]`` indexes, and inside ``HyperParameters``/``Environment`` the rest of the
path is one key, dots included. A map key that a path cannot spell (one with ``.``,
``[`` or ``]``) makes its whole map one value.

Pure: plain data in, plain data out; values are compared with their types
(``1``, ``1.0``, ``True`` and ``"1"`` all differ).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagesweep.planning.render import STRING_MAPS

__all__ = ["Split", "path_text", "same", "split"]

PathKey = str | int

_PLAIN_KEY = re.compile(r"[^.\[\]]+")
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Split:
    """A template all requests share, and per request the paths where it differs."""

    template: dict[str, Any]
    trials: tuple[dict[str, Any], ...]

    @property
    def paths(self) -> tuple[str, ...]:
        """Every path some trial sets, in the order they first appear."""
        seen: dict[str, None] = {}
        for trial in self.trials:
            seen.update(dict.fromkeys(trial))
        return tuple(seen)


def split(requests: Sequence[Mapping[str, Any]]) -> Split:
    """The shared template and one ``{path: value}`` trial per request, in order."""
    trials: list[dict[str, Any]] = [{} for _ in requests]
    template = _shared_map(requests, (), trials) if requests else {}
    return Split(template, tuple(trials))


def same(a: Any, b: Any) -> bool:
    """Equal, types included, all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def path_text(keys: Sequence[PathKey]) -> str:
    """``("A", "B", 0, "C")`` -> ``A.B[0].C``."""
    text = ""
    for key in keys:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def _spellable(keys: Sequence[PathKey], mapping: Mapping[str, Any]) -> bool:
    """Whether every key of ``mapping`` (found at ``keys``) can be one step of a path."""
    if len(keys) == 1 and keys[0] in STRING_MAPS:
        return all(isinstance(k, str) and k for k in mapping)
    return all(isinstance(k, str) and _PLAIN_KEY.fullmatch(k) for k in mapping)


def _all_same(values: Sequence[Any]) -> bool:
    return all(same(values[0], v) for v in values[1:])


def _shared_map(
    maps: Sequence[Mapping[str, Any]], keys: tuple[PathKey, ...], trials: list[dict[str, Any]]
) -> dict[str, Any]:
    order: dict[str, None] = {}
    for mapping in maps:
        order.update(dict.fromkeys(mapping))
    shared: dict[str, Any] = {}
    for key in order:
        here = (*keys, key)
        values = [m.get(key, _MISSING) for m in maps]
        if any(v is _MISSING for v in values):
            for trial, value in zip(trials, values, strict=True):
                if value is not _MISSING:
                    _spell_out(value, here, trial)
        elif _all_same(values):
            shared[key] = values[0]
        else:
            value = _shared(values, here, trials)
            if value is not _MISSING:
                shared[key] = value
    return shared


def _shared(values: Sequence[Any], keys: tuple[PathKey, ...], trials: list[dict[str, Any]]) -> Any:
    """The shared part of values every request has (not all equal), or _MISSING."""
    if all(isinstance(v, dict) and _spellable(keys, v) for v in values):
        return _shared_map(values, keys, trials)
    if _splittable_lists(values):
        shared: list[Any] = []
        for index in range(len(values[0])):
            items = [v[index] for v in values]
            if _all_same(items):
                shared.append(items[0])
            else:
                shared.append(_shared_map(items, (*keys, index), trials))
        return shared
    for trial, value in zip(trials, values, strict=True):
        trial[path_text(keys)] = value
    return _MISSING


def _splittable_lists(values: Sequence[Any]) -> bool:
    if not all(isinstance(v, list) for v in values):
        return False
    if any(len(v) != len(values[0]) for v in values):
        return False
    for index in range(len(values[0])):
        items = [v[index] for v in values]
        if _all_same(items):
            continue
        if not all(isinstance(i, dict) and _spellable((), i) for i in items):
            return False
        if not any(
            all(key in i for i in items) and _all_same([i[key] for i in items]) for key in items[0]
        ):
            return False  # nothing in common: the template would hold an empty map
    return True


def _spell_out(value: Any, keys: tuple[PathKey, ...], trial: dict[str, Any]) -> None:
    """Set ``value`` at ``keys`` in ``trial``, a map as its leaves when it has any."""
    if isinstance(value, dict) and value and _spellable(keys, value):
        for key, child in value.items():
            _spell_out(child, (*keys, key), trial)
    else:
        trial[path_text(keys)] = value
