"""What ``status``, ``results`` and ``stop`` share: a launched sweep, opened for reading.

Each reads the sweep's jobs from its ledger (never a name prefix), checks that the
ledger belongs to this sweep and target, and asks AWS at a bounded cost through the same
adaptive limiter as ``submit`` (at the target's read rate).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Collection, Iterable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sagesweep.aws.target import Target
from sagesweep.commands.connect import Connection, connect
from sagesweep.commands.parts import Parts
from sagesweep.commands.prices import read_prices
from sagesweep.costs.prices import Prices
from sagesweep.costs.spend import Spend, Spent, spend_of
from sagesweep.ledger import check_binding, default_ledger_path
from sagesweep.ledger.members import SweepMembers, read_members
from sagesweep.operating.calls import PacedCalls
from sagesweep.operating.lost import observe_members
from sagesweep.operating.observe import JobState
from sagesweep.operating.status import SweepStatus, build_status
from sagesweep.planning.config import load_config

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Session", "open_session", "read_status", "spend_now"]


@dataclass(slots=True)
class Session:
    client: SageMakerClient
    calls: PacedCalls
    members: SweepMembers
    connection: Connection
    prices_file: Path | None = None
    prices: Prices | None = None  #: read once, when first needed


@asynccontextmanager
async def open_session(
    sweep: Path | str,
    ledger: Path | str | None,
    target: Target,
    parts: Parts | None,
    prices_file: Path | str | None = None,
) -> AsyncIterator[Session]:
    """The sweep's members and a paced client for its target; bad input raised first."""
    parts = parts or Parts()
    sweep = Path(sweep)
    config = load_config(sweep)
    ledger_path = Path(ledger) if ledger else default_ledger_path(sweep, config.sweep)
    members = read_members(ledger_path, config.sweep)
    check_binding(ledger_path, members.state, config.sweep, None, kind=target.kind)
    async with connect(target, parts, ledger_path) as connection:
        # Status of the mock's jobs against AWS would be all NotFound: say why instead.
        check_binding(ledger_path, members.state, config.sweep, connection.binding)
        calls = PacedCalls(parts.make_limiter(rate=target.read_rate), backoff=parts.backoff)
        given = None if prices_file is None else Path(prices_file)
        yield Session(connection.client, calls, members, connection, given)


async def read_status(session: Session) -> SweepStatus:
    """Where every job of the session's sweep stands now (attempts the ledger lost
    included), and what it has cost."""
    observed = await observe_members(session.client, session.calls, session.members)
    spend = await spend_now(session, observed.states.values())
    return build_status(observed.members, observed.states, spend)


async def spend_now(session: Session, states: Collection[JobState]) -> Spend:
    """What ``states`` have cost and are accruing now (prices read once a session)."""
    if session.prices is None:
        session.prices = await read_prices(
            {state.instance_type for state in states},
            prices_file=session.prices_file,
            connection=session.connection,
            calls=session.calls,
        )
    return spend_of(_spent(states, time.time()), session.prices)


def _spent(states: Iterable[JobState], now: float) -> Iterator[Spent]:
    for state in states:
        running = 0.0
        if state.status in ("InProgress", "Stopping"):
            since = state.start_time or state.created
            running = 0.0 if since is None else max(0.0, now - since)
        yield Spent(state.instance_type, state.instance_count, state.billable_seconds or 0, running)
