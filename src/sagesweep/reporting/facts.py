"""What a report shows, gathered once: every attempt as AWS knows it, the results in the
objective's order, the spend, the forecast.

The figures (:mod:`sagesweep.reporting.figures`) and the page
(:mod:`sagesweep.reporting.page`) only read these facts; nothing here draws.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sagesweep.costs.forecast import Forecast
from sagesweep.costs.prices import Prices
from sagesweep.ledger.members import CREATED, SweepMembers
from sagesweep.operating.observe import JobState
from sagesweep.operating.results import Goal, Results, default_goal, tabulate
from sagesweep.operating.status import SweepStatus

__all__ = [
    "Attempt",
    "Curve",
    "ReportFacts",
    "attempts_of",
    "numbers",
    "objective_of",
    "results_of",
]


@dataclass(frozen=True, slots=True)
class Attempt:
    """One created attempt of a job, as AWS describes it."""

    name: str
    base: str
    attempt: int
    status: str
    failure_reason: str | None
    created: float | None  #: POSIX seconds
    ended: float | None  #: POSIX seconds; None while it runs
    instance_type: str
    instance_count: int
    billable_seconds: int | None
    usd: float | None  #: what it was billed, where its type has a price

    @property
    def instance_hours(self) -> float:
        return self.instance_count * (self.billable_seconds or 0) / 3600


@dataclass(frozen=True, slots=True)
class Curve:
    """A job's intermediate values of the objective, step by step."""

    name: str
    points: tuple[tuple[int, float], ...]
    early_stopped: bool  #: stopped by a rule, not run to its end


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFacts:
    sweep: str
    generated: float  #: POSIX seconds
    target: str  #: where the jobs run, in words ("AWS us-east-1", "the embedded mock")
    console_region: str | None  #: for links to the SageMaker console (None: not AWS)
    status: SweepStatus
    results: Results  #: newest attempts, best first when there is a metric
    metric: str | None
    goal: Goal | None
    attempts: tuple[Attempt, ...]  #: every created attempt, in ledger order
    log_axes: frozenset[str] = frozenset()
    forecast: Forecast | None = None
    #: Intermediate values; empty while no source records them.
    curves: tuple[Curve, ...] = field(default_factory=tuple)

    @property
    def priced(self) -> bool:
        """Whether every attempt that billed anything has a price (spend in USD)."""
        return all(a.usd is not None for a in self.attempts if a.billable_seconds)


def objective_of(
    metrics: Sequence[str], objective: tuple[str, Goal] | None, metric: str | None
) -> tuple[str | None, Goal | None]:
    """The metric the report judges jobs by: the one asked for, else the sweep's
    objective, else the only metric the jobs reported (None when there is no choice)."""
    if metric is not None:
        return metric, default_goal(metric)
    if objective is not None:
        return objective
    if len(metrics) == 1:
        return metrics[0], default_goal(metrics[0])
    return None, None


def attempts_of(
    members: SweepMembers, states: Mapping[str, JobState], prices: Prices
) -> tuple[Attempt, ...]:
    """Every attempt AWS has, in ledger order, with what it was billed."""
    out: list[Attempt] = []
    for member in members.jobs.values():
        state = states.get(member.name)
        if state is None or member.status not in CREATED or state.status == "NotFound":
            continue
        price = prices.of(state.instance_type)
        billed = state.instance_count * (state.billable_seconds or 0) / 3600
        out.append(
            Attempt(
                name=member.name,
                base=member.base,
                attempt=member.attempt,
                status=state.status,
                failure_reason=state.failure_reason,
                created=state.created,
                ended=state.end_time if state.end_time is not None else _ended(state),
                instance_type=state.instance_type,
                instance_count=state.instance_count,
                billable_seconds=state.billable_seconds,
                usd=None if price is None else billed * price,
            )
        )
    return tuple(out)


def _ended(state: JobState) -> float | None:
    # A job that ended before training (a CapacityError in Starting) has no end time;
    # its creation is the best bound there is.
    if state.status in ("Completed", "Failed", "Stopped"):
        return state.created
    return None


def results_of(
    status: SweepStatus, params: Collection[str], metric: str | None, goal: Goal | None
) -> Results:
    """The results table, best first by ``metric`` when some job reported it."""
    reported = {m for row in status.jobs for m in row.metrics}
    sort = metric if metric in reported else None
    return tabulate(status, list(params), sort=sort, goal=goal if sort else None)


def numbers(values: Sequence[Any]) -> bool:
    """Whether every value is a number (bools are not)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
