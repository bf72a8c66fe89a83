"""The service model's shape tree, compiled into small node objects that check values.

:func:`compile_shape` turns a botocore input shape into :class:`Node` subclasses (string,
number, boolean, timestamp, blob, document, list, map, structure) once; each node's
``check`` appends a :class:`Violation` per problem. String verdicts are memoised and
valid scalars short-cut: the planner may check a million requests.

An internal module: :mod:`sagesweep.validation.model` is its only user, and the
node classes and message helpers it needs are public here for that reason alone.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sagesweep.validation.javaregex import compile_java_pattern

__all__ = [
    "MEMO_SIZE",
    "ListNode",
    "MapNode",
    "Node",
    "Out",
    "StructureNode",
    "Violation",
    "compile_shape",
    "key_text",
    "plural",
    "short_repr",
]

#: Memoised verdicts per string shape before the memo is dropped and refilled.
MEMO_SIZE = 4096
#: Enums longer than this are summarised instead of listed in full.
MAX_LISTED_ENUM = 10
#: Member names listed when an unknown one has no close match.
MAX_LISTED_MEMBERS = 8

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
#: One problem with a string: our message, and the service's wording of the constraint.
Problem = tuple[str, str]
#: The verdict of a valid string; containers test for it by identity.
_OK: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem with a request: where, what, and how bad."""

    field: str  #: e.g. "InputDataConfig[0].ChannelName"; "" for the request itself
    message: str  #: one line
    severity: Literal["error", "warning"] = "error"
    #: How the service words the broken constraint ("Member must not be null"), for a
    #: server that answers as SageMaker does; "" where the service has no such rule
    #: (an unknown member, a cross-field rule, a credential).
    constraint: str = ""


# The line terminators at which Java's "." stops.
_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")


