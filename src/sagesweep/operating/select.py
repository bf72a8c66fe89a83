"""Choosing jobs of a sweep by their parameters: ``--where PATH=VALUE``.

A value matches when it is written the way sagesweep writes hyperparameters
(``true``, ``5``, ``0.001``), so ``--where HyperParameters.eta=0.1`` matches the float
0.1 and the string "0.1" alike. Several ``--where`` must all match.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sagesweep.errors import InputError, Problem
from sagesweep.planning.render import RenderError, canonical_value

__all__ = ["Where", "parse_where", "select"]


@dataclass(frozen=True, slots=True)
class Where:
    path: str
    value: str

    def matches(self, params: Mapping[str, Any]) -> bool:
        if self.path not in params:
            return False
        return _text(params[self.path]) == self.value


def _text(value: Any) -> str:
    try:
        return canonical_value(value, "")
    except RenderError:
        return str(value)


def parse_where(texts: Sequence[str], swept: Iterable[str]) -> list[Where]:
    """``PATH=VALUE`` options, each on a path the sweep varies; bad ones are input errors."""
    known = list(swept)
    problems: list[Problem] = []
    wheres: list[Where] = []
    for text in texts:
        path, sep, value = text.partition("=")
        if not sep or not path:
            problems.append(Problem("<cli>", "", "--where", f"{text!r}: expected PATH=VALUE"))
        elif path not in known:
            choices = ", ".join(known) or "none"
            problems.append(
                Problem("<cli>", "", "--where", f"{path!r} is not swept (swept: {choices})")
            )
        else:
            wheres.append(Where(path, value))
    if problems:
        raise InputError(problems)
    return wheres


def select(params: Mapping[str, Any], wheres: Sequence[Where]) -> bool:
    """Whether a job with ``params`` passes every ``--where``."""
    return all(where.matches(params) for where in wheres)
