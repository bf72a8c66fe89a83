"""The Python API of a launched sweep: ``status``, ``results`` and ``stop``.

Each reads the sweep's jobs from its ledger (never a name prefix), asks AWS at a bounded
cost through the same adaptive limiter as ``submit``, and returns typed values a notebook
can turn into rows. The CLI's commands of the same names are thin wrappers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sagesweep.commands.connect import TargetOptions, connect
from sagesweep.commands.parts import Parts
from sagesweep.ledger import check_binding, clear_stop_request, default_ledger_path
from sagesweep.ledger.members import SweepMembers, read_members
from sagesweep.operating.calls import PacedCalls
from sagesweep.operating.lost import observe_members
from sagesweep.operating.results import Goal, Results, tabulate
from sagesweep.operating.select import parse_where
from sagesweep.operating.status import SweepStatus, build_status
from sagesweep.operating.stop import StopReport, halt_submitter, record_stop, stop_jobs
from sagesweep.planning.config import load_config

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["DEFAULT_READ_RATE", "results", "status", "stop"]

#: calls/s for reads: Search pages are cheap for the service, and throttling adapts it down.
DEFAULT_READ_RATE = 5.0


@dataclass(frozen=True, slots=True)
class _Session:
    client: SageMakerClient
    calls: PacedCalls
    members: SweepMembers


@asynccontextmanager
async def _session(
    sweep: Path | str,
    ledger: Path | str | None,
    options: TargetOptions,
    rate: float,
    parts: Parts | None,
) -> AsyncIterator[_Session]:
    parts = parts or Parts()
    sweep = Path(sweep)
    config = load_config(sweep)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    members = read_members(ledger_path, config.sweep)
    check_binding(ledger_path, members.state, config.sweep, None, kind=options.kind)
    async with connect(options, parts, ledger_path) as connection:
        # Status of the mock's jobs against AWS would be all NotFound: say why instead.
        check_binding(ledger_path, members.state, config.sweep, connection.target)
        calls = PacedCalls(parts.make_limiter(rate=rate), backoff=parts.backoff)
        yield _Session(connection.client, calls, members)


async def _status(session: _Session) -> SweepStatus:
    observed = await observe_members(session.client, session.calls, session.members)
    return build_status(observed.members, observed.states)


async def status(
    sweep: Path | str,
    *,
    ledger: Path | str | None = None,
    mock: bool = False,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    rate: float = DEFAULT_READ_RATE,
    concurrency: int = 16,
    parts: Parts | None = None,
) -> SweepStatus:
    """Where every job of the sweep stands: counts, failure reasons, cost, one row per job."""
    options = TargetOptions(
        mock=mock,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        concurrency=concurrency,
    )
    async with _session(sweep, ledger, options, rate, parts) as session:
        return await _status(session)


async def watch(
    sweep: Path | str,
    *,
    every: float,
    show: Callable[[SweepStatus], None],
    ledger: Path | str | None = None,
    options: TargetOptions | None = None,
    rate: float = DEFAULT_READ_RATE,
    parts: Parts | None = None,
) -> None:
    """Call ``show`` with a fresh status every ``every`` seconds until cancelled."""
    import anyio

    async with _session(sweep, ledger, options or TargetOptions(), rate, parts) as session:
        while True:
            show(await _status(session))
            await anyio.sleep(every)


async def results(
    sweep: Path | str,
    *,
    sort: str | None = None,
    goal: Goal | None = None,
    top: int | None = None,
    ledger: Path | str | None = None,
    mock: bool = False,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    rate: float = DEFAULT_READ_RATE,
    concurrency: int = 16,
    parts: Parts | None = None,
) -> Results:
    """One row per job (newest attempt): swept parameters and final metrics."""
    options = TargetOptions(
        mock=mock,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        concurrency=concurrency,
    )
    objective = load_config(Path(sweep)).objective
    if sort is None and objective is not None:
        sort = objective.metric  # the sweep file's objective is the default order
        goal = goal or objective.goal
    async with _session(sweep, ledger, options, rate, parts) as session:
        swept = session.members.swept_paths()
        return tabulate(await _status(session), swept, sort=sort, goal=goal, top=top)


async def stop(
    sweep: Path | str,
    *,
    where: Sequence[str] = (),
    confirm: Callable[[int], bool] | None = None,
    ledger: Path | str | None = None,
    mock: bool = False,
    endpoint_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    rate: float = DEFAULT_READ_RATE,
    concurrency: int = 16,
    parts: Parts | None = None,
) -> StopReport:
    """Stop a running submitter of the sweep on this host, then its InProgress jobs.

    ``where``: ``PATH=VALUE`` filters on swept parameters (all must match). ``confirm``
    is asked with the number of jobs about to be stopped; False stops nothing.
    """
    options = TargetOptions(
        mock=mock,
        endpoint_url=endpoint_url,
        region=region,
        profile=profile,
        concurrency=concurrency,
    )
    async with _session(sweep, ledger, options, rate, parts) as session:
        members = session.members
        wheres = parse_where(where, members.swept_paths())
        submitter = await halt_submitter(members.ledger)
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
            session.client, session.calls, members, states, wheres, concurrency=concurrency
        )
        recorded = record_stop(members.ledger, where)
        return StopReport(
            report.selected, report.stopped, report.already, report.failed, submitter, recorded
        )
