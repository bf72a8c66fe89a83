"""A :class:`~sagesweep.aws.target.Target` opened: the SageMaker client, and the
binding the ledger records.

With ``mock`` the embedded mock keeps its account in a file beside the ledger, so
``submit --mock`` and a later ``status --mock`` see the same jobs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sagesweep.aws.client import ClientSettings, Service
from sagesweep.aws.target import Target
from sagesweep.commands.parts import Parts
from sagesweep.ledger import Binding
from sagesweep.logs import get_logger

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Connection", "connect", "mock_state_path"]

log = get_logger("sagesweep.commands.connect")


@dataclass(frozen=True, slots=True)
class Connection:
    client: SageMakerClient
    binding: Binding  #: where the jobs go, as the ledger records it
    settings: ClientSettings  #: how the client was made: another service's is made alike
    parts: Parts

    def open(self, service: Service) -> AbstractAsyncContextManager[Any]:
        """A client of another AWS service (``pricing``, ``service-quotas``) at the same
        target: the same endpoint (the mock answers them too), profile and region."""
        return self.parts.open_service(service, self.settings)


def mock_state_path(ledger: Path) -> Path:
    """Where ``--mock`` keeps the mock's account for the sweep of ``ledger``."""
    return ledger.with_name(ledger.name + ".mock")


@asynccontextmanager
async def connect(target: Target, parts: Parts, ledger: Path | None) -> AsyncIterator[Connection]:
    """A SageMaker client for the target, and the target as a ledger records it.

    ``ledger``: the embedded mock keeps its account beside it; None: in memory only.
    """
    if target.mock:
        async with (
            _mocked(parts, ledger, target.mock_options) as url,
            _client(target, parts, url) as connection,
        ):
            yield connection
    else:
        async with _client(target, parts, target.endpoint_url) as connection:
            yield connection


@asynccontextmanager
async def _mocked(
    parts: Parts, ledger: Path | None, options: tuple[str, ...]
) -> AsyncIterator[str]:
    state = None if ledger is None else mock_state_path(ledger)
    with parts.start_mock(state, options) as url:
        log.info("mock.started", url=url)
        yield url


@asynccontextmanager
async def _client(target: Target, parts: Parts, url: str | None) -> AsyncIterator[Connection]:
    settings = ClientSettings(
        region=target.region,
        profile=target.profile,
        endpoint_url=url,
        mock=target.mock,
        concurrency=target.concurrency,
    )
    async with parts.open_client(settings) as client:
        region = client.meta.region_name
        # Other services' clients go to the region the SageMaker client settled on.
        settings = replace(settings, region=region)
        yield Connection(client, Binding(target.kind, region), settings, parts)
