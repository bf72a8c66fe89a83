"""Spot credentials pasted into hyperparameters, environment variables or tags.

SageMaker refuses hyperparameters that look like credentials, and environment
and tag values are readable by anyone allowed to describe the job or list its
tags. Catching them locally means a sweep fails before the first call instead of
after the thousandth, and the message never echoes the secret: values are masked.
:func:`redact_text` masks the same shapes in free text (error messages, logs).

Detectors, most specific first:

- AWS access key ids: ``AKIA``/``ASIA`` + 16 upper-case letters or digits.
- Private-key blocks: ``-----BEGIN ... PRIVATE KEY-----``.
- GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``, ``ghr_`` + 36 characters,
  ``github_pat_...``), Slack tokens (``xoxa-``, ``xoxb-``, ``xoxp-``, ``xoxr-``,
  ``xoxs-``) and JSON Web Tokens (``eyJ...`` ``.eyJ...`` ``.signature``).
- AWS secret access keys: a free-standing 40-character run of ``[A-Za-z0-9/+]``.
  Ordinary 40-character things (SHA-1 digests, S3 keys, CamelCase names) are
  told apart by how random the run looks (see :func:`_looks_random`).
- ``password=...``/``token=...``-style assignments inside a value.
- A credential-sounding key name (``db_password``, ``hf_token``) with a
  non-trivial value.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["MASK", "Finding", "findings", "flagged_keys", "mask", "redact_text", "scan"]

#: What a value known to be secret is shown as: nothing of it.
MASK = "***"


@dataclass(frozen=True, slots=True)
class Finding:
    """One credential-looking thing found in a value."""

    kind: str  #: e.g. "an AWS access key id"
    masked: str  #: the offending text with all but a few characters hidden


# Nothing shorter than this can trip a value detector ("pwd=secret" is 10).
_MIN_SCANNED = 10

_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")
# The header, then the body up to the footer (or the end of the text).
_PRIVATE_KEY_BLOCK = re.compile(
    r"(-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----)"
    r".*?(-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)",
    re.S,
)
_GITHUB = re.compile(
    r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})"
    r"(?![A-Za-z0-9_])"
)
_SLACK = re.compile(r"(?<![A-Za-z0-9])xox[abprs]-[0-9]+-[A-Za-z0-9-]{6,}")
_JWT = re.compile(
    r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"
    r"(?![A-Za-z0-9_-])"
)
# Token shapes that need no key to be recognised: (precondition, pattern, kind).
_TOKENS: tuple[tuple[tuple[str, ...], re.Pattern[str], str], ...] = (
    (("gh", "github_pat_"), _GITHUB, "a GitHub token"),
    (("xox",), _SLACK, "a Slack token"),
    (("eyJ",), _JWT, "a JSON Web Token"),
)
_ANY_TOKEN_NEEDLE = re.compile("|".join(re.escape(n) for needles, _, _ in _TOKENS for n in needles))
_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_ASSIGNMENT = re.compile(
    r"(?i)(?<![a-z0-9_])((?:[a-z0-9]+[_-])*"
    r"(?:password|passwd|pwd|passphrase|secret|secret[_-]?key|token|api[_-]?key"
    r"|apikey|private[_-]?key))"
    r"\s*[:=]\s*['\"]?([^\s'\"&;,]+)"
)
# Map keys that name a credential. Plain "token" is left out on purpose:
# "pad_token"/"eos_token" are common tokenizer hyperparameters.
_SECRET_NAME = re.compile(
    r"(?:password|passwd|passphrase|secret|secret_?(?:access_?)?key|api_?key"
    r"|(?:access|auth|api|session|bearer|hf|github|gh)_?token|private_?key)$"
)
# Words that a key is allowed to be set to without being a secret.
_HARMLESS = frozenset({"true", "false", "none", "null", "yes", "no", "on", "off", "changeme"})
# Values that point at a secret rather than being one: the recommended practice.
_REFERENCE_PREFIXES = ("arn:", "s3://", "/", "./", "<", "${", "{{", "%(", "$(")

_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGIT = frozenset("0123456789")


def mask(secret: str) -> str:
    """Hide a secret, showing at most its first and last four characters."""
    n = len(secret)
    if n >= 16:
        keep = 4
    elif n >= 10:
        keep = 2
    else:
        keep = 0
    # A fixed-width star run for long values keeps messages one short line.
    stars = "*" * min(max(n - 2 * keep, 1), 12)
    return f"{secret[:keep]}{stars}{secret[n - keep :] if keep else ''}"


def _char_class(c: str) -> int:
    if c in _UPPER:
        return 0
    if c in _LOWER:
        return 1
    if c in _DIGIT:
        return 2
    return 3


def _looks_random(token: str, *, threshold: int) -> bool:
    """Whether a 40-character run has the texture of random base64.

    Random base64 switches between upper, lower, digit and symbol on about two
    thirds of neighbouring characters (~25 of 39); words, CamelCase and paths
    switch rarely (~5-11). Requiring all three of upper, lower and digit also
    rules out hex digests, which have no upper case.
    """
    chars = set(token)
    if not (chars & _UPPER and chars & _LOWER and chars & _DIGIT):
        return False
    classes = [_char_class(c) for c in token]
    switches = sum(1 for a, b in itertools.pairwise(classes) if a != b)
    return switches >= threshold


def _trivial(value: str) -> bool:
    v = value.strip().strip("'\"")
    if len(v) < 6 or v.lower() in _HARMLESS or v.startswith(_REFERENCE_PREFIXES):
        return True
    if len(set(v)) <= 2:  # "******", "xxxxxx"
        return True
    try:
        float(v)
    except ValueError:
        return False
    return True


@functools.lru_cache(maxsize=4096)
def _secret_name(key: str) -> tuple[bool, bool]:
    """(names a credential, hints at one) for a map key; keys repeat, so cached."""
    lowered = key.lower().replace("-", "_")
    named = _SECRET_NAME.search(lowered) is not None
    return named, named or "secret" in lowered or "credential" in lowered


def scan(key: str, value: str) -> list[Finding]:
    """Credential-looking things in one map entry, most specific first (at most one per kind)."""
    found: list[Finding] = []
    named, hinted = _secret_name(key)
    # Each detector has a cheap necessary condition: most values (numbers,
    # short words) never reach a regex.
    if len(value) >= _MIN_SCANNED:
        if "AKIA" in value or "ASIA" in value:
            match = _ACCESS_KEY_ID.search(value)
            if match:
                found.append(Finding("an AWS access key id", mask(match.group())))
        if "PRIVATE KEY" in value:
            match = _PRIVATE_KEY.search(value)
            if match:
                found.append(Finding("a private key block", match.group()))
        if _ANY_TOKEN_NEEDLE.search(value):  # one C-level check for the common no
            for needles, pattern, kind in _TOKENS:
                if any(n in value for n in needles):
                    match = pattern.search(value)
                    if match:
                        found.append(Finding(kind, mask(match.group())))
        if len(value) >= 40:
            for match in _SECRET_KEY.finditer(value):
                token = match.group()
                has_symbol = "/" in token or "+" in token
                # A keyword in the name or a base64 symbol makes a key likelier,
                # so less randomness is demanded of it.
                if (hinted and _looks_random(token, threshold=10)) or (
                    has_symbol and _looks_random(token, threshold=15)
                ):
                    found.append(Finding("an AWS secret access key", mask(token)))
                    break
        if not found and ("=" in value or ":" in value):
            for match in _ASSIGNMENT.finditer(value):
                secret = match.group(2)
                if not _trivial(secret):
                    found.append(
                        Finding(
                            f"a '{match.group(1)}=' assignment",
                            f"{match.group(1)}={mask(secret)}",
                        )
                    )
                    break
    if not found and named and not _trivial(value):
        found.append(Finding(f"a credential (the name {key!r} says so)", mask(value)))
    return found


def findings(key: str, value: str) -> tuple[Finding, ...]:
    """:func:`scan`, memoised, and free for what no detector can flag (short values under
    ordinary keys): a plan asks this of every value of every job."""
    if len(value) < _MIN_SCANNED and not _secret_name(key)[0]:
        return ()
    return _findings(key, value)


def flagged_keys(entries: Mapping[Any, Any]) -> list[str]:
    """The string keys of ``entries`` whose string value :func:`findings` flags, in order."""
    # One loop for a whole map: a plan asks this of every job's hyperparameters.
    return [
        k
        for k, v in entries.items()
        if isinstance(v, str)
        and isinstance(k, str)
        and (len(v) >= _MIN_SCANNED or _secret_name(k)[0])
        and _findings(k, v)
    ]


@functools.lru_cache(maxsize=4096)
def _findings(key: str, value: str) -> tuple[Finding, ...]:
    return tuple(scan(key, value))


def _mask_all(pattern: re.Pattern[str], text: str) -> str:
    return pattern.sub(lambda m: mask(m.group()), text)


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with credential-shaped runs and the ``known`` secrets masked.

    For free text about a request (an AWS error message, a log event, a problem line):
    the key-free detectors apply; ``known`` are values already judged secret (say, a
    job's Environment values), masked wherever they appear unless trivial ("fast").
    """
    for secret in sorted(set(known), key=len, reverse=True):
        if isinstance(secret, str) and not _trivial(secret) and secret in text:
            text = text.replace(secret, MASK)
    if len(text) < _MIN_SCANNED:
        return text
    if "AKIA" in text or "ASIA" in text:
        text = _mask_all(_ACCESS_KEY_ID, text)
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY_BLOCK.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)
    for needles, pattern, _ in _TOKENS:
        if any(n in text for n in needles):
            text = _mask_all(pattern, text)
    if len(text) >= 40 and ("/" in text or "+" in text):
        text = _SECRET_KEY.sub(
            lambda m: mask(m.group()) if _looks_random(m.group(), threshold=15) else m.group(),
            text,
        )
    if "=" in text or ":" in text:
        text = _ASSIGNMENT.sub(_mask_assignment, text)
    return text


def _mask_assignment(match: re.Match[str]) -> str:
    secret = match.group(2)
    if _trivial(secret) or "***" in secret:  # "***": masked already, by mask() or MASK
        return match.group()
    start, end = match.span(2)
    whole = match.group()
    offset = match.start()
    return whole[: start - offset] + mask(secret) + whole[end - offset :]
