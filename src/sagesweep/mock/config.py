"""What the mock should pretend: faults, limits and timings, as one frozen value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_STOPPING_SECONDS",
    "MockConfig",
    "parse_quotas",
]

DEFAULT_HOST = "127.0.0.1"
#: 0 lets the operating system pick a free port.
DEFAULT_PORT = 0
#: How long a stopped job stays ``Stopping`` before it is ``Stopped``.
DEFAULT_STOPPING_SECONDS = 0.5


def _empty_quotas() -> Mapping[str, int]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class MockConfig:
    """Settings of one mock server. Every field has a harmless default."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Tokens per second of the control-plane token bucket; ``None`` never throttles.
    throttle_rate: float | None = None
    #: Bucket size; ``None`` means one second's worth of tokens (at least 1).
    throttle_burst: int | None = None
    #: Probability that a control-plane call fails with HTTP 500 before doing anything.
    error_rate: float = 0.0
    #: Probability that a CreateTrainingJob takes effect and then gets no response.
    drop_rate: float = 0.0
    #: Added to every control-plane call.
    latency_ms: float = 0.0
    #: Instance type -> number of instances that InProgress jobs may hold at once.
    quotas: Mapping[str, int] = field(default_factory=_empty_quotas)
    #: How long a job stays ``InProgress``; 0 completes it at once.
    job_seconds: float = 0.0
    #: Seeds the fault dice so a chaos run can be replayed.
    seed: int | None = None
    stopping_seconds: float = DEFAULT_STOPPING_SECONDS
    #: moto account the jobs live in; ``None`` picks one no other live mock uses.
    account_id: str | None = None

    def __post_init__(self) -> None:
        # Checked here so a bad value fails at construction, not on the first request.
        if self.throttle_rate is not None and not self.throttle_rate > 0:
            raise ValueError(f"throttle_rate must be > 0, got {self.throttle_rate}")
        if self.throttle_burst is not None and self.throttle_burst < 1:
            raise ValueError(f"throttle_burst must be >= 1, got {self.throttle_burst}")
        for name in ("error_rate", "drop_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        for name in ("latency_ms", "job_seconds", "stopping_seconds"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        for instance_type, limit in self.quotas.items():
            if limit < 0:
                raise ValueError(f"quota for {instance_type} must be >= 0, got {limit}")
        if self.account_id is not None and not (
            len(self.account_id) == 12 and self.account_id.isdigit()
        ):
            raise ValueError(f"account_id must be 12 digits, got {self.account_id!r}")
        # A caller's dict must not change the config behind its back.
        object.__setattr__(self, "quotas", MappingProxyType(dict(self.quotas)))

    @property
    def burst(self) -> int:
        """The effective bucket size."""
        if self.throttle_burst is not None:
            return self.throttle_burst
        return max(1, math.ceil(self.throttle_rate or 1.0))


def parse_quotas(items: Iterable[str]) -> dict[str, int]:
    """Parse ``INSTANCE_TYPE=N`` strings, as given to ``--quota``.

    Raises ValueError with a one-line message on the first bad item.
    """
    quotas: dict[str, int] = {}
    for item in items:
        instance_type, sep, count = item.partition("=")
        instance_type = instance_type.strip()
        count = count.strip()
        if not sep or not instance_type:
            raise ValueError(f"expected INSTANCE_TYPE=N, got {item!r}")
        if not instance_type.startswith("ml."):
            raise ValueError(f"instance type must look like ml.p3.2xlarge, got {instance_type!r}")
        try:
            limit = int(count)
        except ValueError:
            raise ValueError(
                f"quota for {instance_type} must be an integer, got {count!r}"
            ) from None
        if limit < 0:
            raise ValueError(f"quota for {instance_type} must be >= 0, got {limit}")
        if instance_type in quotas and quotas[instance_type] != limit:
            raise ValueError(f"conflicting quotas for {instance_type}")
        quotas[instance_type] = limit
    return quotas
