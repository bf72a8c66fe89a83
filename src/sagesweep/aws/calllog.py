"""A record of every AWS call a run makes, for a load test's report: each operation's
latencies in an HDR histogram, what each second's calls came to, how many were in
flight and the rate the limiter allowed.

Recording is a few dictionary updates and one histogram insert per call (about a
microsecond): cheap beside a call's own client-side cost, so ``--report`` keeps the
hot path as fast (``make bench`` measures the ceiling with and without it).

Latencies are kept in microseconds, from 1 µs to :data:`HIGHEST_US`, at
:data:`DIGITS` significant digits per operation (values above the range count as the
highest); each second's latencies of all operations together go in a coarser histogram
(:data:`SECOND_DIGITS`) for the timeline's percentiles.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sagesweep.aws.outcomes import outcome_of

__all__ = ["DIGITS", "HIGHEST_US", "SECOND_DIGITS", "CallLog", "Second", "operation_of"]

#: The longest latency a histogram holds: longer than any read timeout.
HIGHEST_US = 600_000_000
#: Significant digits of an operation's histogram: its percentiles are exact to 0.1 %.
DIGITS = 3
#: Significant digits of a second's histogram (1 %): a long run keeps one per second.
SECOND_DIGITS = 2

_SHORT = {
    "create_training_job": "create",
    "describe_training_job": "describe",
    "search": "search",
    "stop_training_job": "stop",
}


def operation_of(method: Any) -> str:
    """A client method's operation as a report names it (``create``, ``describe``,
    ``search``, ``stop``; any other by its botocore name, e.g. ``get_metric_data``)."""
    name = str(getattr(method, "__name__", "call"))
    return _SHORT.get(name, name)


def _histogram(digits: int) -> Any:
    from hdrh.histogram import HdrHistogram

    return HdrHistogram(1, HIGHEST_US, digits)


@dataclass(slots=True)
class Second:
    """What one second of the run saw."""

    outcomes: dict[str, int] = field(default_factory=dict)  #: outcome -> calls that ended
    in_flight: int = 0  #: the most calls in flight at once
    rate: float = 0.0  #: the limiter's allowed rate at the last call that ended
    latency: Any = None  #: an HdrHistogram of the calls that ended this second


class CallLog:
    """Every call of a run, as :mod:`sagesweep.aws.calllog` describes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.started = clock()
        self.started_wall = time.time()
        self.histograms: dict[str, Any] = {}  #: operation -> HdrHistogram (µs)
        self.outcomes: dict[str, dict[str, int]] = {}  #: operation -> outcome -> calls
        self.seconds: dict[int, Second] = {}  #: seconds since the start -> what it saw
        self.retries = 0
        self.in_flight = 0
        self.stage_marks: list[tuple[float, float]] = []  #: (seconds since start, rate)
        self._closed: float | None = None

    def now(self) -> float:
        """Seconds since the log started (until :meth:`close`)."""
        end = self._closed if self._closed is not None else self._clock()
        return end - self.started

    def close(self) -> None:
        """The run is over: its length is fixed, whatever is read after."""
        if self._closed is None:
            self._closed = self._clock()

    def _second(self, at: float) -> Second:
        key = int(at)
        second = self.seconds.get(key)
        if second is None:
            second = self.seconds[key] = Second(latency=_histogram(SECOND_DIGITS))
        return second

    def sent(self) -> float:
        """A call leaves now; returns what :meth:`ended` is given back."""
        self.in_flight += 1
        at = self._clock()
        second = self._second(at - self.started)
        second.in_flight = max(second.in_flight, self.in_flight)
        return at

    def ended(
        self, method: Any, sent: float, exc: BaseException | None, rate: float | None
    ) -> None:
        """The call sent at ``sent`` ended (``exc``: how it failed; None: it succeeded)."""
        self.in_flight -= 1
        at = self._clock()
        micros = min(HIGHEST_US, max(1, round((at - sent) * 1_000_000)))
        operation = operation_of(method)
        histogram = self.histograms.get(operation)
        if histogram is None:
            histogram = self.histograms[operation] = _histogram(DIGITS)
        histogram.record_value(micros)
        outcome = outcome_of(exc)
        counts = self.outcomes.setdefault(operation, {})
        counts[outcome] = counts.get(outcome, 0) + 1
        second = self._second(at - self.started)
        second.outcomes[outcome] = second.outcomes.get(outcome, 0) + 1
        second.latency.record_value(micros)
        if rate is not None:
            second.rate = rate

    def retried(self) -> None:
        """A failed call is about to be tried again (after a back-off)."""
        self.retries += 1

    def stage(self, rate: float) -> None:
        """The rate ceiling moved to ``rate`` now (a ``--rate-stages`` boundary)."""
        self.stage_marks.append((self.now(), rate))
