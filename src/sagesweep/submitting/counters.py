"""What a submit run has done so far: plain integers that workers bump.

The engine writes them, the progress display and the summary read them.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from sagesweep.ledger import JobStatus

__all__ = ["Counters"]


@dataclass(slots=True)
class Counters:
    total: int = 0  #: jobs in the plan
    skipped: int = 0  #: settled according to the ledger (failed_earlier included)
    failed_earlier: int = 0  #: skipped, but failed in an earlier run (see --retry-failed)
    submitted: int = 0
    exists: int = 0
    failed: int = 0
    conflict: int = 0  #: the name was taken by a job with another request
    unknown: int = 0  #: may exist; the next run finds out by name
    calls: int = 0  #: AWS calls made (creates and describes)
    throttled: int = 0  #: calls answered with a throttling error
    retries: int = 0  #: transient retries
    reconciled: int = 0  #: ResourceInUse answered by a describe
    in_flight: int = 0
    started: float = field(default_factory=time.monotonic)

    def restart_clock(self) -> None:
        """Rates are measured from the first dispatch, not from start-up."""
        self.started = time.monotonic()

    def count(self, status: JobStatus) -> None:
        if status is JobStatus.SUBMITTED:
            self.submitted += 1
        elif status is JobStatus.EXISTS:
            self.exists += 1
        elif status is JobStatus.CONFLICT:
            self.conflict += 1
        elif status is JobStatus.UNKNOWN:
            self.unknown += 1
        else:
            self.failed += 1

    @property
    def done(self) -> int:
        return (
            self.skipped + self.submitted + self.exists + self.failed + self.conflict + self.unknown
        )

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def as_dict(self) -> dict[str, int]:
        data = asdict(self)
        data.pop("started")
        data.pop("in_flight")
        return {k: int(v) for k, v in data.items()}
