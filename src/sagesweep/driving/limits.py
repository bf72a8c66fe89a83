"""What a driven run may spend: its budget and the account's quotas, checked per job.

:class:`Limits` answers, for the next job, whether it may start now, must wait for a
running job to end, or can never start (the budget would not stretch to it even with
nothing running). The budget is :class:`~sagesweep.costs.budget.Meter`'s; the quota
caps are the account's quota of each instance type, less what the account's other
jobs hold (read with one account-wide ``Search`` per 100 InProgress jobs, at most every
:data:`USAGE_REFRESH` seconds).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sagesweep.costs.budget import Budget, Meter
from sagesweep.costs.prices import Prices
from sagesweep.operating.observe import JobState
from sagesweep.planning.planner import JobSpec
from sagesweep.planning.usage import Usage, usage_of

__all__ = ["USAGE_REFRESH", "Admission", "Limits", "SpendSettings"]

#: seconds between reads of what the account's other jobs hold (for the quota caps).
USAGE_REFRESH = 60.0


class Admission(enum.Enum):
    NOW = "now"
    WAIT = "wait"  #: once a running job has ended
    NEVER = "never"  #: not even with nothing running: the budget is spent


@dataclass(frozen=True, slots=True, kw_only=True)
class SpendSettings:
    budget: Budget | None = None
    prices: Prices = field(default_factory=Prices)
    #: Instance type -> the account's quota of it (instances at once).
    quotas: Mapping[str, int] = field(default_factory=dict)


class Limits:
    """See the module docstring."""

    def __init__(self, settings: SpendSettings, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self._clock = clock
        self.meter = None if settings.budget is None else Meter(settings.budget, settings.prices)
        self.others: dict[str, int] = {}  #: instances the account's other jobs hold, by type
        self.others_read_at: float | None = None
        self._held: dict[str, int] = {}  #: instances of this run's jobs, by type
        self._jobs: dict[str, tuple[str, int]] = {}  # name -> (type, count) held

    @property
    def reached(self) -> bool:
        return self.meter is not None and self.meter.reached

    def admits(self, job: JobSpec, busy: int) -> Admission:
        """Whether ``job`` may start, ``busy`` jobs of the run being running or handed over."""
        usage = usage_of(job.request)
        if self.meter is not None and not self.meter.allows(usage, self._clock()):
            return Admission.NEVER if busy == 0 or self.meter.reached else Admission.WAIT
        for instance_type, count in usage.options[:1]:
            quota = self.settings.quotas.get(instance_type)
            if quota is None:
                continue
            held = self._held.get(instance_type, 0)
            room = quota - self.others.get(instance_type, 0) - held
            # A job needing more than the whole quota still goes (alone): the service's
            # answer (waiting for capacity, then failing) says more than a silent wait.
            if count > room and held > 0:
                return Admission.WAIT
        return Admission.NOW

    def reserve(self, job: JobSpec) -> None:
        """``job`` is handed over to be created: it holds its place from now on."""
        self._hold(job.name, usage_of(job.request), self._clock())

    def release(self, name: str) -> None:
        """A job handed over was not created (refused, skipped): its place is free."""
        self._drop(name)
        if self.meter is not None:
            self.meter.running.pop(name, None)

    def found_running(self, name: str, state: JobState) -> None:
        """A job of an earlier run is still running: it holds its place, and accrues."""
        since = self._clock()
        if state.created is not None:
            since -= max(0.0, time.time() - state.created)
        self._hold(name, _usage(state), since)

    def ended(self, name: str, state: JobState) -> None:
        self._drop(name)
        if self.meter is not None:
            self.meter.ended(
                name, state.instance_type, state.instance_count, state.billable_seconds or 0
            )

    def _hold(self, name: str, usage: Usage, since: float) -> None:
        if name not in self._jobs:
            instance_type, count = usage.options[0]
            self._jobs[name] = (instance_type, count)
            self._held[instance_type] = self._held.get(instance_type, 0) + count
        if self.meter is not None and name not in self.meter.running:
            self.meter.started(name, usage, since)

    def _drop(self, name: str) -> None:
        held = self._jobs.pop(name, None)
        if held is not None:
            self._held[held[0]] -= held[1]

    def why_reached(self, job: JobSpec | None = None) -> str:
        """What the run says when the budget stops it (and, for ``job``, what it would
        have cost: the job that nothing running could make room for)."""
        meter = self.meter
        if meter is None:
            return "budget reached"
        spent = meter.budget.show(meter.spent + meter.accrued(self._clock()))
        text = f"budget reached: {spent} spent or accruing of {meter.budget}"
        if job is not None:
            basis = (
                "the mean billable time so far"
                if meter.seen_seconds
                else "its MaxRuntimeInSeconds, as no job has ended yet"
            )
            cost = meter.budget.show(meter.expected(usage_of(job.request)))
            text += f"; the next job would cost {cost} ({basis})"
        return text

    def budget_record(self) -> dict[str, object]:
        """The ledger's record of the budget reached."""
        meter = self.meter
        if meter is None:
            return {"event": "budget"}
        return {
            "event": "budget",
            "unit": meter.budget.unit,
            "budget": meter.budget.amount,
            "spent": round(meter.spent, 6),
            "accrued": round(meter.accrued(self._clock()), 6),
        }

    def check(self) -> bool:
        """At a poll: whether the budget is reached (spent plus accrued)."""
        return self.meter is not None and self.meter.check(self._clock())

    def wants_usage(self) -> bool:
        """Whether the other jobs' usage is due to be read again."""
        if not self.settings.quotas:
            return False
        at = self.others_read_at
        return at is None or self._clock() - at >= USAGE_REFRESH

    def read_usage(self, usage: Mapping[str, int]) -> None:
        self.others = dict(usage)
        self.others_read_at = self._clock()


def _usage(state: JobState) -> Usage:
    runtime = state.max_runtime or 86400
    return Usage(((state.instance_type, state.instance_count),), runtime, False)
