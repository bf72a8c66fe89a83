"""Check a rendered request against botocore's service model before it is sent.

Every constraint comes from the model, never re-typed here: required members,
types, string lengths, list/map sizes, numeric ranges, enums and patterns
(botocore itself checks only types, required members and minimums). On top of
the model: the managed-spot stopping rule and a credential scan of
``HyperParameters`` (error) and ``Environment`` (warning).

The planner may push a million requests through :meth:`RequestValidator.validate`,
so the shape tree is compiled once into small node objects, regexes are compiled
once, and string verdicts are memoised: a sweep repeats most of its strings.
"""

from __future__ import annotations

import datetime
import decimal
import difflib
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import regex  # type: ignore[import-untyped, unused-ignore]

from sagesweep import secrets

__all__ = ["RequestValidator", "Violation", "compile_java_pattern", "validator"]

#: Memoised verdicts per string shape before the memo is dropped and refilled.
MEMO_SIZE = 4096
#: Enums longer than this are summarised instead of listed in full.
MAX_LISTED_ENUM = 10
#: Member names listed when an unknown one has no close match.
MAX_LISTED_MEMBERS = 8

_INT_BOUNDS = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
#: The verdict of a valid string; containers test for it by identity.
_OK: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Violation:
    """One problem with a request: where, what, and how bad."""

    field: str  #: e.g. "InputDataConfig[0].ChannelName"; "" for the request itself
    message: str  #: one line
    severity: Literal["error", "warning"] = "error"


# --- Java patterns ----------------------------------------------------------------

# Java's POSIX and predefined classes are ASCII-only by default; the regex
# module's are Unicode-aware, so they are spelled out. Nested sets (VERSION1)
# let the same spelling work inside and outside a character class.
_JAVA_CLASSES = {
    "Lower": "a-z",
    "Upper": "A-Z",
    "ASCII": "\\x00-\\x7F",
    "Alpha": "a-zA-Z",
    "Digit": "0-9",
    "Alnum": "a-zA-Z0-9",
    "Punct": "!-/:-@\\[-`{-~",
    "Graph": "!-~",
    "Print": " -~",
    "Blank": " \\t",
    "Cntrl": "\\x00-\\x1F\\x7F",
    "XDigit": "0-9a-fA-F",
    "Space": " \\t\\n\\x0B\\f\\r",
}
_JAVA_SHORTHANDS = {"d": "Digit", "s": "Space", "w": "Alnum"}
# Java's "." stops at every line terminator, not just "\n".
_JAVA_DOT = "[^\\n\\r\\x85\\u2028\\u2029]"
_LINE_BREAK = re.compile("[\n\r\x85\u2028\u2029]")
_SURROGATE_PAIR = re.compile(r"\\u(D[89AB][0-9A-F]{2})\\u(D[C-F][0-9A-F]{2})", re.IGNORECASE)


def _join_surrogates(m: re.Match[str]) -> str:
    high, low = int(m.group(1), 16), int(m.group(2), 16)
    return f"\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08X}"


