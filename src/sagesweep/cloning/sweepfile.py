"""Write a ``method: list`` sweep file: YAML (with each trial's source job noted) or JSON.

Every string is written with its braces doubled: a sweep file reads ``{job}`` as a
placeholder, and a copied request means its braces literally (a JSON hyperparameter,
say). The file is never written over another: an existing file that is not empty is
refused before any AWS call is made, and checked again just before writing.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sagesweep.cloning.split import Split
from sagesweep.errors import InputError
from sagesweep.planning.yamlsafe import dump_yaml

__all__ = ["SUFFIXES", "check_output", "escape_braces", "sweep_text", "write_new"]

#: What -o may end in; the suffix picks the format.
SUFFIXES = (".yaml", ".yml", ".json")


def escape_braces(value: Any) -> Any:
    """``value`` with ``{`` and ``}`` doubled in every string (map keys are left alone)."""
    if isinstance(value, str):
        return (
            value.replace("{", "{{").replace("}", "}}") if "{" in value or "}" in value else value
        )
    if isinstance(value, dict):
        return {key: escape_braces(child) for key, child in value.items()}
    if isinstance(value, list):
        return [escape_braces(child) for child in value]
    return value


def check_output(path: Path) -> None:
    """Refuse an output file of an unknown kind, or one that holds something already."""
    if path.suffix.lower() not in SUFFIXES:
        raise InputError.one(str(path), "", "-o", "write the sweep file as .yaml, .yml or .json")
    if _holds_something(path):
        raise InputError.one(
            str(path), "", "-o", "exists and is not empty; choose a new file (it is never replaced)"
        )


def _holds_something(path: Path) -> bool:
    try:
        return path.is_dir() or path.stat().st_size > 0
    except FileNotFoundError:
        return False


def sweep_text(sweep: str, parts: Split, sources: Sequence[str], *, fmt: str) -> str:
    """The sweep file; ``sources`` names each trial's original job (YAML comments)."""
    head: dict[str, Any] = {
        "sweep": sweep,
        "method": "list",
        "max_jobs": max(1, len(parts.trials)),
        "template": escape_braces(parts.template),
    }
    trials = [escape_braces(trial) for trial in parts.trials]
    if fmt == ".json":
        return json.dumps({**head, "trials": trials}, indent=2, ensure_ascii=False) + "\n"
    lines = [
        f"# {len(sources)} training job(s) copied by sagesweep clone: the template is what",
        "# they share, each trial what one of them sets differently.",
        dump_yaml(head).rstrip("\n"),
        "trials:",
    ]
    for source, trial in zip(sources, trials, strict=True):
        lines.append(f"# {_one_line(source)}")
        lines.append(dump_yaml([trial]).rstrip("\n"))
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def write_new(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which must not hold anything yet."""
    check_output(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
