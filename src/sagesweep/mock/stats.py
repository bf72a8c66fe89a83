"""Exact counters of what the mock did: the evidence for exactly-once claims.

Counters count since the process started (or the last reset), not over the life of
a state file.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields

__all__ = ["MockStats", "StatsCounter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MockStats:
    """A snapshot of the counters; the JSON of ``GET /_mock/stats``."""

    create_calls: int = 0  #: CreateTrainingJob requests received, whatever became of them
    created: int = 0  #: jobs that now exist because of a create (dropped ones included)
    duplicates_rejected: int = 0  #: creates answered ResourceInUse
    throttled: int = 0  #: control-plane calls answered ThrottlingException
    errors_injected: int = 0  #: control-plane calls answered InternalFailure
    dropped_after_apply: int = 0  #: creates that took effect but got no response
    quota_rejected: int = 0  #: creates answered ResourceLimitExceeded
    warm_starts: int = 0  #: jobs created onto an Available warm pool
    in_progress: int = 0  #: jobs InProgress now
    peak_in_progress: int = 0  #: most jobs InProgress at once since start or reset
    describe_calls: int = 0  #: Describe* requests received
    list_calls: int = 0  #: List* requests received (ListTrainingJobs, ListTags, ...)
    search_calls: int = 0  #: Search requests received
    stop_calls: int = 0  #: StopTrainingJob requests received
    delete_calls: int = 0  #: DeleteTrainingJob requests received
    save_failures: int = 0  #: changes refused because the state file could not be saved

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


_FIELDS = tuple(f.name for f in fields(MockStats))


class StatsCounter:
    """Thread-safe counters; every increment is under one lock, so none is lost."""

    __slots__ = ("_counts", "_lock")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Plain ints, not a new frozen MockStats per increment: two counters move on
        # every call, snapshots are rare.
        self._counts = dict.fromkeys(_FIELDS, 0)

    def add(self, name: str, amount: int = 1) -> None:
        if name not in self._counts:
            raise KeyError(name)
        with self._lock:
            self._counts[name] += amount

    def snapshot(self) -> MockStats:
        with self._lock:
            return MockStats(**self._counts)

    def clear(self) -> None:
        with self._lock:
            self._counts = dict.fromkeys(_FIELDS, 0)