def _translate_java(pattern: str) -> str:
    """Rewrite a Java regex so the regex module (VERSION1) matches what Java would."""
    out: list[str] = []
    depth = 0  # character-class nesting
    text = _SURROGATE_PAIR.sub(_join_surrogates, pattern)
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            e = text[i + 1]
            if e in "pP" and text.startswith("{", i + 2) and "}" in text[i + 2 :]:
                end = text.index("}", i + 2)
                name = text[i + 3 : end].removeprefix("Is")
                if name in _JAVA_CLASSES:
                    neg = "^" if e == "P" else ""
                    out.append(f"[{neg}{_JAVA_CLASSES[name]}]")
                else:
                    out.append(text[i : end + 1])
                i = end + 1
                continue
            if e.lower() in _JAVA_SHORTHANDS:
                neg = "^" if e.isupper() else ""
                body = _JAVA_CLASSES[_JAVA_SHORTHANDS[e.lower()]]
                out.append(f"[{neg}{body}{'_' if e.lower() == 'w' else ''}]")
                i += 2
                continue
            if e == "Q":
                end = text.find("\\E", i + 2)
                end = n if end < 0 else end
                out.append("".join(regex.escape(ch) for ch in text[i + 2 : end]))
                i = end + 2
                continue
            out.append(text[i : i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        elif c == "." and not depth:
            out.append(_JAVA_DOT)
            i += 1
            continue
        elif c == "(" and not depth and not text.startswith("?", i + 1):
            # Only yes/no is needed and no model pattern uses a backreference:
            # non-capturing groups match several times faster.
            out.append("(?:")
            i += 1
            continue
        elif depth and c in "-|~" and text.startswith(c * 2, i):
            # Set operators in VERSION1, plain characters in Java.
            out.append("\\" + c)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


@functools.cache
def compile_java_pattern(pattern: str) -> regex.Pattern[str] | None:
    """Compile a service-model (Java syntax) pattern; None if it cannot be."""
    try:
        return regex.compile(_translate_java(pattern), regex.VERSION1)
    except (regex.error, ValueError, OverflowError):
        return None


# --- messages ---------------------------------------------------------------------


def _type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plural(n: int, word: str) -> str:
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word[:-1]}ies" if word.endswith("y") else f"{n} {word}s"


def _key_text(key: object) -> str:
    text = key if isinstance(key, str) else repr(key)
    # Field paths end up on one output line each.
    return text if text.isprintable() else repr(text)[1:-1]


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    folded = {c.lower(): c for c in choices}
    if word.lower() in folded:
        return folded[word.lower()]
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return close[0] if close else None


# --- the compiled shape tree ------------------------------------------------------

Out = list[Violation]


class _Node:
    """A compiled shape: checks a value and appends what is wrong with it."""

    __slots__ = ("int_range", "kind", "memo", "name")

    def __init__(self, kind: str, name: str) -> None:
        self.kind = kind
        self.name = name
        # Shortcuts that let a structure accept a valid scalar without calling
        # its node: most of a request's fields are valid strings and integers.
        #: string nodes: verdicts by value
        self.memo: dict[str, tuple[str, ...]] | None = None
        #: integer nodes: the inclusive range
        self.int_range: tuple[int, int] | None = None

    def check(self, value: object, path: str, out: Out) -> None:
        """Append violations of ``value`` (located at ``path``) to ``out``."""

    def _wrong_type(self, value: object, path: str, out: Out, what: str) -> None:
        out.append(Violation(path, f"must be {what} (got {_type_name(value)})"))


class _String(_Node):
    __slots__ = ("enum", "hi", "lo", "pattern", "pattern_text")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("string", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.enum: tuple[str, ...] = tuple(meta.get("enum") or ())
        self.pattern_text: str | None = meta.get("pattern")
        self.pattern = compile_java_pattern(self.pattern_text) if self.pattern_text else None
        self.memo: dict[str, tuple[str, ...]] = {}

    def check(self, value: object, path: str, out: Out) -> None:
        if not isinstance(value, str):
            self._wrong_type(value, path, out, "a string")
            return
        for message in self.messages(value):
            out.append(Violation(path, message))

    def messages(self, value: str) -> tuple[str, ...]:
        memo = self.memo
        found = memo.get(value)
        if found is None:
            found = self._judge(value)
            if len(memo) >= MEMO_SIZE:
                memo.clear()
            memo[value] = found
        return found

    def _judge(self, value: str) -> tuple[str, ...]:
        problems: list[str] = []
        n = len(value)
        if self.lo is not None and n < self.lo:
            problems.append(f"must be at least {_plural(self.lo, 'character')} (got {n})")
        if self.hi is not None and n > self.hi:
            problems.append(f"must be at most {_plural(self.hi, 'character')} (got {n})")
        elif self.pattern is not None and self.pattern.fullmatch(value) is None:
            text = self.pattern_text or ""
            shown = (
                ("" if text.startswith("^") else "^") + text + ("" if text.endswith("$") else "$")
            )
            # Java's "." stops at line breaks, which surprises people.
            breaks = " (it contains a line break)" if _LINE_BREAK.search(value) else ""
            problems.append(f"must match pattern {shown}{breaks}")
        if self.enum and value not in self.enum:
            problems.append(self._enum_problem(value))
        return tuple(problems) if problems else _OK

    def _enum_problem(self, value: str) -> str:
        hint = _suggest(value, self.enum)
        tail = f"; did you mean {hint!r}?" if hint else ""
        if len(self.enum) <= MAX_LISTED_ENUM:
            return f"must be one of {', '.join(self.enum)} (got {_short(value)}){tail}"
        examples = ", ".join(self.enum[:3])
        return (
            f"must be one of {len(self.enum)} {self.name} values such as {examples}"
            f" (got {_short(value)}){tail}"
        )


class _Number(_Node):
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
                out.append(Violation(path, f"must be a finite number (got {value})"))
                return
        number: Any = value
        if self.lo is not None and number < self.lo:
            out.append(Violation(path, f"must be at least {self.lo} (got {value})"))
        elif self.hi is not None and number > self.hi:
            out.append(Violation(path, f"must be at most {self.hi} (got {value})"))


class _Boolean(_Node):
    __slots__ = ()

    def check(self, value: object, path: str, out: Out) -> None:
        if value is not True and value is not False:
            self._wrong_type(value, path, out, "a boolean")


class _Timestamp(_Node):
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


class _Blob(_Node):
    __slots__ = ()

    def check(self, value: object, path: str, out: Out) -> None:
        if not isinstance(value, bytes | bytearray | str) and not hasattr(value, "read"):
            self._wrong_type(value, path, out, "bytes, a string or a file-like object")


class _Document(_Node):
    __slots__ = ()


class _List(_Node):
    __slots__ = ("hi", "item", "lo")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("list", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.item: _Node = _Node("unknown", "")

    def check(self, value: object, path: str, out: Out) -> None:
        if type(value) is not list and not isinstance(value, list | tuple):
            self._wrong_type(value, path, out, "a list")
            return
        n = len(value)
        if self.lo is not None and n < self.lo:
            out.append(Violation(path, f"must have at least {_plural(self.lo, 'item')} (got {n})"))
        elif self.hi is not None and n > self.hi:
            out.append(Violation(path, f"must have at most {_plural(self.hi, 'item')} (got {n})"))
        check = self.item.check
        for i, item in enumerate(value):
            check(item, f"{path}[{i}]", out)


class _Map(_Node):
    __slots__ = ("hi", "key", "lo", "value")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("map", name)
        self.lo: int | None = meta.get("min")
        self.hi: int | None = meta.get("max")
        self.key = _String(name, {})
        self.value: _Node = _Node("unknown", "")

    def check(self, value: object, path: str, out: Out) -> None:
        # Exact-type first: an ABC isinstance check costs as much as a field.
        if type(value) is not dict and not isinstance(value, Mapping):
            self._wrong_type(value, path, out, "a mapping")
            return
        n = len(value)
        if self.lo is not None and n < self.lo:
            out.append(Violation(path, f"must have at least {_plural(self.lo, 'entry')} (got {n})"))
        elif self.hi is not None and n > self.hi:
            out.append(Violation(path, f"must have at most {_plural(self.hi, 'entry')} (got {n})"))
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
                where = f"{path}.{_key_text(key)}"
                if not isinstance(key, str):
                    out.append(Violation(where, f"key must be a string (got {_type_name(key)})"))
                    check_value(item, where, out)
                    continue
            for message in check_key(key):
                out.append(Violation(where, "key " + message))
            check_value(item, where, out)


class _Structure(_Node):
    __slots__ = ("hints", "members", "required", "union")

    def __init__(self, name: str, meta: Mapping[str, Any]) -> None:
        super().__init__("structure", name)
        self.members: dict[str, _Node] = {}
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
                out.append(Violation(prefix + _key_text(key), self.unknown(key)))
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
                out.append(Violation(prefix + name, "required member missing"))
        if self.union:
            present = sum(1 for key in value if key in members)
            if present != 1:
                out.append(Violation(path, f"must set exactly one of its members (got {present})"))

    def unknown(self, key: object) -> str:
        if not isinstance(key, str):
            return f"unknown member {_short(key)}: member names are strings"
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


def _compile(shape: Any, seen: dict[str, _Node]) -> _Node:
    """Turn a botocore shape into a node, sharing nodes between equal shapes."""
    key = f"{shape.name}:{shape.type_name}"
    if key in seen:
        return seen[key]
    meta: Mapping[str, Any] = shape.metadata
    kind: str = shape.type_name
    node: _Node
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            node = seen[key] = _Document("document", shape.name)
            return node
        struct = _Structure(shape.name, meta)
        seen[key] = struct  # before the members: recursive shapes terminate
        for name, member in shape.members.items():
            struct.members[name] = _compile(member, seen)
        return struct
    if kind == "list":
        lst = seen[key] = _List(shape.name, meta)
        lst.item = _compile(shape.member, seen)
        return lst
    if kind == "map":
        mp = seen[key] = _Map(shape.name, meta)
        mp.key = _String(shape.key.name, shape.key.metadata)
        mp.value = _compile(shape.value, seen)
        return mp
    makers: dict[str, Callable[[], _Node]] = {
        "string": lambda: _String(shape.name, meta),
        "boolean": lambda: _Boolean(kind, shape.name),
        "timestamp": lambda: _Timestamp(kind, shape.name),
        "blob": lambda: _Blob(kind, shape.name),
    }
    maker = makers.get(kind, lambda: _Number(kind, shape.name, meta))
    node = seen[key] = maker()
    return node


# --- the public face --------------------------------------------------------------

_SPOT_FLAG = "EnableManagedSpotTraining"
_STOPPING = "StoppingCondition"
# Where a credential is refused (SageMaker rejects it) or merely discouraged.
_SCANNED_MAPS: tuple[tuple[str, Literal["error", "warning"], str], ...] = (
    ("HyperParameters", "error", "SageMaker rejects credentials in hyperparameters"),
    (
        "Environment",
        "warning",
        "environment values are readable by anyone who can describe the job",
    ),
)
_INDEX = re.compile(r"\[(\d+)\]")


class RequestValidator:
    """Validates requests of one operation; build once, call many times."""

    def __init__(self, operation: str = "CreateTrainingJob", *, service: str = "sagemaker") -> None:
        # Heavy: paid once, by the first validator built.
        import botocore.session  # type: ignore[import-untyped, unused-ignore]

        model = botocore.session.get_session().get_service_model(service)
        self.operation = operation
        self.input_shape: Any = model.operation_model(operation).input_shape
        root = _compile(self.input_shape, {})
        if not isinstance(root, _Structure):
            raise TypeError(f"{operation} input is not a structure")
        self._root = root
        self._paths: dict[str, tuple[_Node | None, str | None]] = {}
        self._secret_memo: dict[tuple[str, str, str], tuple[Violation, ...]] = {}

    def valid_members(self, template: Mapping[str, Any]) -> dict[str, object]:
        """The top-level members of ``template`` that are valid on their own.

        Pass the result to :meth:`validate` as ``known``: a request that shares such a
        member *object* (not an equal copy) skips re-checking it. The caller promises
        not to mutate those objects; the planner shares template subtrees this way.
        """
        members = self._root.members
        known: dict[str, object] = {}
        for key, item in template.items():
            node = members.get(key)
            if node is None:
                continue
            out: Out = []
            try:
                node.check(item, key, out)
            except Exception:  # left to validate() to report
                continue
            if not out:
                known[key] = item
        return known

    def validate(
        self, request: Mapping[str, Any], *, known: Mapping[str, object] | None = None
    ) -> list[Violation]:
        """Every problem with ``request``: model constraints, cross-field rules, credentials."""
        out: list[Violation] = []
        try:
            self._root.check(request, "", out, known)
            if type(request) is dict or isinstance(request, Mapping):
                self._check_spot(request, out)
                self._scan_secrets(request, out)
        except Exception as exc:  # an exotic Mapping that fails to iterate, say
            out.append(Violation("", f"cannot be validated: {type(exc).__name__}: {_short(exc)}"))
        return out

    def check_path(self, path: str) -> str | None:
        """None if the model allows a sweep parameter at ``path``, else what is wrong."""
        return self._resolve(path)[1]

    def leaf_kind(self, path: str) -> str | None:
        """The model type at ``path`` ("string", "integer", "structure", ...), or None."""
        node = self._resolve(path)[0]
        return node.kind if node is not None else None

    # -- cross-field rules --------------------------------------------------------

    def _check_spot(self, request: Mapping[str, Any], out: Out) -> None:
        if request.get(_SPOT_FLAG) is not True:
            return
        stopping = request.get(_STOPPING)
        if not isinstance(stopping, Mapping):
            stopping = {}
        field = f"{_STOPPING}.MaxWaitTimeInSeconds"
        wait = stopping.get("MaxWaitTimeInSeconds")
        if wait is None:
            out.append(Violation(field, "required when EnableManagedSpotTraining is true"))
            return
        runtime = stopping.get("MaxRuntimeInSeconds")
        numbers = (int, float)
        if (
            isinstance(wait, numbers)
            and isinstance(runtime, numbers)
            and not isinstance(wait, bool)
            and not isinstance(runtime, bool)
            and wait < runtime
        ):
            out.append(
                Violation(
                    field,
                    f"must be at least MaxRuntimeInSeconds ({runtime}) when "
                    f"EnableManagedSpotTraining is true (got {wait})",
                )
            )

    def _scan_secrets(self, request: Mapping[str, Any], out: Out) -> None:
        memo = self._secret_memo
        for member, severity, why in _SCANNED_MAPS:
            entries = request.get(member)
            if type(entries) is not dict and not isinstance(entries, Mapping):
                continue
            for key, value in entries.items():
                if not isinstance(value, str) or not isinstance(key, str):
                    continue
                # Violations are immutable, so a verdict can be handed out again.
                entry = (member, key, value)
                found = memo.get(entry)
                if found is None:
                    found = tuple(
                        Violation(
                            f"{member}.{_key_text(key)}",
                            f"looks like {finding.kind} ({finding.masked}); {why}: "
                            "pass it through a secret store or an IAM role",
                            severity,
                        )
                        for finding in secrets.scan(key, value)
                    )
                    if len(memo) >= MEMO_SIZE:
                        memo.clear()
                    memo[entry] = found
                if found:
                    out.extend(found)

    # -- paths --------------------------------------------------------------------

    def _resolve(self, path: str) -> tuple[_Node | None, str | None]:
        cached = self._paths.get(path)
        if cached is None:
            cached = self._walk(path)
            if len(self._paths) >= MEMO_SIZE:
                self._paths.clear()
            self._paths[path] = cached
        return cached

    def _walk(self, path: str) -> tuple[_Node | None, str | None]:
        if not isinstance(path, str) or not path:
            return None, "empty parameter path"
        node: _Node = self._root
        done = ""  # the part of the path already resolved, for messages
        rest = path
        while rest:
            if isinstance(node, _Map) and not isinstance(node.value, _Structure | _List | _Map):
                # A scalar-valued map (HyperParameters): everything left is the key.
                return node.value, None
            if rest.startswith("["):
                m = _INDEX.match(rest)
                if m is None:
                    return None, f"malformed index in {path!r}: use [n] with n a whole number"
                here = done + m.group()
                if not isinstance(node, _List):
                    return (
                        None,
                        f"{done!r} is a {node.kind}, not a list: {m.group()} indexes lists only",
                    )
                index = int(m.group(1))
                if node.hi is not None and index >= node.hi:
                    return (
                        None,
                        f"index {index} is out of range: {done!r} holds at most "
                        f"{_plural(node.hi, 'item')}",
                    )
                node, done, rest = node.item, here, rest[m.end() :]
                continue
            if done:
                if not rest.startswith("."):
                    return None, f"malformed path {path!r}: expected '.' or '[n]' after {done!r}"
                rest = rest[1:]
            name = re.split(r"[.\[]", rest, maxsplit=1)[0]
            if not name:
                return None, f"malformed path {path!r}: empty member name"
            here = f"{done}.{name}" if done else name
            if isinstance(node, _Map):
                node, done, rest = node.value, here, rest[len(name) :]
                continue
            if isinstance(node, _List):
                return None, f"{done!r} is a list: index it first, as in '{done}[0].{name}'"
            if not isinstance(node, _Structure):
                return None, f"{done!r} is a {node.kind}: it has no member {name!r}"
            child = node.members.get(name)
            if child is None:
                hint = node.hint(name)
                if hint:
                    return None, f"unknown member {here!r}; did you mean {hint!r}?"
                return None, f"unknown member {here!r}; {node.name} has {node.member_list()}"
            node, done, rest = child, here, rest[len(name) :]
        return node, None


@functools.cache
def validator() -> RequestValidator:
    """The process-wide CreateTrainingJob validator (the model is loaded once)."""
    return RequestValidator()
