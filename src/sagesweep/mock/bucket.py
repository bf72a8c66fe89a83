"""The token buckets that throttle the mock's control plane, as AWS's do.

SageMaker throttles each API on its own; the mock has a shared bucket for every call
and, when asked, a bucket of their own for reads (Describe*, List*, Search) and for
stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["READ", "STOP", "Buckets", "Clock", "TokenBucket", "family"]

Clock = Callable[[], float]


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; starts full.

    Thread-safe. The clock is injectable so the arithmetic can be tested without
    sleeping.
    """

    __slots__ = ("_burst", "_clock", "_last", "_lock", "_rate", "_tokens")

    def __init__(self, rate: float, burst: int, clock: Clock = time.monotonic) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens = self._burst
        self._last = clock()

    def try_acquire(self) -> bool:
        """Take one token if there is one; never waits."""
        with self._lock:
            now = self._clock()
            elapsed = max(0.0, now - self._last)
            self._last = now
            self._tokens = min(self._burst, self._tokens + elapsed * self._rate)
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def refill(self) -> None:
        """Back to a full bucket (used by reset)."""
        with self._lock:
            self._tokens = self._burst
            self._last = self._clock()


#: Operation families that can have a bucket of their own.
READ = "read"
STOP = "stop"
_READ_PREFIXES = ("Describe", "List", "Search")


def family(action: str) -> str | None:
    """The family of a SageMaker action: ``read``, ``stop``, or None for the shared bucket."""
    if action.startswith(_READ_PREFIXES):
        return READ
    if action.startswith("Stop"):
        return STOP
    return None


class Buckets:
    """The token buckets of the control plane: one shared, and one per family given."""

    __slots__ = ("_families", "_shared")

    def __init__(
        self, shared: TokenBucket | None, families: dict[str, TokenBucket] | None = None
    ) -> None:
        self._shared = shared
        self._families = families or {}

    def try_acquire(self, action: str) -> bool:
        """Take a token from the bucket this action draws on; True if unthrottled."""
        name = family(action)
        bucket = self._families.get(name) if name is not None else None
        if bucket is None:
            bucket = self._shared
        return bucket is None or bucket.try_acquire()

    def refill(self) -> None:
        for bucket in (self._shared, *self._families.values()):
            if bucket is not None:
                bucket.refill()
