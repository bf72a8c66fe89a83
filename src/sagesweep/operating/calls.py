"""Read and stop calls for a launched sweep: paced, throttle-proof, bounded.

Every call waits its turn at the shared adaptive limiter, as submitting does, so a
`status` of a big sweep slows down under throttling instead of failing. Reads are
idempotent: an uncertain or unsent read is tried again a few times.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from sagesweep.aws.calllog import CallLog
from sagesweep.aws.outcomes import Classified, ErrorKind, classify
from sagesweep.errors import SagesweepError
from sagesweep.logs import get_logger
from sagesweep.submitting.engine import Limiter
from sagesweep.submitting.pacing import Backoff

__all__ = ["AwsCallError", "CallCounts", "PacedCalls"]

log = get_logger("sagesweep.operating")

#: Failed tries (not throttles) of one read before it is given up.
MAX_RETRIES = 5
MAX_THROTTLES = 1000


class AwsCallError(SagesweepError):
    """An AWS call failed for good; carries what the service said."""

    exit_code = 1

    def __init__(self, operation: str, error: Classified) -> None:
        self.operation = operation
        self.error = error
        super().__init__(f"{operation}: {error.code}: {error.message}")


class CallCounts:
    """How many calls went out, per operation; what the cost claims are checked with."""

    def __init__(self) -> None:
        self.by_operation: dict[str, int] = {}
        self.throttled = 0

    @property
    def total(self) -> int:
        return sum(self.by_operation.values())

    def add(self, operation: str) -> None:
        self.by_operation[operation] = self.by_operation.get(operation, 0) + 1


class PacedCalls:
    """Calls one client method at a time under the shared limiter; see the module doc."""

    def __init__(
        self,
        limiter: Limiter,
        *,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        call_log: CallLog | None = None,
    ) -> None:
        self.limiter = limiter
        self.call_log = call_log  #: every call's latency and outcome (``--report``)
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.counts = CallCounts()

    async def __call__(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """The call's answer; raises :class:`AwsCallError` when it cannot succeed."""
        operation = getattr(method, "__name__", "call")
        failures = throttles = 0
        while True:
            sent_at = await self.limiter.acquire()
            self.counts.add(operation)
            calls = self.call_log
            sent = calls.sent() if calls is not None else 0.0
            try:
                response = await method(**kwargs)
            except Exception as exc:  # every failure is sorted in one place
                if calls is not None:
                    calls.ended(method, sent, exc, None)
                error = classify(exc)
            else:
                if calls is not None:
                    calls.ended(method, sent, None, None)
                self.limiter.on_success()
                return response
            if error.kind is ErrorKind.THROTTLED and throttles < MAX_THROTTLES:
                throttles += 1
                self.counts.throttled += 1
                self.limiter.on_throttle(sent_at=sent_at)
                continue
            if error.kind.retryable and failures < MAX_RETRIES:
                delay = self.backoff.delay(failures, self.rng)
                failures += 1
                if calls is not None:
                    calls.retried()
                log.debug("operating.retry", operation=operation, code=error.code, delay=delay)
                await anyio.sleep(delay)
                continue
            raise AwsCallError(operation, error)
