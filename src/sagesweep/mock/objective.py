"""The synthetic objective behind the mock's ``FinalMetricDataList``.

A completed job's metrics are a pure function of its hyperparameters, plus a little
noise drawn from the seed and the job's name; a benchmark can call these functions to
compare search methods on the very landscape the mock serves.

The formula (docs/mock-conformance.md shows it with a worked example):

* Every hyperparameter whose value parses as a finite number counts, except the
  bookkeeping names in :data:`IGNORED`. Each has an optimum ``(center c, width w in
  decades, floor f)``: from :data:`OPTIMA` for common names (case-insensitive), else
  ``c = 10 ** (-2 + 4 * u)`` with ``u`` drawn from the name alone, ``w = 1``, ``f = 1e-3``.
* A value ``v`` sits at ``x = log10(max(v, 0) + f)``, so values that span decades
  (learning rates, regularisation) are compared on a log scale, and 0 is allowed.
* ``d = (x - log10(c + f)) / w``; the job's quality is ``q = exp(-sum(d ** 2) / 2)``,
  in (0, 1], 1 exactly at every optimum: one best region, smooth everywhere.
* A metric whose name contains ``auc``, ``acc``, ``f1``, ``precision`` or ``recall``
  is better high: ``0.5 + 0.45 q + 0.005 e``, in (0.495, 0.955). Any other name is a
  loss: ``0.05 + 0.9 (1 - q) + 0.005 e``, in (0.045, 0.955). ``e`` in [-1, 1) is drawn
  from (seed, job name, metric name).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from sagesweep.mock.draws import uniforms

__all__ = [
    "DEFAULT_METRIC",
    "IGNORED",
    "NOISE",
    "OPTIMA",
    "Optimum",
    "final_metrics",
    "maximized",
    "metric_value",
    "noise",
    "optimum",
    "quality",
]

#: The metric a job reports when its request defines none.
DEFAULT_METRIC = "validation:auc"
#: Half-width of the per-job noise added to every metric value.
NOISE = 0.005
_HIGHER_IS_BETTER = ("auc", "acc", "f1", "precision", "recall")


@dataclass(frozen=True, slots=True)
class Optimum:
    """Where a hyperparameter is best: ``center``, ``width`` in decades, ``floor``."""

    center: float
    width: float
    floor: float


def _same(names: str, value: Optimum) -> dict[str, Optimum]:
    return dict.fromkeys(names.split(), value)


#: Optima of common hyperparameter names (XGBoost's and the usual deep-learning ones).
OPTIMA: Mapping[str, Optimum] = MappingProxyType(
    {
        **_same("eta learning_rate lr", Optimum(0.1, 0.5, 1e-6)),
        **_same("max_depth", Optimum(6, 0.3, 1)),
        **_same("min_child_weight", Optimum(2, 0.6, 0.1)),
        **_same(
            "subsample colsample_bytree colsample_bylevel colsample_bynode",
            Optimum(0.8, 0.15, 0.1),
        ),
        **_same("gamma", Optimum(0.3, 0.8, 0.1)),
        **_same("alpha lambda reg_alpha reg_lambda", Optimum(1, 1.0, 0.01)),
        **_same("num_round n_estimators", Optimum(300, 0.5, 1)),
        **_same("epochs", Optimum(30, 0.5, 1)),
        **_same("batch_size", Optimum(64, 0.6, 1)),
        **_same("dropout", Optimum(0.2, 0.6, 0.01)),
        **_same("weight_decay", Optimum(1e-4, 1.0, 1e-7)),
        **_same("momentum", Optimum(0.9, 0.05, 0.01)),
    }
)

#: Numeric hyperparameters that do not change what a model learns.
IGNORED = frozenset(
    ["seed", "random_state", "num_class", "nthread", "n_jobs", "num_workers", "verbosity", "silent"]
)


def optimum(name: str) -> Optimum:
    """The optimum of hyperparameter ``name``: a known one, else one drawn from the name."""
    known = OPTIMA.get(name.lower())
    if known is not None:
        return known
    (u,) = uniforms(1, "objective", name)
    return Optimum(center=10 ** (-2 + 4 * u), width=1.0, floor=1e-3)


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def quality(hyperparameters: Mapping[str, object]) -> float:
    """``exp(-sum(d**2)/2)`` over the numeric hyperparameters: 1 at the optimum."""
    total = 0.0
    for name, raw in hyperparameters.items():
        value = _number(raw)
        if value is None or name.lower() in IGNORED:
            continue
        best = optimum(name)
        x = math.log10(max(value, 0.0) + best.floor)
        distance = (x - math.log10(best.center + best.floor)) / best.width
        total += distance * distance
    return math.exp(-total / 2)


def maximized(metric_name: str) -> bool:
    """Whether higher is better for this metric name (auc, accuracy, f1, ...)."""
    lowered = metric_name.lower()
    return any(word in lowered for word in _HIGHER_IS_BETTER)


def noise(seed: object, job_name: str, metric_name: str) -> float:
    """The job's noise term ``e`` for one metric, in [-1, 1)."""
    (u,) = uniforms(1, "noise", seed, job_name, metric_name)
    return 2 * u - 1


def metric_value(metric_name: str, job_quality: float, job_noise: float) -> float:
    """The reported value of one metric for a job of this quality and noise."""
    if maximized(metric_name):
        return 0.5 + 0.45 * job_quality + NOISE * job_noise
    return 0.05 + 0.9 * (1 - job_quality) + NOISE * job_noise


def final_metrics(
    metric_names: Sequence[str],
    hyperparameters: Mapping[str, object],
    *,
    seed: object,
    job_name: str,
) -> list[tuple[str, float]]:
    """``(name, value)`` for each metric (``validation:auc`` when there is none)."""
    names = list(dict.fromkeys(metric_names)) or [DEFAULT_METRIC]
    job_quality = quality(hyperparameters)
    return [(name, metric_value(name, job_quality, noise(seed, job_name, name))) for name in names]
