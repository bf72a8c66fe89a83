"""The token bucket that throttles the mock's control plane, as AWS's does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["Clock", "TokenBucket"]

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
