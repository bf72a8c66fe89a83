"""What a plan asks for: each request's instances and worst-case run time, tallied.

A request names one ``InstanceType`` (with ``InstanceCount``) or an ordered list of
``InstancePreferences`` (each a type and its count); ``MaxRuntimeInSeconds`` bounds how
long it may run (SageMaker's default is a day). :class:`UsageTally` adds them up by
instance options while a plan is made (in the planning process too), for the forecast
and the quota check to price and compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_MAX_RUNTIME", "Option", "Tally", "Usage", "UsageTally", "usage_of"]

#: SageMaker's MaxRuntimeInSeconds when a request sets none.
DEFAULT_MAX_RUNTIME = 86400

Option = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Usage:
    """The instances a job may run on, in SageMaker's order of preference."""

    options: tuple[Option, ...]  #: (instance type, count); one unless InstancePreferences
    max_seconds: int  #: MaxRuntimeInSeconds
    spot: bool
    #: ``KeepAlivePeriodInSeconds`` is set: its instances stay in a warm pool after it.
    keep_alive: bool = False

    @property
    def instance_type(self) -> str:
        """The first choice (the only one without preferences)."""
        return self.options[0][0]

    @property
    def instance_count(self) -> int:
        return self.options[0][1]


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def usage_of(request: Mapping[str, Any]) -> Usage:
    resources = request.get("ResourceConfig") or {}
    preferences = resources.get("InstancePreferences")
    options: tuple[Option, ...]
    if isinstance(preferences, list) and preferences:
        options = tuple(
            (str(p.get("InstanceType", "")), _count(p.get("InstanceCount", 1)))
            for p in preferences
            if isinstance(p, Mapping)
        )
    else:
        options = (
            (str(resources.get("InstanceType", "")), _count(resources.get("InstanceCount"))),
        )
    stopping = request.get("StoppingCondition") or {}
    runtime = stopping.get("MaxRuntimeInSeconds")
    seconds = runtime if isinstance(runtime, int) and runtime > 0 else DEFAULT_MAX_RUNTIME
    keep = resources.get("KeepAlivePeriodInSeconds")
    return Usage(
        options or (("", 1),),
        seconds,
        request.get("EnableManagedSpotTraining") is True,
        isinstance(keep, int) and not isinstance(keep, bool) and keep > 0,
    )


@dataclass(slots=True)
class Tally:
    """Jobs that share the same instance options, and their summed worst-case seconds."""

    jobs: int = 0
    seconds: int = 0
    spot: int = 0  #: of which managed spot
    warm: int = 0  #: of which with a keep-alive (a warm pool)


@dataclass(slots=True)
class UsageTally:
    """Tallies by instance options, added to job by job."""

    tallies: dict[tuple[Option, ...], Tally] = field(default_factory=dict)

    def add(self, request: Mapping[str, Any]) -> None:
        usage = usage_of(request)
        tally = self.tallies.get(usage.options)
        if tally is None:
            tally = self.tallies[usage.options] = Tally()
        tally.jobs += 1
        tally.seconds += usage.max_seconds
        tally.spot += usage.spot
        tally.warm += usage.keep_alive

    @property
    def jobs(self) -> int:
        return sum(t.jobs for t in self.tallies.values())

    def instance_types(self) -> set[str]:
        return {t for options in self.tallies for t, _ in options}
