"""Content digests and job names: the job name is the idempotency key.

``digest`` = first 10 characters of lowercase, unpadded base32 of sha256 over the
canonical JSON (sorted keys, no whitespace) of the request without ``TrainingJobName``
and without sagesweep's own tags. ``name`` = ``{sweep}-{digest}`` for attempt 0 and
``{sweep}-{digest}-r{n}`` for attempt ``n`` >= 1 (a resubmission).
"""

from __future__ import annotations

import hashlib
import json
import re
from array import array
from collections.abc import Mapping
from typing import Any, Literal

__all__ = [
    "ATTEMPT_TAG",
    "DIGEST_LENGTH",
    "DIGEST_TAG",
    "SWEEP_TAG",
    "DigestIndex",
    "attempt_of",
    "canonical_json",
    "digest_of",
    "identity_json",
    "job_name",
]

DIGEST_LENGTH = 10
SWEEP_TAG = "sagesweep:sweep"
DIGEST_TAG = "sagesweep:digest"
#: Carried by resubmissions: which attempt (1, 2, ...) of the job this is.
ATTEMPT_TAG = "sagesweep:attempt"
_OWN_TAG_KEYS = frozenset({SWEEP_TAG, DIGEST_TAG, ATTEMPT_TAG})

_dumps = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode


def canonical_json(obj: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, shortest round-trip floats."""
    return _dumps(obj)


def _is_own_tag(tag: Any) -> bool:
    # A malformed tag (a list as its Key, say) is the validator's to report, not a crash.
    return (
        isinstance(tag, Mapping)
        and isinstance(key := tag.get("Key"), str)
        and (key in _OWN_TAG_KEYS)
    )


def _strip_owned(request: Mapping[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in request.items() if k != "TrainingJobName"}
    tags = body.get("Tags")
    if isinstance(tags, list):
        kept = [t for t in tags if not _is_own_tag(t)]
        if kept:
            body["Tags"] = kept
        else:
            del body["Tags"]
    return body


def identity_json(request: Mapping[str, Any]) -> str:
    """The text a request's digest is the hash of: canonical JSON, own members left out."""
    return canonical_json(_strip_owned(request))


def digest_bytes(request: Mapping[str, Any]) -> bytes:
    """The full sha256 of the request's identity."""
    return hashlib.sha256(identity_json(request).encode()).digest()


_B32 = "abcdefghijklmnopqrstuvwxyz234567"


# Two base32 characters per 10 bits: five lookups make a digest.
_B32_PAIRS = tuple(a + b for a in _B32 for b in _B32)


def digest_text(full: bytes) -> str:
    """First 10 characters of lowercase base32 of ``full`` (its first 50 bits)."""
    bits = int.from_bytes(full[:8], "big") >> 14
    pairs = _B32_PAIRS
    return (
        pairs[bits >> 40]
        + pairs[(bits >> 30) & 1023]
        + pairs[(bits >> 20) & 1023]
        + pairs[(bits >> 10) & 1023]
        + pairs[bits & 1023]
    )


def digest_of(request: Mapping[str, Any]) -> str:
    """The 10-character content digest of a CreateTrainingJob request."""
    return digest_text(digest_bytes(request))


def job_name(sweep: str, digest: str, attempt: int = 0) -> str:
    """The job's name: ``{sweep}-{digest}``, then ``-r{attempt}`` for a resubmission."""
    if attempt < 0:
        raise ValueError(f"attempt must be >= 0, got {attempt}")
    suffix = f"-r{attempt}" if attempt else ""
    return f"{sweep}-{digest}{suffix}"


Seen = Literal["new", "duplicate", "collision"]


class DigestIndex:
    """Which digests a plan has produced, in ~32 bytes a job.

    A set of strings costs ~150 bytes a job, too much for a million-job plan; this
    open-addressing table of 64-bit words keeps, per digest, 64 more bits of the full
    hash, which is what tells an identical request (dropped) from a true collision of
    two different requests on the same digest (an error).
    """

    __slots__ = ("_check", "_keys", "_mask", "_used")

    def __init__(self, capacity: int = 1024) -> None:
        size = 1
        while size < capacity * 2:
            size *= 2
        self._keys = array("Q", bytes(8 * size))
        self._check = array("Q", bytes(8 * size))
        self._mask = size - 1
        self._used = 0

    def __len__(self) -> int:
        return self._used

    def add(self, full: bytes) -> Seen:
        """Record a full sha256; say whether it is new, a duplicate or a collision."""
        # Digest = first 50 bits; +1 keeps 0 free to mark an empty slot.
        key = (int.from_bytes(full[:8], "big") >> 14) + 1
        check = int.from_bytes(full[8:16], "big")
        keys, mask = self._keys, self._mask
        slot = key & mask
        while True:
            found = keys[slot]
            if found == 0:
                keys[slot] = key
                self._check[slot] = check
                self._used += 1
                if self._used * 2 > mask:
                    self._grow()
                return "new"
            if found == key:
                return "duplicate" if self._check[slot] == check else "collision"
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        old_keys, old_check = self._keys, self._check
        size = (self._mask + 1) * 2
        keys = self._keys = array("Q", bytes(8 * size))
        checks = self._check = array("Q", bytes(8 * size))
        mask = self._mask = size - 1
        for i, key in enumerate(old_keys):
            if key:
                slot = key & mask
                while keys[slot]:
                    slot = (slot + 1) & mask
                keys[slot] = key
                checks[slot] = old_check[i]


_ATTEMPT_NAME = re.compile(r"(?P<base>.+)-r(?P<n>[1-9][0-9]*)")


def attempt_of(name: str, bases: set[str] | frozenset[str]) -> tuple[str, int] | None:
    """(base, n) when ``name`` is attempt n >= 1 of one of ``bases``; else None."""
    match = _ATTEMPT_NAME.fullmatch(name)
    if match is None or match["base"] not in bases:
        return None
    return match["base"], int(match["n"])
