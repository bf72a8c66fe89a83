"""Pacing: the shared rate limiter every AWS call passes, its throttle control, and backoff.

Three small pieces, all about time and nothing else:

* :class:`AdaptiveRate` -- a leaky-bucket limiter (aiolimiter's ``AsyncLimiter``)
  whose rate is steered by throttling responses: cut on ``ThrottlingException``,
  recover on success, never above the configured ceiling nor below a floor.
* :class:`Backoff` -- capped exponential backoff with full jitter for transient errors.
* :class:`CapacityProbe` -- growing intervals between probes of an instance type
  whose quota is exhausted (``ResourceLimitExceeded``).

Every clock is injectable so tests run on simulated time. ``acquire()`` waits on the
event loop's clock (aiolimiter reads ``loop.time()``), so the limiter is asyncio-only.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

from sagesweep.aws.target import DEFAULT_RATE, MIN_RATE
from sagesweep.logs import get_logger

__all__ = [
    "CLOCK_STEP",
    "DEFAULT_BETA",
    "DEFAULT_RECOVERY",
    "DEFAULT_THROTTLE_WINDOW",
    "FINE_RATE",
    "AdaptiveRate",
    "AdjustableLimiter",
    "Backoff",
    "CapacityProbe",
]

#: Multiplicative decrease: a throttle leaves this fraction of the rate (botocore: 0.7).
DEFAULT_BETA = 0.7
#: seconds: CUBIC's K, how long the rate takes to climb back to where it was throttled.
DEFAULT_RECOVERY = 5.0
#: seconds: throttles arriving this soon after a cut are echoes of the same overload.
DEFAULT_THROTTLE_WINDOW = 1.0
#: seconds: a little more than the event loop clock's step (uvloop's is 1 ms).
CLOCK_STEP = 0.002
#: calls/s from which the limiter's bucket makes up for the clock's steps.
FINE_RATE = 20.0

_log = get_logger("sagesweep.submitting.pacing")


class AdjustableLimiter(AsyncLimiter):
    """An ``AsyncLimiter`` whose drain rate can change while tasks wait on it.

    ``AsyncLimiter`` computes its private drain rate (``_rate_per_sec``) once in
    ``__init__`` from ``max_rate / time_period``; assigning ``max_rate`` later only
    resizes the bucket. Changing the rate therefore means: drain the level accrued so
    far at the *old* rate, swap the drain rate, and reschedule the wake-up timer that
    was computed from the old rate. A test pins these internals so an aiolimiter
    upgrade that renames them fails loudly instead of silently ignoring cuts.
    """

    def set_rate(self, rate: float, capacity: float | None = None) -> None:
        """Drain at ``rate`` from now on; ``capacity`` resizes the bucket too."""
        self._leak()
        if capacity is not None:
            self.max_rate = capacity
        self.time_period = self.max_rate / rate
        self._rate_per_sec = rate
        self._wake_next()


class AdaptiveRate:
    """Shared limiter every AWS call passes, steered by throttling responses.

    Control law: CUBIC, as in botocore's adaptive retry mode (``retries/adaptive.py``
    and ``throttling.py``). On a throttle the rate drops to ``beta`` times the rate in
    force (``w_max``); afterwards the allowed rate follows
    ``c * (t - K)**3 + w_max``, ``t`` seconds after the cut, which starts at
    ``beta * w_max``, flattens out as it regains ``w_max`` at ``t = K``, then probes
    above it. We pick CUBIC over AIMD because its recovery is a function of *time*,
    not of how many calls succeeded: at the few calls/s of the SageMaker control plane
    AIMD's additive step per success either crawls back for minutes or, with a large
    step, overshoots; CUBIC returns quickly to just below the last rate that was
    throttled and lingers there, where the limit most likely is.

    Differences from botocore, and why:

    * ``K`` is fixed (``recovery`` seconds) and ``c`` follows from it, where botocore
      fixes ``c = 0.4`` calls/s per s**3. With an absolute ``c`` the recovery time
      scales with the rate: at 2 calls/s botocore is back at ``w_max`` in about 1.1 s,
      faster than a throttling token bucket and the call latency report back, and in
      our simulation it sends ~1.3x what the service admits (5 s recovery: ~1.1x;
      at 40 calls/s both are within a few percent).
    * The limiter is always on (botocore enables it at the first throttle): users ask
      for a rate, we never exceed it; recovery is clamped to that ceiling and every
      cut to ``min_rate``.
    * ``w_max`` is the allowed rate, not a measured send rate: the engine's
      concurrency is sized to keep the limiter busy, so the two agree.
    * Echo suppression: every call in flight when the service starts throttling comes
      back throttled, and those N answers are one signal, not N cuts. Given
      ``sent_at`` (the time ``acquire()`` returned) a throttle of a call sent before
      the last cut is ignored; without it, throttles within ``throttle_window``
      seconds of the last cut are. ``sent_at`` is exact and recommended: the window
      must exceed the call latency yet stay shorter than the recovery.

    ``on_throttle``/``on_success`` are plain methods so a pure simulation can drive
    the control law with a fake ``clock``; ``acquire`` waits on the event loop's clock.
    """

    def __init__(
        self,
        *,
        rate: float = DEFAULT_RATE,
        burst: float | None = None,
        min_rate: float = MIN_RATE,
        clock: Callable[[], float] = time.monotonic,
        beta: float = DEFAULT_BETA,
        recovery: float = DEFAULT_RECOVERY,
        throttle_window: float = DEFAULT_THROTTLE_WINDOW,
    ) -> None:
        if not rate > 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        if not 0 < min_rate <= rate:
            raise ValueError(f"min_rate must be in (0, rate={rate}], got {min_rate}")
        if not 0 < beta < 1:
            raise ValueError(f"beta must be in (0, 1), got {beta}")
        if not recovery > 0:
            raise ValueError(f"recovery must be > 0, got {recovery}")
        if burst is not None and burst < 1:
            raise ValueError(f"burst must be >= 1, got {burst}")
        self._burst = burst
        capacity = self._capacity(rate)
        self._ceiling = rate
        self._min_rate = min_rate
        self._clock = clock
        self._beta = beta
        self._recovery = recovery
        self._c = 0.0
        self._window = throttle_window
        self._rate = rate
        self._w_max = rate
        self._last_cut: float | None = None
        self._limiter = AdjustableLimiter(capacity, capacity / rate)
        self._limiter_rate = rate

    @property
    def rate(self) -> float:
        """The rate currently allowed, in calls/s."""
        return self._rate

    @property
    def ceiling(self) -> float:
        """The configured rate: recovery never goes above it."""
        return self._ceiling

    @property
    def min_rate(self) -> float:
        return self._min_rate

    def set_ceiling(self, rate: float) -> None:
        """Move the configured rate (a ``--rate-stages`` step). A limiter at its old
        ceiling goes to the new one; one recovering from a throttle keeps recovering,
        clamped to the new ceiling, so a step up never undoes a back-off."""
        if not rate > 0:
            raise ValueError(f"rate must be > 0, got {rate}")
        at_ceiling = self._rate >= self._ceiling
        self._ceiling = rate
        self._min_rate = min(self._min_rate, rate)
        self._w_max = min(self._w_max, rate)
        self._set(rate if at_ceiling else min(self._rate, rate))

    @property
    def burst(self) -> float:
        return float(self._limiter.max_rate)

    async def acquire(self) -> float:
        """Wait for a slot at the current rate; returns the clock time of admission.

        Pass that time back as ``on_throttle(sent_at=...)`` so throttles of calls
        sent before the last cut are recognised as echoes of it.
        """
        self._sync_limiter()
        await self._limiter.acquire()
        return self._clock()

    def on_throttle(self, *, sent_at: float | None = None) -> None:
        """A call came back throttled: cut the rate, unless this is an echo of the last cut.

        With ``sent_at`` (what ``acquire()`` returned for the call) a throttle is an
        echo if the call was sent before the last cut, at the old rate. Without it, any
        throttle within ``throttle_window`` seconds of the last cut counts as an echo.
        """
        now = self._clock()
        if self._last_cut is not None:
            if sent_at is not None:
                if sent_at < self._last_cut:
                    return
            elif now - self._last_cut < self._window:
                return
        old = self._rate
        self._w_max = old
        self._c = old * (1 - self._beta) / self._recovery**3
        self._last_cut = now
        self._set(max(self._min_rate, old * self._beta))
        _log.info(
            "pacing.rate_cut",
            old_rate=round(old, 4),
            new_rate=round(self._rate, 4),
            ceiling=self._ceiling,
        )

    def on_success(self) -> None:
        """A call went through (any answer but a throttle): let the rate recover."""
        if self._last_cut is None:
            return
        t = self._clock() - self._last_cut
        cubic = self._c * (t - self._recovery) ** 3 + self._w_max
        self._set(min(self._ceiling, max(self._min_rate, cubic)))

    def _capacity(self, rate: float) -> float:
        """The bucket's size at ``rate``: one call, plus a clock step's worth when that counts.

        A bucket of one call spaces calls evenly: bursts are what earn throttles. But the
        event loop's clock and timers move in steps (a millisecond under uvloop), so a
        wait for the next call ends up to a step late, and a bucket of exactly one never
        makes that time up: at 300 calls/s it admitted 250, at 5,000 about 1,000. From
        :data:`FINE_RATE` up the bucket holds one call plus a step's worth at the rate,
        which keeps the average exact; below it a step is a small part of the spacing.
        """
        if self._burst is not None:
            return self._burst
        if rate < FINE_RATE:
            return 1.0
        return 1.0 + rate * CLOCK_STEP

    def _set(self, rate: float) -> None:
        self._rate = rate
        self._sync_limiter()

    def _sync_limiter(self) -> None:
        if math.isclose(self._limiter_rate, self._rate, rel_tol=1e-9):
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            # No loop (a pure simulation): the next acquire() applies the rate.
            return
        self._limiter.set_rate(self._rate, self._capacity(self._rate))
        self._limiter_rate = self._rate


@dataclass(frozen=True, slots=True, kw_only=True)
class Backoff:
    """Capped exponential backoff with full jitter (AWS architecture blog's advice).

    Full jitter spreads retries of many workers that failed together, so they do not
    come back together.
    """

    base: float = 0.5
    cap: float = 20.0

    def ceiling(self, attempt: int) -> float:
        """The largest delay ``delay(attempt)`` can return."""
        if attempt < 0:
            raise ValueError(f"attempt must be >= 0, got {attempt}")
        # Past 2**64 the product only overflows floats; the cap won long before.
        if attempt >= 64:
            return self.cap
        return min(self.cap, self.base * 2.0**attempt)

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based)."""
        return rng.uniform(0.0, self.ceiling(attempt))


class CapacityProbe:
    """Growing intervals between probes of an instance type held on a quota.

    While ``ResourceLimitExceeded`` says an instance type is at its quota, the engine
    holds that type and lets one job through every ``next_interval()`` seconds to see
    whether capacity freed up. Each hold gets a new probe, so once capacity is back the
    next hold starts from ``first`` again; the holder keeps the clock.
    """

    def __init__(self, *, first: float = 5.0, factor: float = 1.5, cap: float = 60.0) -> None:
        if not 0 < first <= cap:
            raise ValueError(f"need 0 < first <= cap, got first={first} cap={cap}")
        if factor < 1:
            raise ValueError(f"factor must be >= 1, got {factor}")
        self._cap = cap
        self._factor = factor
        self._next = first

    def next_interval(self) -> float:
        """The interval until the next probe; each call grows the following one."""
        interval = self._next
        self._next = min(self._cap, self._next * self._factor)
        return interval
