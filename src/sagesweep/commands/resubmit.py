"""``resubmit``: run again the jobs of a sweep whose newest attempt failed — the Python API.

Exactly once, like ``submit``: attempt names are the idempotency key, the ledger records
every attempt (with ``attempt`` and ``base``), a killed resubmit rerun creates no second
``-r{n}``, and an attempt the ledger lost is found by name instead of being made again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Unpack

from sagesweep.aws.target import Target
from sagesweep.commands.connect import connect
from sagesweep.commands.launch import LaunchKeywords, Summary, launch, launch_options
from sagesweep.commands.parts import Parts
from sagesweep.errors import InputError
from sagesweep.ledger import check_binding, default_ledger_path
from sagesweep.ledger.members import read_members
from sagesweep.operating.calls import PacedCalls
from sagesweep.operating.lost import observe_members
from sagesweep.operating.select import parse_where
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import JobSpec
from sagesweep.resubmitting.attempts import attempt_spec, fallback_steps
from sagesweep.resubmitting.choose import (
    DEFAULT_MAX_ATTEMPTS,
    Pick,
    choose,
    parse_reason,
    parse_statuses,
)

__all__ = ["Resubmission", "resubmit"]


@dataclass(frozen=True, slots=True)
class Resubmission:
    """What a resubmit chose, and how creating the new attempts went."""

    picks: tuple[Pick, ...]  #: jobs chosen, each with the attempt to create
    capped: tuple[str, ...]  #: matching jobs already at --max-attempts
    not_in_plan: tuple[str, ...]  #: chosen jobs the sweep file no longer plans
    summary: Summary | None  #: None for a dry run, or when there was nothing to do

    @property
    def exit_code(self) -> int:
        return 0 if self.summary is None else self.summary.exit_code


def _next_attempts(
    parts: Parts, sweep: Path, picks: Sequence[Pick]
) -> tuple[list[JobSpec], list[str]]:
    """The chosen jobs' next attempts, from the plan (the ledger keeps no requests)."""
    config = load_config(sweep)
    steps = config.capacity_fallback
    wanted = {pick.base: pick for pick in picks}
    specs = [
        attempt_spec(
            job,
            wanted[job.name].attempt,
            str(sweep),
            fallback=steps[: _steps(steps, wanted[job.name])],
        )
        for job in parts.make_planner(config).jobs(validate=False)
        if job.name in wanted
    ]
    found = {spec.base_name for spec in specs}
    return specs, sorted(set(wanted) - found)


def _steps(steps: Sequence[Mapping[str, Any]], pick: Pick) -> int:
    """How many capacity_fallback steps the pick's new attempt applies."""
    return fallback_steps(steps, pick.attempt, pick.reason, pick.fallback)


async def resubmit(
    sweep: Path | str,
    *,
    statuses: Sequence[str] = ("Failed",),
    reason: str | None = None,
    where: Sequence[str] = (),
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    dry_run: bool = False,
    ledger: Path | str | None = None,
    target: Target | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[LaunchKeywords],
) -> Resubmission:
    """Create the next attempt of every job whose newest attempt ended in ``statuses``.

    ``reason``: a regex the FailureReason must match; ``where``: ``PATH=VALUE`` filters on
    swept parameters; ``max_attempts`` caps the attempt number; ``dry_run`` only chooses.
    ``target`` and ``keywords`` are :func:`~sagesweep.commands.submit.submit`'s.
    """
    target, settings = launch_options(target, keywords)
    if max_attempts < 1:
        raise InputError.one("<cli>", "", "--max-attempts", "must be 1 or more")
    chosen, pattern = parse_statuses(statuses), parse_reason(reason)
    parts = parts or Parts()
    sweep = Path(sweep)
    config = load_config(sweep)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    members = read_members(ledger_path, config.sweep)
    wheres = parse_where(where, members.swept_paths())
    check_binding(ledger_path, members.state, config.sweep, None, kind=target.kind)
    async with connect(target, parts, ledger_path) as connection:
        check_binding(ledger_path, members.state, config.sweep, connection.binding)
        calls = PacedCalls(parts.make_limiter(rate=target.read_rate), backoff=parts.backoff)
        observed = await observe_members(connection.client, calls, members)
        found = observed.found
        selection = choose(
            observed.members,
            observed.states,
            statuses=chosen,
            reason=pattern,
            wheres=wheres,
            max_attempts=max_attempts,
        )
        if dry_run or not (selection.picks or found):
            return Resubmission(selection.picks, selection.capped, (), None)
        specs, missing = _next_attempts(parts, sweep, selection.picks)
        launched = await launch(
            config=config,
            ledger=ledger_path,
            jobs=lambda: iter(specs),
            total=len(specs) + len(found),
            target=target,
            settings=settings,
            parts=parts,
            command="resubmit",
            connection=connection,
            known=found,
        )
    return Resubmission(selection.picks, selection.capped, tuple(missing), launched)
