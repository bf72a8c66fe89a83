"""Ties the pure steps into a stream of frozen :class:`JobSpec` values.

config -> space (points) -> render (+ naming) -> validate -> JobSpec. The stream is
lazy: memory does not grow with the number of jobs beyond a compact digest index.
Problems are collected (identical ones folded together) rather than raised one by one,
so a user sees every problem of a plan in one run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from sagesweep.errors import DEFAULT_MAX_PROBLEMS
from sagesweep.planning.config import SweepConfig
from sagesweep.planning.fastpath import FastPath, fast_path
from sagesweep.planning.naming import (
    DIGEST_LENGTH,
    DigestIndex,
    digest_bytes,
    digest_text,
    job_name,
)
from sagesweep.planning.overrides import apply_overrides, override_paths
from sagesweep.planning.problems import TEMPLATE, ProblemLog
from sagesweep.planning.render import (
    PointApplier,
    RenderError,
    canonical_template,
    fill_placeholders,
    placeholder_names,
)
from sagesweep.planning.space import Space

__all__ = ["JobSpec", "MakePlanner", "PlanStats", "Planner"]

#: Fields the cross-field rules report on, and the members they read: a problem there
#: may come from a value swept in another (a MaxWaitTimeInSeconds too short for a swept
#: MaxRuntimeInSeconds; InstancePreferences beside a swept spot flag).
_RULE_FIELDS = frozenset(
    {
        "StoppingCondition.MaxWaitTimeInSeconds",
        "EnableManagedSpotTraining",
        "ResourceConfig.InstanceType",
        "ResourceConfig.InstanceGroups",
        "ResourceConfig.InstancePlacementConfig",
    }
)
_RULE_MEMBERS = frozenset({"StoppingCondition", "EnableManagedSpotTraining", "ResourceConfig"})

# The digest index grows as it fills; presizing it past this would reserve memory
# (32 bytes a slot) for jobs that may never be planned, or duplicates that are dropped.
_INDEX_PRESIZE_MAX = 1 << 20
# A checkpoint URI holding one of these is unique per job by construction.
_UNIQUE_CHECKPOINT_PLACEHOLDERS = frozenset({"job", "digest"})


@dataclass(frozen=True, slots=True)
class JobSpec:
    """One planned CreateTrainingJob call, ready to send."""

    name: str  #: TrainingJobName, ``{sweep}-{digest}``
    digest: str  #: content digest of the request (the idempotency key)
    params: Mapping[str, Any]  #: the swept values of this job, path -> value
    request: Mapping[str, Any]  #: the full CreateTrainingJob request (boto3 kwargs)
    index: int = 0  #: position in the plan (0-based, duplicates not counted)
    attempt: int = 0  #: 0 for the job itself, n for its n-th resubmission
    base: str = ""  #: the attempt-0 name of a resubmission ("" for attempt 0)
    fallback: int = 0  #: capacity_fallback steps applied to the request (an attempt's)

    @property
    def base_name(self) -> str:
        """The job's attempt-0 name: what its attempts are grouped by."""
        return self.base or self.name

    @property
    def instance_type(self) -> str:
        """The type the job asks for: its InstanceType, or its first InstancePreference."""
        resource = self.request.get("ResourceConfig") or {}
        preferences = resource.get("InstancePreferences") or [{}]
        first = preferences[0] if isinstance(preferences[0], Mapping) else {}
        return str(resource.get("InstanceType") or first.get("InstanceType") or "")


@dataclass(slots=True)
class PlanStats:
    """What a finished pass over the plan found."""

    points: int = 0  #: points the space produced
    jobs: int = 0  #: valid, distinct jobs yielded
    duplicates: int = 0  #: identical requests dropped
    invalid: int = 0  #: points that had at least one problem
    warnings: list[str] = field(default_factory=list)


def _raw_checkpoint(body: Mapping[str, Any]) -> Any:
    """A request's CheckpointConfig.S3Uri before its placeholders are filled."""
    config = body.get("CheckpointConfig")
    return config.get("S3Uri") if isinstance(config, Mapping) else None


class MakePlanner(Protocol):
    """What makes the planner of a sweep file (:class:`Planner`, or a search's)."""

    def __call__(self, config: SweepConfig, *, max_jobs: int | None = None) -> Planner: ...


