"""Endpoint outages: when no connection can be made, wait for the endpoint, not per job.

A connection that cannot be made says nothing about the job being sent: it is the
endpoint's state. Retrying each job on its own would burn every job's retry budget in
a few seconds of outage and record the whole queue as failed. Instead the first such
failure marks the endpoint *down*: calls wait at :meth:`OutageGate.admit`, and one call
at a time goes through as a probe, at growing intervals. The first call that reaches the
service (whatever it answers) marks the endpoint up again and everyone proceeds. Only
when the endpoint has been down for ``max_wait`` seconds do callers give up.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio

from sagesweep.logs import get_logger

__all__ = ["DEFAULT_OUTAGE_WAIT", "OutageGate"]

log = get_logger("sagesweep.engine")

#: seconds an endpoint may be unreachable before the jobs waiting on it are failed.
DEFAULT_OUTAGE_WAIT = 300.0


class OutageGate:
    """Holds calls while the endpoint cannot be reached; see the module docstring."""

    def __init__(
        self,
        *,
        max_wait: float = DEFAULT_OUTAGE_WAIT,
        first_probe: float = 1.0,
        factor: float = 2.0,
        max_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_wait = max_wait
        self._first = first_probe
        self._factor = factor
        self._max_interval = max_interval
        self._clock = clock
        self._down_since: float | None = None
        self._interval = first_probe
        self._next_probe = 0.0
        self._probing = False
        self._changed = anyio.Event()

    @property
    def down(self) -> bool:
        return self._down_since is not None

    @property
    def exhausted(self) -> bool:
        """The endpoint has been unreachable for longer than ``max_wait``."""
        since = self._down_since
        return since is not None and self._clock() - since >= self.max_wait

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()

    async def admit(self) -> bool:
        """Wait until a call may go out; False once the outage outlasted ``max_wait``."""
        while self._down_since is not None:
            if self.exhausted:
                return False
            now = self._clock()
            if not self._probing and now >= self._next_probe:
                self._probing = True  # this caller is the probe
                return True
            deadline = self._down_since + self.max_wait
            wake = deadline if self._probing else min(deadline, self._next_probe)
            changed = self._changed
            with anyio.move_on_after(max(0.0, wake - now)):
                await changed.wait()
        return True

    def unreachable(self, detail: str) -> None:
        """A call could not connect: the endpoint is (still) down."""
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            self._interval = self._first
            self._next_probe = now + self._interval
            log.warning("engine.endpoint_down", detail=detail, max_wait=self.max_wait)
            self._notify()
        elif self._probing:
            self._probing = False
            self._interval = min(self._max_interval, self._interval * self._factor)
            self._next_probe = now + self._interval
            log.info("engine.endpoint_probe_failed", next_probe_in=round(self._interval, 3))
            self._notify()

    def reached(self) -> None:
        """A call reached the service: the endpoint is up."""
        if self._down_since is not None:
            log.warning("engine.endpoint_up", down_for=round(self._clock() - self._down_since, 3))
            self._down_since = None
            self._probing = False
            self._notify()
