"""What will become of a job, decided when it is created.

:func:`decide_fate` is pure: the same seed and job name give the same duration,
outcome and failure reason, whatever order the jobs arrive in. The mock stores the
fate with the job, so a restarted mock (even with other settings) keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from sagesweep.mock.config import FAILURE_KINDS
from sagesweep.mock.draws import uniforms

__all__ = ["CAPACITY_ERROR", "FAILURE_MESSAGES", "Fate", "decide_fate", "failure_kind"]

CAPACITY_ERROR = (
    "CapacityError: Unable to provision requested ML compute capacity. "
    "Please retry using a different ML instance type."
)

#: The FailureReason texts of each kind; a failing job gets one, drawn from its name.
FAILURE_MESSAGES: Mapping[str, tuple[str, ...]] = {
    "AlgorithmError": (
        "AlgorithmError: ExecuteUserScriptError:\nExitCode 1\nErrorMessage "
        '"ValueError: Input contains NaN, infinity or a value too large for '
        'dtype(\'float32\')."\nCommand "/miniconda3/bin/python3 -m train", exit code: 1',
        'AlgorithmError: ExecuteUserScriptError:\nExitCode 137\nErrorMessage ""\n'
        'Command "/miniconda3/bin/python3 -m train", exit code: 137',
        "AlgorithmError: framework error: \nTraceback (most recent call last):\n"
        '  File "train.py", line 88, in <module>\nRuntimeError: CUDA out of memory. '
        "Tried to allocate 2.00 GiB",
    ),
    "CapacityError": (CAPACITY_ERROR,),
    "InternalServerError": (
        "InternalServerError: We encountered an internal error. Please try again.",
    ),
}

#: Where managed spot savings fall: billable time is training time times (1 - savings).
SPOT_SAVINGS_RANGE = (0.5, 0.9)


@dataclass(frozen=True, slots=True)
class Fate:
    """How a job's run will go if nobody stops it."""

    #: Seconds from creation to the end of a run that is not cut short.
    duration: float
    #: The job's FailureReason, or None if it completes.
    failure: str | None = None
    #: Where in its failing phase the job fails, in [0, 1).
    fail_point: float = 0.0
    #: Share of training time a managed spot job is not billed for.
    spot_savings: float = 0.0
    #: Seconds of ``Starting`` before ``duration`` begins (``--start-seconds``, or a warm
    #: start); 0: ``Starting`` is the first 15 % of ``duration`` instead.
    start: float = 0.0

    @property
    def short_of_capacity(self) -> bool:
        """The job fails for want of capacity: it never gets its instances."""
        return self.failure is not None and failure_kind(self.failure) == "CapacityError"

    def without_capacity(self) -> Fate:
        """This fate, but failing for want of capacity (in ``Starting``)."""
        return replace(self, failure=CAPACITY_ERROR)


def failure_kind(reason: str) -> str:
    """``AlgorithmError`` for ``AlgorithmError: ...``: the prefix SageMaker gives it."""
    return reason.partition(":")[0]


def decide_fate(
    seed: object,
    name: str,
    *,
    job_seconds: tuple[float, float],
    fail_rate: float,
    fail_reasons: Mapping[str, float],
    start_seconds: tuple[float, float] = (0.0, 0.0),
) -> Fate:
    """The fate of job ``name``: drawn from (seed, name) only."""
    u_duration, u_fails, u_kind, u_message, u_point, u_spot = uniforms(6, "fate", seed, name)
    low, high = job_seconds
    duration = low + (high - low) * u_duration
    low_save, high_save = SPOT_SAVINGS_RANGE
    savings = low_save + (high_save - low_save) * u_spot
    start_low, start_high = start_seconds
    # A draw of its own, so that fates drawn without a start phase stay as they were.
    start = start_low + (start_high - start_low) * uniforms(1, "start", seed, name)[0]
    if not u_fails < fail_rate:
        return Fate(duration=duration, spot_savings=savings, start=start)
    kind = _weighted(u_kind, fail_reasons)
    messages = FAILURE_MESSAGES[kind]
    reason = messages[min(int(u_message * len(messages)), len(messages) - 1)]
    return Fate(
        duration=duration, failure=reason, fail_point=u_point, spot_savings=savings, start=start
    )


def _weighted(u: float, weights: Mapping[str, float]) -> str:
    # A fixed order, not the mapping's, so equal weights given in another order agree.
    kinds = [kind for kind in FAILURE_KINDS if weights.get(kind, 0.0) > 0]
    total = sum(weights[kind] for kind in kinds)
    target = u * total
    for kind in kinds:
        target -= weights[kind]
        if target < 0:
            return kind
    return kinds[-1]
