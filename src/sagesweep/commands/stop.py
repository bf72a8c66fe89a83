"""``stop``: a launched sweep's running submitter on this host, then its running jobs —
the Python API. The CLI's ``stop`` is a thin wrapper."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Unpack

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.parts import Parts
from sagesweep.commands.session import Session, open_session
from sagesweep.ledger import clear_stop_request
from sagesweep.ledger.members import read_members
from sagesweep.operating.lost import observe_members
from sagesweep.operating.select import parse_where
from sagesweep.operating.stop import StopReport, halt_submitter, record_stop, stop_jobs

__all__ = ["stop"]


async def stop(
    sweep: Path | str,
    *,
    where: Sequence[str] = (),
    confirm: Callable[[int], bool] | None = None,
    ledger: Path | str | None = None,
    target: Target | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> StopReport:
    """Stop a running submitter of the sweep on this host, then its InProgress jobs.

    ``where``: ``PATH=VALUE`` filters on swept parameters (all must match). ``confirm``
    is asked with the number of jobs about to be stopped; False stops nothing.
    ``target`` and its fields as keywords are :func:`~sagesweep.commands.submit.submit`'s.
    """
    target = target_of(target, **keywords)
    async with open_session(sweep, ledger, target, parts) as session:
        parse_where(where, session.members.swept_paths())  # bad input before any signal
        submitter = await halt_submitter(session.members.ledger)
        if not (submitter and target.mock):
            return await _stop(session, where, confirm, target, submitter)
    # The submitter served the sweep's embedded mock, and took it along when it exited:
    # the account is served here now.
    async with open_session(sweep, ledger, target, parts) as session:
        return await _stop(session, where, confirm, target, submitter)


async def _stop(
    session: Session,
    where: Sequence[str],
    confirm: Callable[[int], bool] | None,
    target: Target,
    submitter: str,
) -> StopReport:
    members = session.members
    wheres = parse_where(where, members.swept_paths())
    if submitter:
        # The submitter may have created jobs until it stopped.
        members = read_members(members.ledger, members.sweep)
    observed = await observe_members(session.client, session.calls, members)
    members, states = observed.members, observed.states
    running = sum(1 for state in states.values() if state.status == "InProgress")
    if confirm is not None and running and not confirm(running):
        clear_stop_request(members.ledger)
        return StopReport(0, (), {}, {}, submitter)
    report = await stop_jobs(
        session.client, session.calls, members, states, wheres, concurrency=target.concurrency
    )
    recorded = record_stop(members.ledger, where)
    return StopReport(
        report.selected, report.stopped, report.already, report.failed, submitter, recorded
    )
