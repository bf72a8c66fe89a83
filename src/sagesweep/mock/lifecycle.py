"""A job's history as SageMaker reports it, computed from absolute timestamps.

A job is its creation time, its :class:`~sagesweep.mock.fate.Fate` and, if it was
stopped, when. Everything a Describe shows -- status, secondary status, transitions,
start and end times, billable seconds -- follows from those and the current time, so
a job moves on while no mock process runs at all.

A run that nobody stops spends its ``duration`` as SageMaker's secondary statuses do,
in these shares: Starting 15 %, Downloading 10 %, Training 65 %, Uploading 10 %, then
Completed. With a start phase (``--start-seconds``, or a warm start onto a pool),
Starting lasts that long instead and the duration is spent in the other phases, their
shares kept. A failing job ends ``Failed``: a CapacityError part-way through Starting
(no instance ever ran, nothing is billed), any other failure part-way through Training.
docs/mock-conformance.md has the table, the billing rule and the status messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sagesweep.mock.fate import Fate, failure_kind

__all__ = [
    "COMPLETED",
    "FAILED",
    "HOLDS_INSTANCES",
    "IN_PROGRESS",
    "STOPPED",
    "STOPPING",
    "TERMINAL",
    "Billing",
    "Step",
    "billing",
    "history",
    "natural_end",
    "primary_status",
    "to_ms",
    "training_window",
    "visible",
]

IN_PROGRESS = "InProgress"
COMPLETED = "Completed"
FAILED = "Failed"
STOPPING = "Stopping"
STOPPED = "Stopped"
TERMINAL = frozenset({COMPLETED, FAILED, STOPPED})
#: Statuses whose instances are still allocated, so they count against a quota.
HOLDS_INSTANCES = frozenset({IN_PROGRESS, STOPPING})

#: (secondary status, share of the duration before it starts, StatusMessage).
_PHASES = (
    ("Starting", 0.0, "Preparing the instances for training"),
    ("Downloading", 0.15, "Downloading input data"),
    ("Training", 0.25, "Training image download completed. Training in progress."),
    ("Uploading", 0.90, "Uploading generated training model"),
)
_TRAINING_SHARE = 0.90 - 0.25
_STARTING_SHARE = 0.15
_END_MESSAGES = {
    COMPLETED: "Training job completed",
    FAILED: "Training job failed",
    STOPPING: "Stopping the training job",
    STOPPED: "Training job stopped",
}
#: The secondary status whose start is TrainingStartTime: instances are up.
_STARTED = "Downloading"


def to_ms(seconds: float) -> float:
    """A time rounded to the millisecond, the precision SageMaker's timestamps have.

    Rounded once, here, so a timestamp a client sends back (CreationTimeAfter=...)
    compares equal to the one it was given.
    """
    return round(seconds, 3)


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of SecondaryStatusTransitions: a secondary status from ``at`` on."""

    status: str
    at: float
    message: str


def _end_share(fate: Fate) -> float:
    if fate.failure is None:
        return 1.0
    if failure_kind(fate.failure) == "CapacityError":
        return _STARTING_SHARE * fate.fail_point
    return _PHASES[2][1] + _TRAINING_SHARE * fate.fail_point


def _at(created: float, fate: Fate, share: float) -> float:
    """When the run reaches ``share`` of its course (the shares of ``_PHASES``)."""
    if fate.start <= 0:
        return to_ms(created + fate.duration * share)
    if share <= _STARTING_SHARE:  # within Starting, which lasts fate.start
        return to_ms(created + fate.start * share / _STARTING_SHARE)
    rest = (share - _STARTING_SHARE) / (1 - _STARTING_SHARE)
    return to_ms(created + fate.start + fate.duration * rest)


def training_window(created: float, fate: Fate) -> tuple[float, float]:
    """When the Training phase of a run nobody stops begins and would end."""
    return _at(created, fate, _PHASES[2][1]), _at(created, fate, _PHASES[3][1])


def natural_end(created: float, fate: Fate) -> tuple[float, str]:
    """When and how a run that nobody stops ends: (time, Completed or Failed)."""
    end = _at(created, fate, _end_share(fate))
    return end, (COMPLETED if fate.failure is None else FAILED)


def history(
    created: float, fate: Fate, stop_requested: float | None, stopped_at: float | None
) -> list[Step]:
    """Every step of the job's run, future ones included, in order."""
    end, final = natural_end(created, fate)
    # A stop only counts if it came while the job ran (the table refuses any other);
    # rounded to the millisecond, a stop in the run's last instant equals its end.
    stop = stop_requested if stop_requested is not None and stop_requested <= end else None
    limit = math.inf if stop is None else stop
    end_share = _end_share(fate)
    steps = [
        Step(status, _at(created, fate, share), message)
        for status, share, message in _PHASES
        if share <= end_share and _at(created, fate, share) <= limit
    ]
    if stop is None:
        steps.append(Step(final, end, _END_MESSAGES[final]))
    else:
        steps.append(Step(STOPPING, stop, _END_MESSAGES[STOPPING]))
        steps.append(
            Step(STOPPED, stop if stopped_at is None else stopped_at, _END_MESSAGES[STOPPED])
        )
    return steps


def visible(steps: list[Step], now: float) -> list[Step]:
    """The steps that have happened by ``now`` (the first one always has)."""
    shown = [step for step in steps if step.at <= now]
    return shown or steps[:1]


def primary_status(step: Step) -> str:
    """TrainingJobStatus while the job's latest step is ``step``."""
    if step.status in TERMINAL or step.status == STOPPING:
        return step.status
    return IN_PROGRESS


@dataclass(frozen=True, slots=True)
class Billing:
    """The time fields of an ended job; None where SageMaker leaves a field out."""

    start: float | None
    end: float | None
    training_seconds: int | None
    billable_seconds: int | None


def billing(shown: list[Step], fate: Fate, spot: bool) -> Billing:
    """Start, end, training and billable seconds as far as ``shown`` goes.

    Training seconds are whole seconds from TrainingStartTime to TrainingEndTime,
    rounded up (at least 1); a managed spot job is billed for that times
    (1 - its drawn savings), rounded up, at least 1. BillableTimeInSeconds is per
    instance, as in SageMaker: multiply by InstanceCount for instance-seconds.
    """
    start = next((step.at for step in shown if step.status == _STARTED), None)
    last = shown[-1]
    if start is None:
        return Billing(None, None, None, None)
    if last.status not in TERMINAL:
        return Billing(start, None, None, None)
    training = max(1, math.ceil(last.at - start))
    billable = max(1, math.ceil(training * (1 - fate.spot_savings))) if spot else training
    return Billing(start, last.at, training, billable)
