"""The parts a run is built from, named in one place.

A command is assembled from a client, a ledger, a planner, a rate limiter, a back-off
and a capacity probe. :class:`Parts` holds the factories of the real ones; tests and
benchmarks pass a :class:`Parts` with some of them replaced (a replayed planner, a
ledger that writes nothing, a limiter that never waits, short back-offs) instead of
patching module globals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from sagesweep.aws.client import ClientSettings, Service, sagemaker_client, service_client
from sagesweep.commands.embedded import embedded_mock
from sagesweep.ledger import Binding, Ledger, LedgerState
from sagesweep.planning.planner import MakePlanner
from sagesweep.search.study import planner_for
from sagesweep.submitting.engine import Limiter, Recorder
from sagesweep.submitting.pacing import AdaptiveRate, Backoff, CapacityProbe

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Book", "Parts"]


class Book(Recorder, Protocol):
    """What a submit run needs of its ledger: what is done, and a place to record."""

    @property
    def state(self) -> LedgerState: ...

    def set_end_counts(self, counts: dict[str, int]) -> None: ...

    async def note(self, event: Mapping[str, Any], *, durable: bool = False) -> None: ...


class OpenLedger(Protocol):
    def __call__(
        self,
        path: Path,
        *,
        sweep: str,
        tool_version: str,
        binding: Binding | None = None,
        command: str = "submit",
    ) -> AbstractAsyncContextManager[Book]: ...


class MakeLimiter(Protocol):
    def __call__(self, *, rate: float) -> Limiter: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Parts:
    """Factories of everything a run talks to or waits on; the defaults are the real ones.

    ``make_planner`` runs in the planning process: it must be importable by name (a
    class or function at the top level of a module, not a lambda or a local).
    """

    open_client: Callable[[ClientSettings], AbstractAsyncContextManager[SageMakerClient]] = (
        sagemaker_client
    )
    #: Clients of the other services a command may read (Price List, Service Quotas).
    open_service: Callable[[Service, ClientSettings], AbstractAsyncContextManager[Any]] = (
        service_client
    )
    open_ledger: OpenLedger = Ledger.open
    make_planner: MakePlanner = planner_for
    make_limiter: MakeLimiter = AdaptiveRate
    start_mock: Callable[[Path | None, Sequence[str]], AbstractContextManager[str]] = embedded_mock
    backoff: Backoff = field(default_factory=Backoff)
    capacity_probe: Callable[[], CapacityProbe] = CapacityProbe
