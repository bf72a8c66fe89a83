"""Learning curves: the intermediate values a mock job publishes to CloudWatch.

A job reports each of its metrics ``N`` times (``--curve-points``) over its Training
phase, at ``t_k = T0 + (T1 - T0) k / N`` for ``k = 1..N``, where ``T0``/``T1`` are when
Training begins and would end. The curve converges to the job's final value ``f`` (the
objective's, :mod:`sagesweep.mock.objective`) from the metric's worst start ``s``
(0.5 for a metric better high, 0.95 for a loss):

    v_k = f + (s - f) (1 - k/N) ** p  +  NOISE e_k (1 - k/N)

``p`` is the job's speed, ``0.5 + 3 u`` with ``u`` drawn from (seed, job name): a job
with a small ``p`` starts slowly, so a good job can trail a mediocre one early on and
the curves cross. ``e_k`` in [-1, 1) is drawn per point; it vanishes at ``k = N``, so the
last point is the final value exactly. A point exists only if the job was still
running at ``t_k`` (a stopped or failing job stops reporting), and it is visible from
``t_k + --metric-delay`` on (CloudWatch's ingestion delay). docs/mock-conformance.md
states the formula beside the objective's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sagesweep.mock.draws import uniforms
from sagesweep.mock.fate import Fate
from sagesweep.mock.lifecycle import natural_end, training_window
from sagesweep.mock.objective import NOISE, maximized

__all__ = ["NAMESPACE", "Point", "curve", "speed", "start_value"]

#: Where SageMaker publishes a training job's metric definitions' values.
NAMESPACE = "/aws/sagemaker/TrainingJobs"


@dataclass(frozen=True, slots=True)
class Point:
    """One intermediate value: metric, when it was reported, its value, its step (1..N)."""

    metric: str
    at: float
    value: float
    step: int


def start_value(metric: str) -> float:
    """Where a curve of ``metric`` starts: the metric's worst value."""
    return 0.5 if maximized(metric) else 0.95


def speed(seed: object, name: str) -> float:
    """The job's curve exponent ``p``, in [0.5, 3.5)."""
    (u,) = uniforms(1, "curve", seed, name)
    return 0.5 + 3.0 * u


def curve(
    *,
    seed: object,
    name: str,
    created: float,
    fate: Fate,
    metrics: tuple[tuple[str, float], ...],
    points: int,
    stopped: float | None,
) -> Iterator[Point]:
    """Every point the job reports, in time order (see the module docstring).

    ``stopped``: when a stop was asked for, if one was; the job reports nothing after.
    """
    if points <= 0 or fate.short_of_capacity:
        return
    begin, end = training_window(created, fate)
    last, _ = natural_end(created, fate)
    cut = last if stopped is None else min(last, stopped)
    p = speed(seed, name)
    for k in range(1, points + 1):
        at = begin + (end - begin) * k / points
        if at > cut:
            return
        left = 1 - k / points
        for metric, final in metrics:
            (u,) = uniforms(1, "curve-noise", seed, name, metric, k)
            value = final + (start_value(metric) - final) * left**p + NOISE * (2 * u - 1) * left
            yield Point(metric, at, value, k)
