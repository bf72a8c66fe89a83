"""Where a command's AWS calls go: AWS itself, the embedded mock, or another endpoint.

Every command that talks to SageMaker takes the same target options. With ``--mock``
the embedded mock keeps its account in a file beside the ledger, so ``submit --mock``
and a later ``status --mock`` see the same jobs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

from sagesweep.aws.client import ClientSettings, check_endpoint_url
from sagesweep.commands.parts import Parts
from sagesweep.errors import InputError
from sagesweep.ledger import Target
from sagesweep.ledger.binding import TargetKind

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Connection", "TargetOptions", "connect", "mock_state_path"]

log = structlog.get_logger("sagesweep.commands.connect")


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetOptions:
    """The target options every AWS-facing command takes."""

    mock: bool = False
    endpoint_url: str | None = None
    region: str | None = None
    profile: str | None = None
    concurrency: int = 16

    def __post_init__(self) -> None:
        if self.mock and self.endpoint_url:
            raise InputError.one(
                "<options>",
                "",
                "endpoint_url",
                "mock and endpoint_url are exclusive: pick one target",
            )
        if self.endpoint_url is not None:
            check_endpoint_url(self.endpoint_url)

    @property
    def kind(self) -> TargetKind:
        return "mock" if self.mock else "endpoint" if self.endpoint_url else "aws"


@dataclass(frozen=True, slots=True)
class Connection:
    client: SageMakerClient
    target: Target


def mock_state_path(ledger: Path) -> Path:
    """Where ``--mock`` keeps the mock's account for the sweep of ``ledger``."""
    return ledger.with_name(ledger.name + ".mock")


@asynccontextmanager
async def connect(options: TargetOptions, parts: Parts, ledger: Path) -> AsyncIterator[Connection]:
    """A SageMaker client for the target, and the target as a ledger records it."""
    if options.mock:
        async with _mocked(parts, ledger) as url, _client(options, parts, url) as connection:
            yield connection
    else:
        async with _client(options, parts, options.endpoint_url) as connection:
            yield connection


@asynccontextmanager
async def _mocked(parts: Parts, ledger: Path) -> AsyncIterator[str]:
    with parts.start_mock(mock_state_path(ledger)) as url:
        log.info("mock.started", url=url)
        yield url


@asynccontextmanager
async def _client(
    options: TargetOptions, parts: Parts, url: str | None
) -> AsyncIterator[Connection]:
    settings = ClientSettings(
        region=options.region,
        profile=options.profile,
        endpoint_url=url,
        mock=options.mock,
        concurrency=options.concurrency,
    )
    async with parts.open_client(settings) as client:
        yield Connection(client, Target(options.kind, client.meta.region_name))
