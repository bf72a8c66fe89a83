"""Where a command's AWS calls go, and how fast: one value, built once, passed down.

A :class:`Target` is AWS itself, the embedded mock (``mock``) or another endpoint
(``endpoint_url``), with the region and profile, the call rates and the concurrency --
the way httpx takes ``transport=``. Every command takes one; its defaults are defined
here and nowhere else. The CLI's options and the Python API's keywords both become a
target in one place, :func:`target_of`, which is also where the options are checked.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Literal, TypedDict, Unpack
from urllib.parse import urlsplit

from sagesweep.errors import InputError

__all__ = [
    "DEFAULT_CONCURRENCY",
    "DEFAULT_RATE",
    "DEFAULT_READ_RATE",
    "MAX_CONCURRENCY",
    "MIN_RATE",
    "Target",
    "TargetKeywords",
    "TargetKind",
    "check_endpoint_url",
    "target_of",
]

#: calls/s for creates: well inside SageMaker's default API limits; adapts down on throttling.
DEFAULT_RATE = 2.0
#: calls/s for reads (Search, Describe, List): cheap for the service; adapts down too.
DEFAULT_READ_RATE = 5.0
#: AWS calls in flight at once; also the HTTP connection pool's size.
DEFAULT_CONCURRENCY = 16
MAX_CONCURRENCY = 1024
#: The adaptive limiter never goes below this, so no rate may be set lower.
MIN_RATE = 0.5

TargetKind = Literal["aws", "mock", "endpoint"]


class TargetKeywords(TypedDict, total=False):
    """The Python API's keywords for a target; None means "not given" (the default)."""

    mock: bool
    mock_options: tuple[str, ...]
    endpoint_url: str | None
    region: str | None
    profile: str | None
    rate: float | None
    read_rate: float | None
    concurrency: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """See the module docstring; build one with :func:`target_of`."""

    mock: bool = False  #: the embedded mock, its account kept beside the ledger
    #: The embedded mock's settings, KEY=VALUE (remembered beside its account).
    mock_options: tuple[str, ...] = ()
    endpoint_url: str | None = None  #: another SageMaker endpoint (a `sagesweep mock`...)
    region: str | None = None  #: None: the configured one (us-east-1 for a mock)
    profile: str | None = None
    rate: float = DEFAULT_RATE  #: creates/s at most
    read_rate: float = DEFAULT_READ_RATE  #: reads/s at most
    concurrency: int = DEFAULT_CONCURRENCY

    def __post_init__(self) -> None:
        if self.mock_options and not self.mock:
            message = "mock options need the embedded mock (--mock)"
            raise InputError.one("<options>", "", "mock_options", message)
        if self.mock and self.endpoint_url:
            message = "mock and endpoint_url are exclusive: pick one target"
            raise InputError.one("<options>", "", "endpoint_url", message)
        if self.endpoint_url is not None:
            check_endpoint_url(self.endpoint_url)
        for name in ("rate", "read_rate"):
            value = getattr(self, name)
            if not value >= MIN_RATE:
                raise InputError.one(
                    "<options>", "", name, f"must be at least {MIN_RATE} calls/s (got {value})"
                )
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise InputError.one(
                "<options>",
                "",
                "concurrency",
                f"must be 1 to {MAX_CONCURRENCY} (got {self.concurrency})",
            )

    @property
    def kind(self) -> TargetKind:
        return "mock" if self.mock else "endpoint" if self.endpoint_url else "aws"


def check_endpoint_url(url: str) -> None:
    """Raise :class:`InputError` naming ``--endpoint-url`` unless botocore can use ``url``.

    botocore raises a bare ``ValueError`` for a URL it cannot use, and only when the
    client is made; the same test, made early, turns it into one line of bad input.
    """
    from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port raises ValueError for a bad one
        usable = parts.scheme in ("http", "https") and bool(
            is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)
        )
        reason = "" if usable else "; give an http(s) URL such as http://localhost:8080"
    except ValueError as exc:
        usable, reason = False, f": {exc}"
    if not usable:
        raise InputError.one("<cli>", "", "--endpoint-url", f"{url!r} is not a usable URL{reason}")


_FIELDS = tuple(f.name for f in fields(Target))


def target_of(target: Target | None = None, **keywords: Unpack[TargetKeywords]) -> Target:
    """``target`` (default: AWS, default rates) with the ``keywords`` given laid over it."""
    chosen: dict[str, object] = {} if target is None else {f: getattr(target, f) for f in _FIELDS}
    chosen.update({key: value for key, value in keywords.items() if value is not None})
    return Target(**chosen)  # type: ignore[arg-type]
