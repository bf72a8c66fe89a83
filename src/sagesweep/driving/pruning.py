"""Early stopping in a driven run: the running jobs' curves read, the rule applied.

Every ``--metric-poll`` seconds the objective's new intermediate values of the running
jobs are read from CloudWatch (:mod:`sagesweep.aws.metrics`, one call per 500 jobs,
paced by a limiter of its own) and the rule (:mod:`sagesweep.search.median`) is asked
about each running job with a new step. A job it stops is first written to the ledger
(a ``pruned`` record: rule, step, value, the median and how many peers made it), then
stopped. A job's curve is read once more after it ended and written as a ``curve``
record, so a later run has the peers' data without asking CloudWatch again.

On resume the ``pruned`` and ``curve`` records come back (:meth:`Pruning.adopt`); a
pruned job still running is stopped again, and, since the rule's verdicts depend on
the curves alone, no decision is repeated or lost.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sagesweep.aws.metrics import Point, metric_points
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.planning.stopping import EarlyStopping
from sagesweep.search.median import median_verdict
from sagesweep.search.pruners import OptunaRule, RulePoint
from sagesweep.search.verdict import Verdict

__all__ = ["DEFAULT_METRIC_POLL", "Pruning", "PruningSettings"]

log = get_logger("sagesweep.pruning")

#: Seconds between two reads of the running jobs' intermediate values.
DEFAULT_METRIC_POLL = 60.0
#: How far back values are read: CloudWatch keeps 1 s datapoints for 3 hours (a running
#: job of an earlier run, with none of its values known, is read from there).
_LOOKBACK = 3 * 3600 - 600
#: Seconds a value waits before a pruner hears it: its 1 s period, and the one before.
_SETTLE = 2.0


@dataclass(frozen=True, slots=True, kw_only=True)
class PruningSettings:
    """What the rule works on: the sweep file's ``early_stopping`` and ``objective``."""

    rule: EarlyStopping
    metric: str
    maximize: bool
    metric_poll: float = DEFAULT_METRIC_POLL
    sweep: str = "sweep"  #: names the pruners' study (Hyperband's brackets depend on it)


