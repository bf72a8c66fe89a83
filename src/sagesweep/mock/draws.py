"""Seeded draws that depend on a key, not on the order they are asked for.

The mock decides each job's duration, fate and metric noise from a hash of the seed
and the job's name, so two runs with one seed agree job by job whatever order (or
concurrency) the creates arrive in.
"""

from __future__ import annotations

import hashlib

__all__ = ["uniforms"]

_BYTES = 8
_SCALE = float(1 << (_BYTES * 8))


def uniforms(count: int, *key: object) -> tuple[float, ...]:
    """``count`` independent numbers in [0, 1) determined by ``key`` alone (count <= 8)."""
    if not 1 <= count <= 8:
        raise ValueError(f"count must be between 1 and 8, got {count}")
    text = "\x1f".join(str(part) for part in key)
    digest = hashlib.blake2b(text.encode(), digest_size=count * _BYTES).digest()
    return tuple(
        int.from_bytes(digest[i : i + _BYTES], "big") / _SCALE
        for i in range(0, len(digest), _BYTES)
    )
