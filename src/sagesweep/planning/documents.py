"""Turn a sweep or template file into plain data: YAML, TOML or JSON, by suffix.

Reading is bounded (:mod:`sagesweep.planning.files`), YAML goes through
:mod:`sagesweep.planning.yamlsafe`, and every parser's complaint becomes a one-line
:class:`~sagesweep.errors.InputError` naming the file: no parser's traceback gets out.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError, Problem
from sagesweep.planning.files import UnreadableFile, read_text
from sagesweep.planning.yamlsafe import YamlRefused, load_yaml

__all__ = ["load_document", "parse_document"]

_FORMATS = {".yaml": "YAML", ".yml": "YAML", ".toml": "TOML", ".json": "JSON"}


def load_document(path: Path, *, what: str, source: str) -> Any:
    """Read and parse ``path``; problems are reported against ``source`` and ``what``."""
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise InputError.one(source, "", what, f"file not found: {path}") from None
    except UnreadableFile as exc:
        raise InputError.one(source, "", what, str(exc)) from None
    return parse_document(path, text)


def parse_document(path: Path, text: str) -> Any:
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
            return load_yaml(text)
        if kind == "TOML":
            return tomllib.loads(text)
        return json.loads(text)
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
