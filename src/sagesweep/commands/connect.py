"""A :class:`~sagesweep.aws.target.Target` opened: the SageMaker client, and the
binding the ledger records.

With ``mock`` the embedded mock keeps its account in a file beside the ledger, so
``submit --mock`` and a later ``status --mock`` see the same jobs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from sagesweep.aws.client import ClientSettings
from sagesweep.aws.target import Target
from sagesweep.commands.parts import Parts
from sagesweep.ledger import Binding

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Connection", "connect", "mock_state_path"]

log = structlog.get_logger("sagesweep.commands.connect")


@dataclass(frozen=True, slots=True)
class Connection:
    client: SageMakerClient
    binding: Binding  #: where the jobs go, as the ledger records it


def mock_state_path(ledger: Path) -> Path:
    """Where ``--mock`` keeps the mock's account for the sweep of ``ledger``."""
    return ledger.with_name(ledger.name + ".mock")


@asynccontextmanager
async def connect(target: Target, parts: Parts, ledger: Path) -> AsyncIterator[Connection]:
    """A SageMaker client for the target, and the target as a ledger records it."""
    if target.mock:
        async with _mocked(parts, ledger) as url, _client(target, parts, url) as connection:
            yield connection
    else:
        async with _client(target, parts, target.endpoint_url) as connection:
            yield connection


@asynccontextmanager
async def _mocked(parts: Parts, ledger: Path) -> AsyncIterator[str]:
    with parts.start_mock(mock_state_path(ledger)) as url:
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
        yield Connection(client, Binding(target.kind, client.meta.region_name))
