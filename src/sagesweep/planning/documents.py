"""Turn a sweep or template file into plain data: YAML, TOML or JSON, by suffix.

Reading is bounded (:mod:`sagesweep.planning.files`), YAML goes through
:mod:`sagesweep.planning.yamlsafe`, and every parser's complaint becomes a one-line
:class:`~sagesweep.errors.InputError` naming the file: no parser's traceback gets out.
A key written twice in one map is refused in every format (TOML's parser does it
itself; Python's JSON parser would keep the last silently).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError, Problem
from sagesweep.planning.files import UnreadableFile, read_text
from sagesweep.planning.yamlsafe import YamlRefused, load_yaml

__all__ = ["Document", "load_document", "parse_document"]

_FORMATS = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON"}


@dataclass(frozen=True, slots=True)
class Document:
    """A file's data, and the warnings reading it gave (one line each)."""

    data: Any
    warnings: tuple[str, ...] = ()


def load_document(path: Path, *, what: str, source: str) -> Document:
    """Read and parse ``path``; problems are reported against ``source`` and ``what``."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise InputError.one(source, "", what, f"file not found: {path}") from None
    except UnreadableFile as exc:
        raise InputError.one(source, "", what, str(exc)) from None
    return parse_document(path, text)


def parse_document(path: Path, text: str) -> Document:
    """The data in ``text``, read in the format ``path``'s suffix names."""
    suffix = path.suffix.lower()
    where = str(path)
    kind = _FORMATS.get(suffix)
    if kind is None:
        raise InputError.one(
            where, "", "", f"unknown file type {suffix!r}; use .yaml, .yml, .toml or .json"
        )
    try:
        if kind == "YAML":
            loaded = load_yaml(text)
            return Document(loaded.data, loaded.warnings)
        if kind == "TOML":
            return Document(tomllib.loads(text))
        return Document(_load_json(text, where))
    except InputError:
        raise
    except json.JSONDecodeError as exc:
        raise InputError.one(
            where, "", f"line {exc.lineno} column {exc.colno}", f"invalid JSON: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError.one(where, "", "", f"invalid TOML: {exc}") from None
    except YamlRefused as exc:
        raise InputError(
            [Problem(where, "", p.field, f"invalid YAML: {p}") for p in exc.problems]
        ) from None
    except RecursionError:
        raise InputError.one(where, "", "", f"invalid {kind}: nested too deeply") from None
    except Exception as exc:  # yaml.YAMLError and its many subclasses
        raise InputError.one(where, "", "", f"invalid {kind}: {_yaml_message(exc)}") from None


def _yaml_message(exc: Exception) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or " ".join(str(exc).split()) or type(exc).__name__
    if mark is not None:
        return f"line {mark.line + 1} column {mark.column + 1}: {problem}"
    return " ".join(str(exc).split())


def _load_json(text: str, where: str) -> Any:
    repeated: list[tuple[str, dict[str, Any]]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(items)
        if len(obj) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    repeated.append((key, obj))
                seen.add(key)
        return obj

    data = json.loads(text, object_pairs_hook=pairs)
    if repeated:
        paths = dict(_map_paths(data))
        raise InputError(
            [
                Problem(
                    where,
                    "",
                    paths.get(id(obj), ""),
                    f"invalid JSON: duplicate key {key!r}; a key may appear once",
                )
                for key, obj in repeated
            ]
        )
    return data


def _map_paths(data: Any) -> Iterator[tuple[int, str]]:
    """(id, path) of every map in ``data``; iterative, as JSON may nest deeply."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            yield id(node), path
            stack.extend((v, f"{path}.{k}" if path else k) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, f"{path}[{i}]") for i, v in enumerate(node))
