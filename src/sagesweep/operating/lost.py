"""Attempts AWS has and the ledger lost: created just before a kill, or by another machine.

A job's attempts are named ``{base}-r{n}`` and tagged with the sweep, so one ``Search``
on the sweep's tag finds every attempt of a job the ledger names, recorded or not.
:func:`observe_members` reads a sweep's jobs that way and adds the attempts it finds
to the members, as ``exists``: the newest attempt is then the newest AWS knows, for
``status``, ``stop``, ``resubmit`` and a resumed driver alike. Should ``Search`` not have
caught up with an attempt yet, whoever makes that attempt again meets ``ResourceInUse``
and reconciles it by name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from sagesweep.ledger import JobRecord, JobStatus
from sagesweep.ledger.members import Member, SweepMembers
from sagesweep.operating.calls import PacedCalls
from sagesweep.operating.observe import JobState, observe
from sagesweep.planning.naming import attempt_of

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Observed", "discovered", "observe_members", "with_records"]


def discovered(members: SweepMembers, states: Mapping[str, JobState]) -> list[JobRecord]:
    """Ledger records for the attempts AWS knows and the ledger does not (``exists``)."""
    bases = frozenset(m.base for m in members.jobs.values())
    params = {m.base: m.params for m in members.jobs.values() if m.attempt == 0}
    records: list[JobRecord] = []
    for name, state in sorted(states.items()):
        found = None if name in members.jobs else attempt_of(name, bases)
        if found is not None:
            base, n = found
            records.append(
                JobRecord(
                    name=name,
                    digest=base[len(members.sweep) + 1 :],
                    status=JobStatus.EXISTS,
                    arn=state.arn,
                    attempts=0,
                    params=params.get(base, {}),
                    attempt=n,
                    base=base,
                )
            )
    return records


def with_records(members: SweepMembers, records: Sequence[JobRecord]) -> SweepMembers:
    """``members`` as the ledger will read once ``records`` are added."""
    jobs = dict(members.jobs)
    for rec in records:
        base = rec.base or rec.name
        jobs[rec.name] = Member(rec.name, base, rec.attempt, rec.status, rec.params, rec.fallback)
    return replace(members, jobs=jobs)


@dataclass(frozen=True, slots=True)
class Observed:
    """A sweep as AWS knows it: members with the lost attempts added, and their states."""

    members: SweepMembers
    states: Mapping[str, JobState]
    found: tuple[JobRecord, ...]  #: the attempts the ledger lacks, as records to write


async def observe_members(
    client: SageMakerClient,
    calls: PacedCalls,
    members: SweepMembers,
    names: set[str] | None = None,
) -> Observed:
    """The state of the sweep's jobs (``names``; default: all AWS may know), lost
    attempts included."""
    bases = frozenset(m.base for m in members.jobs.values())
    states = await observe(
        client,
        calls,
        members.sweep,
        members.observable() if names is None else names,
        also=lambda name: attempt_of(name, bases) is not None,
    )
    found = discovered(members, states)
    return Observed(with_records(members, found), states, tuple(found))