# --- messages ---------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def short_repr(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters for a one-line message."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def plural(n: int, word: str) -> str:
    """``"1 item"``, ``"2 items"``, ``"3 entries"``."""
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def key_text(key: object) -> str:
    """A mapping key as it appears in a field path."""
    text = key if isinstance(key, str) else repr(key)
    # Field paths end up on one output line each.
    return text if text.isprintable() else repr(text)[1:-1]


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    folded = {c.lower(): c for c in choices}
    if word.lower() in folded:
        return folded[word.lower()]
    # An instance type without its "ml." (m5.large): the one that only lacks the prefix.
    for prefix in ("ml.", "ml"):
        if (prefix + word).lower() in folded:
            return folded[(prefix + word).lower()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _size_violation(path: str, bound: str, limit: int, word: str, n: int) -> Violation:
    relation = "greater" if bound == "at least" else "less"
    return Violation(
        path,
        f"must have {bound} {plural(limit, word)} (got {n})",
        constraint=f"Member must have length {relation} than or equal to {limit}",
    )


# --- the compiled shape tree ------------------------------------------------------

Out = list[Violation]


class Node:
    """A compiled shape: checks a value and appends what is wrong with it."""

    __slots__ = ("int_range", "kind", "memo", "name")

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        # Shortcuts that let a structure accept a valid scalar without calling
        # its node: most of a request's fields are valid strings and integers.
        #: string nodes: verdicts by value
        self.memo: dict[str, tuple[Problem, ...]] | None = None
        #: integer nodes: the inclusive range
        self.int_range: tuple[int, int] | None = None

    def check(self, value: object, path: str, out: Out) -> None:
        """Append violations of ``value`` (located at ``path``) to ``out``."""

    def _wrong_type(self, value: object, path: str, out: Out, what: str) -> None:
        out.append(
            Violation(
                path,
                f"must be {what} (got {_type_name(value)})",
                constraint=f"Member must be {what}",
            )
        )


class _String(Node):
    __slots__ = ("enum", "hi", "lo", "pattern", "pattern_text")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("string", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.enum: tuple[str, ...] = tuple(meta.get("enum") or ())
        self.pattern_text: str | None = meta.get("pattern")
        self.pattern = compile_java_pattern(self.pattern_text) if self.pattern_text else None
        self.memo: dict[str, tuple[Problem, ...]] = {}

    def check(self, value: object, path: str, out: Out) -> None:
        if not isinstance(value, str):
            self._wrong_type(value, path, out, "a string")
            return
        for message, constraint in self.messages(value):
            out.append(Violation(path, message, constraint=constraint))

    def messages(self, value: str) -> tuple[Problem, ...]:
        memo = self.memo
        found = memo.get(value)
        if found is None:
            found = self._judge(value)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[value] = found
        return found

    def _judge(self, value: str) -> tuple[Problem, ...]:
        problems: list[Problem] = []
        n = len(value)
        if self.lo is not None and n < self.lo:
            problems.append(
                (
                    f"must be at least {plural(self.lo, 'character')} (got {n})",
                    f"Member must have length greater than or equal to {self.lo}",
                )
            )
        if self.hi is not None and n > self.hi:
            problems.append(
                (
                    f"must be at most {plural(self.hi, 'character')} (got {n})",
                    f"Member must have length less than or equal to {self.hi}",
                )
            )
        elif self.pattern is not None and self.pattern.fullmatch(value) is None:
            text = self.pattern_text or ""
            shown = (
                ("" if text.startswith("^") else "^") + text + ("" if text.endswith("$") else "$")
            )
            # The service quotes its patterns anchored at the start only.
            anchored = text if text.startswith("^") else "^" + text
            # Java's "." stops at line breaks, which surprises people.
            breaks = " (it contains a line break)" if _LINE_BREAK.search(value) else ""
            problems.append(
                (
                    f"must match pattern {shown}{breaks}",
                    f"Member must satisfy regular expression pattern: {anchored}",
                )
            )
        if self.enum and value not in self.enum:
            problems.append(
                (
                    self._enum_problem(value),
                    f"Member must satisfy enum value set: [{', '.join(self.enum)}]",
                )
            )
        return tuple(problems) if problems else _OK

    def _enum_problem(self, value: str) -> str:
        hint = _suggest(value, self.enum)
        tail = f"; did you mean {hint!r}?" if hint else ""
        if len(self.enum) <= MAX_LISTED_ENUM:
            return f"must be one of {', '.join(self.enum)} (got {short_repr(value)}){tail}"
        examples = ", ".join(self.enum[:3])
        return (
            f"must be one of {len(self.enum)} {self.name} values such as {examples}"
            f" (got {short_repr(value)}){tail}"
        )


class _Number(Node):
    __slots__ = ("hi", "lo")

    def __init__(self, kind: str, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__(kind, name)
        lo, hi = _INT_BOUNDS.get(kind, (None, None))
        self.lo: float | None = meta.get("min", lo)
        self.hi: float | None = meta.get("max", hi)
        if lo is not None and hi is not None:
            self.int_range = (int(meta.get("min", lo)), int(meta.get("max", hi)))

    def check(self, value: object, path: str, out: Out) -> None:
        # The exact-type test keeps the common case to one comparison.
        if type(value) is not int and (isinstance(value, bool) or not isinstance(value, int)):
            if self.kind in ("integer", "long"):
                self._wrong_type(value, path, out, "an integer")
                return
            if isinstance(value, bool) or not isinstance(value, float | decimal.Decimal):
                self._wrong_type(value, path, out, "a number")
                return
            finite = (
                value.is_finite() if isinstance(value, decimal.Decimal) else math.isfinite(value)
            )
            if not finite:
                out.append(
                    Violation(
                        path,
                        f"must be a finite number (got {value})",
                        constraint="Member must be a finite number",
                    )
                )
                return
        number: Any = value
        if self.lo is not None and number < self.lo:
            out.append(
                Violation(
                    path,
                    f"must be at least {self.lo} (got {value})",
                    constraint=f"Member must have value greater than or equal to {self.lo}",
                )
            )
        elif self.hi is not None and number > self.hi:
            out.append(
                Violation(
                    path,
                    f"must be at most {self.hi} (got {value})",
                    constraint=f"Member must have value less than or equal to {self.hi}",
                )
            )


class _Boolean(Node):
    __slots__ = ()

    def check(self, value: object, path: str, out: Out) -> None:
        if value is not True and value is not False:
            self._wrong_type(value, path, out, "a boolean")


class _Timestamp(Node):
    __slots__ = ()

    def check(self, value: object, path: str, out: Out) -> None:
        if isinstance(value, datetime.datetime):
            return
        # The rule botocore applies; imported late because timestamps are rare.
        from botocore.utils import (  # type: ignore[import-untyped, unused-ignore]
            parse_to_aware_datetime,
        )

        loose: Any = value  # botocore also takes epoch numbers and date strings
        try:
            parse_to_aware_datetime(loose)
        except (TypeError, ValueError, AttributeError, OverflowError, OSError):
            self._wrong_type(value, path, out, "a datetime or timestamp string")


class _Blob(Node):
    __slots__ = ()

    def check(self, value: object, path: str, out: Out) -> None:
        if not isinstance(value, bytes | bytearray | str) and not hasattr(value, "read"):
            self._wrong_type(value, path, out, "bytes, a string or a file-like object")


class _Document(Node):
    __slots__ = ()


class ListNode(Node):
    __slots__ = ("hi", "item", "lo")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("list", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.item: Node = Node("unknown", "")

    def check(self, value: object, path: str, out: Out) -> None:
        if type(value) is not list and not isinstance(value, list | tuple):
            self._wrong_type(value, path, out, "a list")
            return
        n = len(value)
        if self.lo is not None and n < self.lo:
            out.append(_size_violation(path, "at least", self.lo, "item", n))
        elif self.hi is not None and n > self.hi:
            out.append(_size_violation(path, "at most", self.hi, "item", n))
        check = self.item.check
        for i, item in enumerate(value):
            check(item, f"{path}[{i}]", out)


class MapNode(Node):
    __slots__ = ("hi", "key", "lo", "value")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("map", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.key = _String(name, {})
        self.value: Node = Node("unknown", "")

    def check(self, value: object, path: str, out: Out) -> None:
        # Exact-type first: an ABC isinstance check costs as much as a field.
        if type(value) is not dict and not isinstance(value, Mapping):
            self._wrong_type(value, path, out, "a mapping")
            return
        n = len(value)
        if self.lo is not None and n < self.lo:
            out.append(_size_violation(path, "at least", self.lo, "entry", n))
        elif self.hi is not None and n > self.hi:
            out.append(_size_violation(path, "at most", self.hi, "entry", n))
        check_key = self.key.messages
        check_value = self.value.check
        key_memo = self.key.memo
        value_memo = self.value.memo
        for key, item in value.items():
            # Fast path: a key and a string value both already known to be valid.
            if (
                type(key) is str
                and key_memo.get(key) is _OK
                and type(item) is str
                and value_memo is not None
                and value_memo.get(item) is _OK
            ):
                continue
            where = f"{path}.{key}" if type(key) is str and key.isprintable() else ""
            if not where:
                where = f"{path}.{key_text(key)}"
                if not isinstance(key, str):
                    out.append(
                        Violation(
                            where,
                            f"key must be a string (got {_type_name(key)})",
                            constraint="Map keys must be strings",
                        )
                    )
                    check_value(item, where, out)
                    continue
            for message, constraint in check_key(key):
                out.append(
                    Violation(
                        where,
                        "key " + message,
                        constraint=f"Map keys must satisfy constraint: [{constraint}]",
                    )
                )
            check_value(item, where, out)


class StructureNode(Node):
    __slots__ = ("hints", "members", "required", "union")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("structure", name)
        self.members: dict[str, Node] = {}
        self.required: tuple[str, ...] = tuple(meta.get("required") or ())
        self.union = bool(meta.get("union"))
        self.hints: dict[str, str | None] = {}

    def check(
        self, value: object, path: str, out: Out, known: Mapping[str, object] | None = None
    ) -> None:
        if type(value) is not dict and not isinstance(value, Mapping):
            self._wrong_type(value, path, out, "a mapping")
            return
        members = self.members
        prefix = f"{path}." if path else ""
        for key, item in value.items():
            if known is not None and known.get(key) is item:
                continue  # this very object was checked before and found valid
            node = members.get(key)
            if node is None:
                out.append(Violation(prefix + key_text(key), self.unknown(key)))
                continue
            # A scalar known to be valid needs neither a call nor a path.
            kind = type(item)
            if kind is str:
                memo = node.memo
                if memo is not None and memo.get(item) is _OK:
                    continue
            elif kind is int:
                bounds = node.int_range
                if bounds is not None and bounds[0] <= item <= bounds[1]:
                    continue
            elif kind is bool and node.kind == "boolean":
                continue
            node.check(item, prefix + key, out)
        for name in self.required:
            if name not in value:
                out.append(
                    Violation(
                        prefix + name,
                        "required member missing",
                        constraint="Member must not be null",
                    )
                )
        if self.union:
            present = sum(1 for key in value if key in members)
            if present != 1:
                out.append(Violation(path, f"must set exactly one of its members (got {present})"))

    def unknown(self, key: object) -> str:
        if not isinstance(key, str):
            return f"unknown member {short_repr(key)}: member names are strings"
        hint = self.hint(key)
        if hint:
            return f"unknown member {key!r}; did you mean {hint!r}?"
        return f"unknown member {key!r}; {self.name} has {self.member_list()}"

    def member_list(self) -> str:
        names = list(self.members)
        shown = ", ".join(names[:MAX_LISTED_MEMBERS])
        more = len(names) - MAX_LISTED_MEMBERS
        return f"{shown} and {more} more" if more > 0 else shown

    def hint(self, key: str) -> str | None:
        if key not in self.hints:
            if len(self.hints) >= MEMO_SIZE:
                self.hints.clear()
            self.hints[key] = _suggest(key, list(self.members))
        return self.hints[key]


def compile_shape(shape: Any, seen: dict[str, Node]) -> Node:
    """Turn a botocore shape into a node, sharing nodes between equal shapes."""
    key = f"{shape.name}:{shape.type_name}"
    if key in seen:
        return seen[key]
    meta: Mapping[str, Any] = shape.metadata
    kind: str = shape.type_name
    node: Node
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            node = seen[key] = _Document("document", shape.name)
            return node
        struct = StructureNode(shape.name, meta)
        seen[key] = struct  # before the members: recursive shapes terminate
        for name, member in shape.members.items():
            struct.members[name] = compile_shape(member, seen)
        return struct
    if kind == "list":
        lst = seen[key] = ListNode(shape.name, meta)
        lst.item = compile_shape(shape.member, seen)
        return lst
    if kind == "map":
        mp = seen[key] = MapNode(shape.name, meta)
        mp.key = _String(shape.key.name, shape.key.metadata)
        mp.value = compile_shape(shape.value, seen)
        return mp
    makers: dict[str, Callable[[], Node]] = {
        "string": lambda: _String(shape.name, meta),
        "boolean": lambda: _Boolean(kind, shape.name),
        "timestamp": lambda: _Timestamp(kind, shape.name),
        "blob": lambda: _Blob(kind, shape.name),
    }
    maker = makers.get(kind, lambda: _Number(kind, shape.name, meta))
    node = seen[key] = maker()
    return node
