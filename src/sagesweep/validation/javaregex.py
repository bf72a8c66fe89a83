"""Java regular expressions, as botocore's service models write them, for the regex module.

The models' ``pattern`` traits are Java syntax. Where the ``regex`` module (VERSION1)
would read them differently, they are rewritten before compiling: ``\\p{...}``
classes and ``\\d \\s \\w`` are ASCII-only in Java, ``\\Q...\\E`` quotes, surrogate
pairs name one astral code point, ``.`` stops at every line terminator, and ``--``
``||`` ``~~`` inside a class are plain characters rather than set operators.
"""

from __future__ import annotations

import functools
import re

import regex  # type: ignore[import-untyped, unused-ignore]

__all__ = ["compile_java_pattern"]

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
    """Compile a service-model (Java syntax) pattern; None if it cannot be.

    Test values with ``fullmatch``: the service applies a pattern to the whole value, and
    a ``$`` in the pattern alone would let a value with a trailing newline through.
    """
    try:
        return regex.compile(_translate_java(pattern), regex.VERSION1)
    except (regex.error, ValueError, OverflowError):
        return None
