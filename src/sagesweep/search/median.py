"""The median stopping rule (SageMaker's), decided on curves alone.

A job's curve is its objective's intermediate values in time order: step ``s`` is its
``s``-th value, reported at a time. At every step ``s >= min_steps`` the rule compares
the job's best value so far with the median, over its *peers at s*, of their running
averages up to ``s`` (the mean of their first ``s`` values). The peers at ``s`` are the
other jobs of the sweep that had reported step ``s`` before this job did: at an earlier
timestamp, so in an earlier period of CloudWatch's datapoints (two points within one
period are not ordered: neither is the other's peer). The
first step at which the best so far is worse than that median (lower when maximising,
higher when minimising) stops the job; a step without peers decides nothing.

The peers are defined by the curves' own timestamps, not by when anyone looked: the
same curves give the same verdicts whenever, and however often, the rule is asked,
as long as a point is visible before any point of a later period is (CloudWatch's
ingestion delay is the same for every job).
So a run resumed after a kill stops exactly the jobs an uninterrupted run would have.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence

from sagesweep.search.verdict import Verdict

__all__ = ["Curve", "Verdict", "median_verdict"]

#: (epoch seconds, value) in time order.
Curve = Sequence[tuple[float, float]]


def median_verdict(
    name: str,
    curves: Mapping[str, Curve],
    *,
    min_steps: int,
    maximize: bool,
) -> Verdict | None:
    """The rule's verdict on job ``name`` given every job's curve so far; None: go on."""
    mine = curves[name]
    best: float | None = None
    for step, (at, value) in enumerate(mine, start=1):
        best = value if best is None else (max(best, value) if maximize else min(best, value))
        if step < min_steps:
            continue
        averages = [
            sum(v for _, v in curve[:step]) / step
            for other, curve in curves.items()
            if other != name and len(curve) >= step and curve[step - 1][0] < at
        ]
        if not averages:
            continue
        median = statistics.median(averages)
        if (best < median) if maximize else (best > median):
            return Verdict(name, step, best, median, len(averages))
    return None
