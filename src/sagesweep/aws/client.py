"""The client factories: session, profile, region, endpoint, pool size.

SDK retries are off (one attempt per call): the engine owns retries, so that every
attempt is counted, paced and reconciled against the job name. Besides SageMaker, a
command may open the Price List (``pricing``) and Service Quotas (``service-quotas``)
clients with the same settings (:func:`service_client`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from sagesweep.aws.target import DEFAULT_CONCURRENCY, check_endpoint_url
from sagesweep.aws.useragent import reuse_user_agent
from sagesweep.errors import CredentialsError, InputError

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "PRICING_REGION",
    "ClientSettings",
    "Service",
    "sagemaker_client",
    "service_client",
]

DEFAULT_CONNECT_TIMEOUT = 10.0
#: CreateTrainingJob answers in well under a second; a minute without an answer is an
#: ambiguous outcome the engine reconciles, not something to wait on longer.
DEFAULT_READ_TIMEOUT = 60.0
#: Region used against a local endpoint when none is configured.
LOCAL_REGION = "us-east-1"
#: The AWS services sagesweep calls.
Service = Literal["sagemaker", "pricing", "service-quotas", "cloudwatch"]
#: The Price List API answers in a few regions only, whatever region it prices.
PRICING_REGION = "us-east-1"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientSettings:
    region: str | None = None
    profile: str | None = None
    endpoint_url: str | None = None
    #: The endpoint is sagesweep's own mock: sign with stand-in credentials and never
    #: walk the credential chain (which may probe the instance metadata service).
    mock: bool = False
    concurrency: int = DEFAULT_CONCURRENCY
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT


@asynccontextmanager
async def sagemaker_client(settings: ClientSettings) -> AsyncIterator[SageMakerClient]:
    """One aiobotocore SageMaker client for a whole run."""
    async with service_client("sagemaker", settings) as client:
        reuse_user_agent(client)
        yield client


@asynccontextmanager
async def service_client(service: Service, settings: ClientSettings) -> AsyncIterator[Any]:
    """An aiobotocore client of ``service`` (``sagemaker``, ``pricing``, ...)."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession
    from botocore.exceptions import ProfileNotFound

    if settings.endpoint_url is not None:
        check_endpoint_url(settings.endpoint_url)
    try:
        session = AioSession(profile=settings.profile)
        region = settings.region or session.get_config_variable("region")
    except ProfileNotFound as exc:
        raise InputError.one("<cli>", "", "--profile", str(exc)) from None
    local = settings.endpoint_url is not None
    if local and not region:
        region = LOCAL_REGION
    if settings.mock:
        # The mock does not check signatures, but botocore must sign something.
        session.set_credentials("testing", "testing")
    elif await session.get_credentials() is None:
        if not local:
            raise CredentialsError()
        # Another local endpoint (a mock started separately): stand-ins will do.
        session.set_credentials("testing", "testing")
    if not region:
        raise InputError.one(
            "<cli>", "", "--region", "no AWS region configured; pass --region or set AWS_REGION"
        )
    if service == "pricing" and not local:
        region = PRICING_REGION
    config = AioConfig(
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=max(1, settings.concurrency),
        connect_timeout=settings.connect_timeout,
        read_timeout=settings.read_timeout,
        # Every request was checked against the same service model (and more) before
        # anything was sent; botocore checking it again costs CPU on every call.
        parameter_validation=False,
    )
    async with session.create_client(
        service, region_name=region, endpoint_url=settings.endpoint_url, config=config
    ) as client:
        yield client
