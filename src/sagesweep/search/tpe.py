"""A ``method: tpe`` run: jobs asked of TPE one at a time, results told as jobs end.

The study is rebuilt from the ledger at the start of every run (job records carry each
job's parameters, ``end`` records its final status and metrics), so a run killed at any
moment continues without repeating a job or losing a result. Each point is recorded
(an ``asked`` record, on disk) before its job is created: a run killed between the create
and its job record asks that point again first, so the job is found by its name instead
of a different point being created in its place. A completed job that does
not report the objective metric is told as failed: TPE then learns nothing from it, which
is right for a job that produced no usable result, and the run says so in a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError
from sagesweep.ledger import MASK
from sagesweep.ledger.members import CREATED, STOPPED_EARLY, SweepMembers, read_other_sweep
from sagesweep.logs import get_logger
from sagesweep.operating.observe import JobState
from sagesweep.planning.config import SweepConfig
from sagesweep.planning.planner import JobSpec, Planner
from sagesweep.redaction.redact import redact_params
from sagesweep.search.study import TpeSearch

__all__ = ["METRIC_PROOF", "TpeRun", "asked_record"]

log = get_logger("sagesweep.tpe")

#: Asks in a row that may repeat a known point before the search is deemed exhausted.
MAX_REPEATS = 50
#: Completed jobs without the objective metric, none with it, after which no more are asked.
METRIC_PROOF = 3


def asked_record(job: JobSpec) -> dict[str, Any]:
    """The ledger record of a point chosen to run, written before its job is created."""
    return {"event": "asked", "name": job.name, "params": redact_params(job.params, job.request)}


def _pruned_values(members: SweepMembers, name: str) -> list[float] | None:
    """The intermediate values of a job a rule stopped (None: it was not): a ``pruned``
    record and an end as ``Stopped``; a verdict that came after the job completed is
    not one."""
    end = members.endings.get(name) or {}
    if members.shown_status(name, str(end.get("status"))) != STOPPED_EARLY:
        return None
    return [float(point[1]) for point in members.curves.get(name, ())]


def _key(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((path, repr(value)) for path, value in params.items()))


class TpeRun:
    """Asks and tells on behalf of the driver; see the module docstring."""

    def __init__(
        self, config: SweepConfig, planner: Planner, *, max_running: int | None = None
    ) -> None:
        objective = config.objective
        assert objective is not None  # the sweep file's check requires it for tpe
        self.metric = objective.metric
        self.count = config.count or 0
        self._specs = dict(config.parameters)
        self.search = TpeSearch(
            config.parameters,
            seed=config.seed,
            goal=objective.goal,
            options=config.tpe,
            liar=config.tpe.liar(max_running),
            conditions=config.conditions,
        )
        self._planner = planner
        self._jobs = planner.jobs(points=self._points())
        self._asked: int | None = None  # trial number of the point being rendered
        self._trials: dict[str, int] = {}  # job name -> trial number, asked this run
        self._params: dict[str, Mapping[str, Any]] = {}  # job (base) name -> params
        self._values: dict[tuple[tuple[str, str], ...], float | None] = {}
        self.created = 0  #: jobs of this sweep created so far (earlier runs included)
        self.metrics_seen: set[str] = set()
        self.with_metric = 0  #: completed jobs that reported the objective metric
        self.without_metric = 0  #: completed jobs that did not

    def rebuild(self, members: SweepMembers) -> None:
        """Tell the study every result the ledger knows; count the jobs already made."""
        endings = members.endings
        recorded = set(members.jobs)
        for name, params in members.asked.items():
            # Chosen, maybe created, never recorded: ask it again, first.
            if name in recorded:
                continue
            if MASK not in params.values() and self.search.enqueue(params):
                log.info("tpe.asked_again", job=name)
            else:
                # A masked value, or a point of a space the sweep file no longer has: the
                # job, if its create went through, is left for `status` to show.
                log.warning("tpe.not_asked_again", job=name)
        # A job counts toward ``count`` once its first attempt was created, whatever its
        # newest attempt is.
        self.created += sum(
            1 for m in members.jobs.values() if m.attempt == 0 and m.status in CREATED
        )
        for member in members.latest():
            self._params[member.base] = member.params
            end = endings.get(member.name)
            if end is None:
                # Created, not ended (running, or its end not seen yet): not asked again.
                # The sampler is seeded, so a rebuilt study proposes what the run before
                # it proposed next -- these very points -- and each would name a job that
                # exists, leaving the sweep short of its count.
                if member.status in CREATED:
                    self._values.setdefault(_key(member.params), None)
                continue
            value = self._value(member.name, end.get("status"), end.get("metrics") or {})
            self.search.add(member.params, value, pruned=_pruned_values(members, member.name))
            self._values[_key(member.params)] = value
        log.info("tpe.rebuilt", told=self.search.told, created=self.created)

    def warm(self, ledgers: Sequence[Path]) -> int:
        """Tell the study the results of earlier sweeps (``warm_start``) before its first
        ask; their points are not asked again. A ledger of another space (a parameter
        path one has and the other lacks) is bad input naming the path. Returns the
        results told."""
        told = 0
        ours = set(self._specs)
        for ledger in ledgers:
            members = read_other_sweep(ledger)
            theirs = set(members.swept_paths())
            for path in sorted(theirs ^ ours):
                where = (
                    "that sweep varies it, this one does not"
                    if path in theirs
                    else ("this sweep varies it, that one does not")
                )
                raise InputError.one(str(ledger), "", path, f"warm_start of another space: {where}")
            outside = 0
            for member in members.latest():
                end = members.endings.get(member.name)
                if end is None or MASK in member.params.values():
                    continue
                if not self.search.contains(member.params):
                    outside += 1
                    continue
                metrics = end.get("metrics") or {}
                value = metrics.get(self.metric) if end.get("status") == "Completed" else None
                value = float(value) if isinstance(value, int | float) else None
                self.search.add(member.params, value, pruned=_pruned_values(members, member.name))
                self._values[_key(member.params)] = value
                told += 1
            if outside:
                log.warning("tpe.warm_start_outside", ledger=str(ledger), points=outside)
            log.info("tpe.warm_started", ledger=str(ledger), told=told)
        return told

    def replan(self) -> Iterator[JobSpec]:
        """The points already run, rendered again: where their next attempts come from.

        A point holding a masked value cannot be rendered again and is left out (its
        job is not resubmitted); so is one whose name changed with the sweep file.
        """
        known = {
            base: params for base, params in self._params.items() if MASK not in params.values()
        }
        for job in self._planner.jobs(
            validate=False, points=(dict(params) for params in known.values())
        ):
            if job.name in known:
                yield job

    @property
    def remaining(self) -> int:
        return max(0, self.count - self.created)

    def _points(self) -> Iterator[dict[str, Any]]:
        repeats = 0
        while repeats < MAX_REPEATS:
            number, params = self.search.ask()
            key = _key(params)
            if key in self._values:
                # A point already run (small spaces repeat): tell what it gave, ask again.
                self.search.tell(number, self._values[key])
                repeats += 1
                continue
            repeats = 0
            self._values[key] = None
            self._asked = number
            yield params
        log.warning("tpe.exhausted", detail="the search keeps proposing points already run")

    @property
    def metric_missing(self) -> bool:
        """The first completed jobs all lack the objective metric: asking more is waste."""
        return self.with_metric == 0 and self.without_metric >= METRIC_PROOF

    def next_job(self) -> JobSpec | None:
        """The next point as a job (rendered, named, validated), or None when done."""
        if self.metric_missing:
            log.warning("tpe.stopped_asking", metric=self.metric, completed=self.without_metric)
            return None
        job = next(self._jobs, None)
        if job is None or self._asked is None:
            log.info("tpe.no_more_points", planned=job is not None, left=self.remaining)
            return None
        self._trials[job.name] = self._asked
        self._params[job.name] = job.params
        self.created += 1
        return job

    def _value(self, name: str, status: object, metrics: Mapping[str, Any]) -> float | None:
        self.metrics_seen.update(metrics)
        if status != "Completed":
            return None
        value = metrics.get(self.metric)
        if not isinstance(value, int | float):
            self.without_metric += 1
            log.warning("tpe.metric_missing", job=name, metric=self.metric, told="failed")
            return None
        self.with_metric += 1
        return float(value)

    def ended(self, name: str, state: JobState, pruned: Sequence[float] | None = None) -> None:
        """A job's final ending: tell the study its value (None: failed, or no metric);
        ``pruned``: a rule stopped it after these intermediate values (told ``PRUNED``)."""
        base = name.rsplit("-r", 1)[0] if name not in self._params else name
        value = self._value(name, state.status, state.metrics)
        params = self._params.get(base)
        if params is not None:
            self._values[_key(params)] = value
        number = self._trials.pop(base, None)
        if number is not None:
            self.search.tell(number, value, pruned=pruned)
        elif params is not None:
            self.search.add(params, value, pruned=pruned)  # a job of an earlier run
