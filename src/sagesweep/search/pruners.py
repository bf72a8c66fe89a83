"""``asha`` and ``hyperband``: Optuna's pruners, told the jobs' curves in time order.

Optuna's ``SuccessiveHalvingPruner`` (asynchronous successive halving, ASHA) and
``HyperbandPruner`` decide from intermediate values reported to a study. Here a study of
their own mirrors the sweep: one trial per job, numbered in the order the jobs were
created (Hyperband assigns brackets from the study's name and the trial's number), and
every intermediate value is reported to its trial in the order of the values'
timestamps, across all jobs. After each report the pruner is asked; a job it prunes
gets no more reports.

Fed the same curves in the same order, the pruners decide the same way: a run resumed
from its ledger replays every known value in timestamp order into a new mirror and
reaches the verdicts the interrupted run reached. The mirror never hears of a job's end:
``hyperband`` therefore needs ``max_resource`` (the steps a job that runs out reports),
and ``min_resource`` is given, never estimated.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sagesweep.planning.stopping import EarlyStopping
from sagesweep.search.verdict import Verdict

__all__ = ["OptunaRule", "RulePoint"]


@dataclass(frozen=True, slots=True, order=True)
class RulePoint:
    """One intermediate value: when, whose, which step (1-based), what."""

    at: float
    name: str
    step: int
    value: float


class OptunaRule:
    """One mirror study and its pruner; :meth:`feed` values, get the jobs to stop."""

    def __init__(self, rule: EarlyStopping, *, study_name: str, maximize: bool) -> None:
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        if rule.rule == "hyperband":
            assert rule.max_resource is not None
            pruner: Any = optuna.pruners.HyperbandPruner(
                min_resource=rule.min_resource,
                max_resource=rule.max_resource,
                reduction_factor=rule.reduction_factor,
            )
        else:
            pruner = optuna.pruners.SuccessiveHalvingPruner(
                min_resource=rule.min_resource, reduction_factor=rule.reduction_factor
            )
        self._study = optuna.create_study(
            study_name=study_name,
            direction="maximize" if maximize else "minimize",
            pruner=pruner,
        )
        self._trials: dict[str, Any] = {}
        self._stopped: set[str] = set()
        self._steps: dict[str, int] = {}

    def started(self, name: str) -> None:
        """A job, in creation order: its trial (numbered in that order)."""
        if name not in self._trials:
            self._trials[name] = self._study.ask()

    def feed(self, points: Iterable[RulePoint]) -> list[Verdict]:
        """Report ``points`` (sorted here by time) and ask the pruner after each."""
        verdicts = []
        for point in sorted(points):
            if point.name in self._stopped:
                continue
            self.started(point.name)
            if point.step <= self._steps.get(point.name, 0):
                continue  # already reported
            trial = self._trials[point.name]
            trial.report(point.value, point.step)
            self._steps[point.name] = point.step
            if trial.should_prune():
                self._stopped.add(point.name)
                verdicts.append(Verdict(point.name, point.step, point.value))
        return verdicts
