"""The results of a sweep: one row per job (its newest attempt), parameters and metrics.

Columns: ``name``, ``status``, ``attempt``, each swept parameter under its path, each
final metric under its name, ``billable_seconds``. Sorting by a metric puts the best job
first; whether best is highest or lowest is guessed from the metric's name (accuracy-like
names are maximised) unless the caller says.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sagesweep.errors import InputError
from sagesweep.operating.status import SweepStatus

__all__ = ["Goal", "ResultRow", "Results", "default_goal", "tabulate"]

Goal = Literal["maximize", "minimize"]
#: Name parts of scores (higher is better): exact words, and word beginnings.
_SCORE_WORDS = frozenset({"auc", "f1", "map", "ndcg", "r2"})
_SCORE_PREFIXES = ("acc", "auc", "precision", "recall")
_WORDS = re.compile(r"[a-z0-9]+")


def default_goal(metric: str) -> Goal:
    """``maximize`` when a word of the name is a score (``validation:auc``,
    ``train:accuracy``, ``val_f1``, ``map``), else ``minimize`` (``loss``, ``rmse``,
    ``mape``: a word that merely starts like a score is not one)."""
    words = _WORDS.findall(metric.lower())
    scores = any(w in _SCORE_WORDS or w.startswith(_SCORE_PREFIXES) for w in words)
    return "maximize" if scores else "minimize"


@dataclass(frozen=True, slots=True)
class ResultRow:
    name: str
    status: str
    attempt: int
    params: Mapping[str, Any]
    metrics: Mapping[str, float]
    billable_seconds: int | None
    instance_type: str = ""  #: what it ran on (SageMaker's pick from InstancePreferences)
    fallback: int = 0  #: capacity_fallback steps the attempt applied
    #: (step, value) an early-stopping rule stopped the job at, if one did.
    stopped_at: tuple[int, float] | None = None

    def as_dict(
        self,
        params: Sequence[str],
        metrics: Sequence[str],
        fallback: bool = False,
        early: bool = False,
    ) -> dict[str, Any]:
        row: dict[str, Any] = {"name": self.name, "status": self.status, "attempt": self.attempt}
        row["instance_type"] = self.instance_type or None
        if fallback:
            row["fallback_step"] = self.fallback
        row.update((p, self.params.get(p)) for p in params)
        row.update((m, self.metrics.get(m)) for m in metrics)
        if early:
            step, value = self.stopped_at or (None, None)
            row["stopped_step"], row["stopped_value"] = step, value
        row["billable_seconds"] = self.billable_seconds
        return row


@dataclass(frozen=True, slots=True)
class Results:
    """A sweep's results table, in the order asked for."""

    sweep: str
    params: tuple[str, ...]  #: swept parameter paths: columns after ``attempt``
    metrics: tuple[str, ...]  #: metric names any job reported: columns after the params
    rows: tuple[ResultRow, ...]
    sort: str | None = None
    goal: Goal | None = None
    created: tuple[str, ...] = ()  #: every job's name in the order it was created

    @property
    def fallback(self) -> bool:
        """Whether any attempt applied capacity_fallback steps (a column then says which)."""
        return any(row.fallback for row in self.rows)

    @property
    def early(self) -> bool:
        """Whether a rule stopped any job early (columns then say at which step, value)."""
        return any(row.stopped_at is not None for row in self.rows)

    @property
    def columns(self) -> list[str]:
        steps = ["fallback_step"] if self.fallback else []
        head = ["name", "status", "attempt", "instance_type", *steps]
        early = ["stopped_step", "stopped_value"] if self.early else []
        return [*head, *self.params, *self.metrics, *early, "billable_seconds"]

    def dicts(self) -> list[dict[str, Any]]:
        return [
            row.as_dict(self.params, self.metrics, self.fallback, self.early) for row in self.rows
        ]

    def head(self, count: int | None) -> Results:
        """The first ``count`` rows (all when None)."""
        if count is None:
            return self
        return Results(
            self.sweep,
            self.params,
            self.metrics,
            self.rows[:count],
            self.sort,
            self.goal,
            self.created,
        )

    @property
    def best(self) -> ResultRow | None:
        """The best job by the sort metric (the first row), if it reported the metric."""
        if self.sort is None or not self.rows or self.sort not in self.rows[0].metrics:
            return None
        return self.rows[0]


def tabulate(
    status: SweepStatus,
    params: Sequence[str],
    *,
    sort: str | None = None,
    goal: Goal | None = None,
    top: int | None = None,
) -> Results:
    """Rows of ``status``'s jobs; ``sort`` by a metric (best first), ``top`` N only."""
    rows = [
        ResultRow(
            row.name,
            row.status,
            row.attempt,
            row.params,
            row.metrics,
            row.billable_seconds,
            row.instance_type,
            row.fallback,
            row.stopped_at,
        )
        for row in status.jobs
    ]
    created = tuple(row.name for row in rows)
    metrics: dict[str, None] = {}
    for row in rows:
        metrics.update(dict.fromkeys(row.metrics))
    if sort is not None:
        if sort not in metrics:
            seen = ", ".join(sorted(metrics)) or "none yet"
            raise InputError.one(
                "<cli>", "", "--sort", f"no job reports a metric {sort!r} (reported: {seen})"
            )
        goal = goal or default_goal(sort)
        sign = -1.0 if goal == "maximize" else 1.0

        def key(row: ResultRow) -> tuple[int, float]:
            value = row.metrics.get(sort)
            if value is None or math.isnan(value):
                return (1, 0.0)  # jobs without the metric go last
            return (0, sign * value)

        rows.sort(key=key)
    if top is not None:
        rows = rows[:top]
    return Results(status.sweep, tuple(params), tuple(metrics), tuple(rows), sort, goal, created)