@dataclass(slots=True)
class Pruning:
    """The curves known so far, and the verdicts given; see the module docstring."""

    settings: PruningSettings
    client: Any  #: a CloudWatch client
    calls: PacedCalls
    wall: Callable[[], float] = time.time
    curves: dict[str, list[Point]] = field(default_factory=dict)
    #: name -> its ``pruned`` record, this run's and earlier runs'.
    pruned: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    _since: dict[str, float] = field(default_factory=dict)  # job -> read points after
    _checked: dict[str, int] = field(default_factory=dict)  # job -> steps judged
    _final: set[str] = field(default_factory=set)  # ended: one more read, then a record
    #: asha, hyperband: Optuna's pruner over a mirror study (None: the median rule).
    _pruner: OptunaRule | None = None
    _replay: list[RulePoint] = field(default_factory=list)  # adopted values, not fed yet

    def __post_init__(self) -> None:
        rule = self.settings.rule
        if rule.rule != "median":
            self._pruner = OptunaRule(
                rule, study_name=self.settings.sweep, maximize=self.settings.maximize
            )

    def adopt(
        self,
        curves: Mapping[str, Sequence[Any]],
        pruned: Mapping[str, Mapping[str, Any]],
        order: Sequence[str] = (),
    ) -> None:
        """Take the ``curve`` and ``pruned`` records of earlier runs; ``order``: every
        job of the sweep in the order it was created (the pruners number them so)."""
        if self._pruner is not None:
            for name in order:
                self._pruner.started(name)
        for name, points in curves.items():
            got = [
                (float(p[0]), float(p[1]))
                for p in points
                if isinstance(p, list | tuple) and len(p) == 2
            ]
            self.curves[name] = sorted(got)
            self._replay.extend(
                RulePoint(at, name, step, value)
                for step, (at, value) in enumerate(self.curves[name], start=1)
            )
        self.pruned.update(pruned)

    def started(self, name: str, *, created: float | None = None) -> None:
        """A running job whose points are to be read (from ``created``, epoch seconds)."""
        if name in self._since:
            return
        if self._pruner is not None:
            self._pruner.started(name)
        known = self.curves.get(name)
        if known:
            self._since[name] = known[-1][0]
        elif created is not None:
            self._since[name] = created - 1
        else:
            self._since[name] = -math.inf  # as far back as CloudWatch keeps 1 s data

    def missing_curve(self, name: str, recorded: Mapping[str, Any]) -> None:
        """A job of an earlier run that ended: read its curve once and record it, unless
        ``recorded`` (the ledger's curves) has it."""
        if name in recorded or name in self._since:
            return
        self.started(name)
        self._final.add(name)

    def ended(self, name: str) -> None:
        """The job ended: its curve is read once more, then recorded."""
        if name in self._since:
            self._final.add(name)

    async def step(self, note: Callable[[Mapping[str, Any]], Awaitable[None]]) -> list[Verdict]:
        """Read what is new, write the curves of ended jobs, and return the rule's new
        verdicts on running jobs (each written to the ledger before it is returned)."""
        if not self._since:
            return []
        now = self.wall()
        # Jobs that ended before this read: it is their last (one ending during it is
        # read again next time).
        finals, self._final = self._final, set()
        floor = now - _LOOKBACK  # CloudWatch keeps 1 s datapoints for 3 hours
        since = {name: max(at, floor) for name, at in self._since.items()}
        try:
            found = await metric_points(
                self.client, self.calls, self.settings.metric, since, now=now
            )
        except AwsCallError as exc:
            log.warning("pruning.read_failed", code=exc.error.code, detail=str(exc))
            self._final |= finals
            return []
        fresh, self._replay = self._replay, []
        for name, points in found.items():
            curve = self.curves.setdefault(name, [])
            for at, value in points:
                curve.append((at, value))
                fresh.append(RulePoint(at, name, len(curve), value))
            if name in self._since:
                self._since[name] = points[-1][0]
        for name in sorted(finals):
            points = self.curves.get(name, [])
            self._since.pop(name, None)
            await note({"event": "curve", "name": name, "points": [list(p) for p in points]})
        # Only jobs still running get a verdict (an ended one's values still count).
        running = set(self._since) - self._final
        if self._pruner is not None:
            # Every value in time order, those of earlier runs first replayed: the same
            # values give the same verdicts; a job pruned before is not pruned again.
            # Values of the last two seconds wait: other jobs' values of the same
            # 1 s period may not be visible yet, and within a period the order is by name.
            ready = [p for p in fresh if p.at + _SETTLE <= now]
            self._replay = [p for p in fresh if p.at + _SETTLE > now]
            found_verdicts = [v for v in self._pruner.feed(ready) if v.name not in self.pruned]
        else:
            found_verdicts = [
                verdict
                for name in self._judged(self._since)
                if (verdict := self._judge(name)) is not None
            ]
        verdicts = []
        for verdict in found_verdicts:
            if verdict.name not in running:
                continue
            record = verdict.record(self.settings.rule.rule)
            await note(record)
            self.pruned[verdict.name] = record
            verdicts.append(verdict)
        return verdicts

    def _judged(self, names: Iterable[str]) -> list[str]:
        """Running jobs with steps the rule has not judged, and not stopped by it."""
        return [
            name
            for name in names
            if name not in self.pruned
            and len(self.curves.get(name, ())) > self._checked.get(name, 0)
        ]

    def _judge(self, name: str) -> Verdict | None:
        curve = self.curves[name]
        verdict = median_verdict(
            name,
            self.curves,
            min_steps=max(self.settings.rule.min_steps, self._checked.get(name, 0) + 1),
            maximize=self.settings.maximize,
        )
        self._checked[name] = len(curve)
        return verdict