class Planner:
    """Expands a checked sweep file into validated, content-named jobs.

    Construction checks everything that does not depend on a point (template,
    parameter paths, plan size) and raises :class:`PlanError` at once; :meth:`jobs`
    then streams, and :meth:`check` raises if any point had problems.
    """

    def __init__(
        self,
        config: SweepConfig,
        *,
        max_jobs: int | None = None,
        points: Callable[[], Iterable[dict[str, Any]]] | None = None,
    ) -> None:
        """``points``: where the points come from when the space cannot say (a tpe sweep's
        search); :meth:`jobs` without points of its own plans these."""
        from sagesweep.validation.model import validator

        self.config = config
        self._points = points
        self._swept_paths = (*config.parameters, *(p for t in config.trials for p in t))
        self.source = str(config.source)
        self.space = Space(
            method=config.method,
            parameters=config.parameters,
            count=config.count,
            seed=config.seed,
            trials=config.trials,
            conditions=config.conditions,
        )
        self.max_jobs = max_jobs if max_jobs is not None else config.max_jobs
        self.stats = PlanStats(warnings=list(config.warnings))
        self._validator = validator()
        self._problems = ProblemLog(self.source)
        template, render_problems = canonical_template(config.template)
        self._applier = PointApplier(template)
        # Members no point touches are the template's own objects in every request:
        # checked once here, skipped per job.
        self._known = self._validator.valid_members(template)
        for exc in render_problems:
            self._problems.add("template", exc.field, exc.message)
        self._check_paths()
        size = self.space.size()
        if size > self.max_jobs:
            self._problems.add(
                "",
                "max_jobs",
                f"the plan has {size} jobs, more than max_jobs {self.max_jobs}; "
                "raise max_jobs in the sweep file or pass --max-jobs",
            )
        self.size = size
        if self._problems:
            # No job can be planned yet; still show what is wrong in the template, so
            # that one run lists every problem a user has to fix.
            self._template_problems(template)
            raise self._problems.error()
        # Points of a grid, random or tpe sweep all set the same paths.
        config_paths = tuple(config.parameters) or (
            tuple(config.trials[0]) if config.trials else ()
        )
        self._compiled = self._compile(template, config_paths)

    def _compile(self, template: dict[str, Any], paths: tuple[str, ...]) -> FastPath | None:
        return fast_path(template, paths, self._applier, self.config.sweep, self._validator)

    def _template_problems(self, template: Mapping[str, Any]) -> None:
        """Template problems no parameter can be meant to fix (those are left out)."""
        stand_in = job_name(self.config.sweep, "a" * DIGEST_LENGTH)
        values = {"sweep": self.config.sweep, "job": stand_in, "digest": "a" * DIGEST_LENGTH}
        try:
            request = fill_placeholders(dict(template), values)
        except RenderError:
            return  # already reported as a template problem
        request["TrainingJobName"] = stand_in

        for violation in self._validator.validate(request):
            if violation.severity != "error" or self._swept(violation.field):
                continue
            if not self._problems.reported(violation.field):  # said once, by rendering
                self._problems.add(TEMPLATE, violation.field, violation.message)

    def _check_paths(self) -> None:
        paths: dict[str, None] = dict.fromkeys(self.config.parameters)
        for trial in self.config.trials:
            paths.update(dict.fromkeys(trial))
        fallback = override_paths(self.config.capacity_fallback)
        paths.update(dict.fromkeys(fallback))
        for path in paths:
            where = f"capacity_fallback: {path}" if path in fallback else path
            try:
                self._applier.keys(path)
            except RenderError as exc:
                self._problems.add(where, "", exc.message)
                continue
            problem = self._validator.check_path(path)
            if problem is not None:
                self._problems.add(where, "", problem)

    def _check_fallback(self, job: JobSpec) -> None:
        """Each capacity_fallback step, applied (with those before it) to a planned job's
        request, must give a valid request: a bad one is refused now, not at attempt n."""
        steps = self.config.capacity_fallback
        for n in range(1, len(steps) + 1):
            try:
                request = apply_overrides(job.request, steps[:n])
            except RenderError as exc:
                self._problems.add(f"capacity_fallback step {n}", exc.field, exc.message)
                continue
            for violation in self._validator.validate(request):
                if violation.severity == "error":
                    self._problems.add(
                        f"capacity_fallback step {n}", violation.field, violation.message
                    )

    def jobs(
        self, *, validate: bool = True, points: Iterable[dict[str, Any]] | None = None
    ) -> Iterator[JobSpec]:
        """Stream the valid, distinct jobs; problems are kept for :meth:`check`.

        ``validate=False`` skips the per-job service-model and checkpoint checks: for a
        second pass over a sweep file whose first pass :meth:`check` found clean (the
        same file gives the same jobs), so that submitting does not validate twice.
        ``points`` replaces the space's own (an adaptive search asking for them one by one).
        """
        config, stats, problems = self.config, self.stats, self._problems
        seen = DigestIndex(capacity=min(max(1024, self.size), _INDEX_PRESIZE_MAX))
        checkpoints: dict[str, str] = {}
        fast = self._compiled
        # Set once a compiled job validated clean in full: from then on a compiled job
        # shares everything but its varying leaves with a job known to be valid.
        proven = False
        if points is None:
            points = self.space.points() if self._points is None else self._points()
        for point in points:
            stats.points += 1
            values: list[Any] | None = None
            if fast is not None and tuple(point) == fast.plan.paths:
                try:
                    full, values = fast.plan.digest(point)
                except (RenderError, ValueError, TypeError):
                    values = None  # the general path finds and words the problem
            rendered = None
            if values is None:
                try:
                    rendered = self._applier.apply(point)
                    full = digest_bytes(rendered.body)
                except (RenderError, ValueError) as exc:
                    fld, message = (
                        (exc.field, exc.message) if isinstance(exc, RenderError) else ("", str(exc))
                    )
                    problems.add(f"point {stats.points}", fld, message)
                    stats.invalid += 1
                    continue
            verdict = seen.add(full)
            digest = digest_text(full)
            name = job_name(config.sweep, digest)
            if verdict == "duplicate":
                stats.duplicates += 1
                continue
            if verdict == "collision":
                problems.add(name, "", f"digest {digest} collides with a different job")
                stats.invalid += 1
                continue
            placed: list[Any] = []
            try:
                if rendered is None:
                    assert fast is not None
                    assert values is not None
                    request, placed = fast.plan.request(values, name, digest)
                    raw = fast.plan.raw_checkpoint(values)
                else:
                    request = rendered.finish(config.sweep, name, digest)
                    raw = _raw_checkpoint(rendered.body)
            except RenderError as exc:
                problems.add(name, exc.field, exc.message)
                stats.invalid += 1
                continue
            if not validate:
                yield JobSpec(name, digest, point, request, stats.jobs)
                stats.jobs += 1
                continue
            if stats.jobs == 0 and self.config.capacity_fallback:
                self._check_fallback(JobSpec(name, digest, point, request))
            checks = fast.checks if fast is not None and rendered is None else None
            if proven and checks is not None:
                clean = checks.clean(point, request, placed, digest)
                bad = not clean and self._checked(request, name, self._known_for(fast))[0]
            else:
                bad, found = self._checked(request, name, self._known_for(fast))
                proven = proven or (checks is not None and not found)
            if self._shared_checkpoint(raw, request, name, checkpoints):
                bad = True
            if bad:
                stats.invalid += 1
                continue
            yield JobSpec(name, digest, point, request, stats.jobs)
            stats.jobs += 1

    def _known_for(self, fast: FastPath | None) -> Mapping[str, object]:
        return self._known if fast is None else fast.known

    def _checked(
        self, request: Mapping[str, Any], name: str, known: Mapping[str, object]
    ) -> tuple[bool, bool]:
        """Validate a request in full, recording what is found: (any error, anything).

        A problem in a field no parameter touches is the template's: it is reported once,
        against ``template``, not against the first job of many it shows in.
        """
        violations = self._validator.validate(request, known=known)
        bad = False
        for violation in violations:
            if violation.severity == "warning":
                if len(self.stats.warnings) < DEFAULT_MAX_PROBLEMS:
                    self.stats.warnings.append(f"{name}: {violation.field}: {violation.message}")
                continue
            subject = name if self._swept(violation.field) else TEMPLATE
            self._problems.add(subject, violation.field, violation.message)
            bad = True
        return bad, bool(violations)

    def _swept(self, fld: str) -> bool:
        """Whether a point's values may reach ``fld`` (a swept path is in it, or under it,
        or in a member a cross-field rule reads along with it)."""
        paths = self._swept_paths
        if any(fld == p or fld.startswith((p + ".", p + "[")) or p.startswith(fld) for p in paths):
            return True
        if fld not in _RULE_FIELDS:
            return False
        return any(p.split(".", 1)[0].split("[", 1)[0] in _RULE_MEMBERS for p in paths)

    def _shared_checkpoint(
        self,
        raw: Any,
        request: Mapping[str, Any],
        name: str,
        seen: dict[str, str],
    ) -> bool:
        if not isinstance(raw, str) or placeholder_names(raw) & _UNIQUE_CHECKPOINT_PLACEHOLDERS:
            return False
        uri = str(request["CheckpointConfig"]["S3Uri"])
        first = seen.setdefault(uri, name)
        if first == name:
            return False
        self._problems.add(
            name,
            "CheckpointConfig.S3Uri",
            f"{uri} is shared with {first}: the jobs would overwrite each other's "
            "checkpoints; put {job} in the URI",
        )
        return True

    def check(self) -> None:
        """Raise :class:`PlanError` if any job had a problem (call after :meth:`jobs`)."""
        if self._problems:
            raise self._problems.error()
