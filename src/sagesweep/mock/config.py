"""What the mock should pretend: faults, limits and timings, as one frozen value."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

__all__ = [
    "DEFAULT_FAIL_REASONS",
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "DEFAULT_STOPPING_SECONDS",
    "FAILURE_KINDS",
    "MockConfig",
    "parse_fail_reasons",
    "parse_job_seconds",
    "parse_quotas",
]

DEFAULT_HOST = "127.0.0.1"
#: 0 lets the operating system pick a free port.
DEFAULT_PORT = 0
#: How long a stopped job stays ``Stopping`` before it is ``Stopped``.
DEFAULT_STOPPING_SECONDS = 0.5
#: Points of a job's learning curve (``--curve-points``), and the most allowed.
DEFAULT_CURVE_POINTS = 10
MAX_CURVE_POINTS = 1000


#: The kinds of FailureReason a failing job can end with, as SageMaker prefixes them.
FAILURE_KINDS = ("AlgorithmError", "CapacityError", "InternalServerError")
#: Relative weights of the failure kinds when ``--fail-reasons`` is not given.
DEFAULT_FAIL_REASONS: Mapping[str, float] = MappingProxyType(
    {"AlgorithmError": 2.0, "CapacityError": 2.0, "InternalServerError": 1.0}
)

JobSeconds = float | tuple[float, float]


def _empty_quotas() -> Mapping[str, int]:
    return MappingProxyType({})


def _default_fail_reasons() -> Mapping[str, float]:
    return DEFAULT_FAIL_REASONS


def _bucket_size(rate: float | None, burst: int | None) -> int:
    if burst is not None:
        return burst
    return max(1, math.ceil(rate or 1.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class MockConfig:
    """Settings of one mock server. Every field has a harmless default."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Tokens per second of the control-plane token bucket; ``None`` never throttles.
    #: It covers every SageMaker call whose family has no bucket of its own below.
    throttle_rate: float | None = None
    #: Bucket size; ``None`` means one second's worth of tokens (at least 1).
    throttle_burst: int | None = None
    #: A bucket of its own for reads (Describe*, List*, Search); ``None``: the shared one.
    read_rate: float | None = None
    read_burst: int | None = None
    #: A bucket of its own for StopTrainingJob; ``None``: the shared one.
    stop_rate: float | None = None
    stop_burst: int | None = None
    #: Probability that a control-plane call fails with HTTP 500 before doing anything.
    error_rate: float = 0.0
    #: Probability that a CreateTrainingJob takes effect and then gets no response.
    drop_rate: float = 0.0
    #: Added to every control-plane call.
    latency_ms: float = 0.0
    #: Instance type -> number of instances that InProgress jobs may hold at once.
    quotas: Mapping[str, int] = field(default_factory=_empty_quotas)
    #: Instance type -> instances that can run at once: beyond it a job is created and
    #: then fails in ``Starting`` with a CapacityError (``quotas`` refuse the create).
    capacity: Mapping[str, int] = field(default_factory=_empty_quotas)
    #: How long a job stays ``InProgress``: a number, or ``(low, high)`` drawn per job
    #: from the seed and the job's name; 0 ends it at once.
    job_seconds: JobSeconds = 0.0
    #: How long a cold job stays ``Starting`` before its ``job_seconds`` begin: a number
    #: or ``(low, high)`` drawn per job; 0 makes Starting the first 15 % of job_seconds.
    start_seconds: JobSeconds = 0.0
    #: Instance type -> instances that warm pools may hold (InUse by a job with a
    #: keep-alive, or Available); a type without one has no limit here.
    warm_pool_quotas: Mapping[str, int] = field(default_factory=_empty_quotas)
    #: Points of each metric's learning curve a job publishes to CloudWatch over its
    #: Training phase (:mod:`sagesweep.mock.curves`); 0 publishes none.
    curve_points: int = DEFAULT_CURVE_POINTS
    #: Seconds after its time before a curve point is visible (ingestion delay).
    metric_delay: float = 0.0
    #: Probability that a job ends ``Failed`` instead of ``Completed``.
    fail_rate: float = 0.0
    #: Failure kind -> relative weight among failing jobs (see FAILURE_KINDS).
    fail_reasons: Mapping[str, float] = field(default_factory=_default_fail_reasons)
    #: Seeds the fault dice so a chaos run can be replayed, and decides every job's
    #: fate, duration and metric noise from its name.
    seed: int | None = None
    stopping_seconds: float = DEFAULT_STOPPING_SECONDS
    #: moto account the jobs live in; ``None`` picks one no other live mock uses.
    account_id: str | None = None
    #: Where the account persists between runs; ``None`` keeps it in memory only.
    state_file: Path | None = None

    def __post_init__(self) -> None:
        # Checked here so a bad value fails at construction, not on the first request.
        for family in ("throttle", "read", "stop"):
            rate = getattr(self, f"{family}_rate")
            burst = getattr(self, f"{family}_burst")
            if rate is not None and not rate > 0:
                raise ValueError(f"{family}_rate must be > 0, got {rate}")
            if burst is not None and burst < 1:
                raise ValueError(f"{family}_burst must be >= 1, got {burst}")
        for name in ("error_rate", "drop_rate", "fail_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")
        if not 0 <= self.curve_points <= MAX_CURVE_POINTS:
            raise ValueError(
                f"curve_points must be between 0 and {MAX_CURVE_POINTS}, got {self.curve_points}"
            )
        for name in ("latency_ms", "stopping_seconds", "metric_delay"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        for name in ("job_seconds", "start_seconds"):
            low, high = _seconds_range(getattr(self, name))
            if not (0 <= low <= high and math.isfinite(high)):
                raise ValueError(
                    f"{name} must be a finite number >= 0 or a range low <= high, "
                    f"got {getattr(self, name)}"
                )
        _check_fail_reasons(self.fail_reasons)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port must be between 0 and 65535, got {self.port}")
        limited = (
            ("quota", self.quotas),
            ("capacity", self.capacity),
            ("warm pool quota", self.warm_pool_quotas),
        )
        for what, limits in limited:
            for instance_type, limit in limits.items():
                if limit < 0:
                    raise ValueError(f"{what} for {instance_type} must be >= 0, got {limit}")
        if self.account_id is not None and not (
            len(self.account_id) == 12 and self.account_id.isdigit()
        ):
            raise ValueError(f"account_id must be 12 digits, got {self.account_id!r}")
        # A caller's dict must not change the config behind its back.
        object.__setattr__(self, "quotas", MappingProxyType(dict(self.quotas)))
        object.__setattr__(self, "capacity", MappingProxyType(dict(self.capacity)))
        warm = MappingProxyType(dict(self.warm_pool_quotas))
        object.__setattr__(self, "warm_pool_quotas", warm)
        object.__setattr__(self, "fail_reasons", MappingProxyType(dict(self.fail_reasons)))
        if self.state_file is not None:
            object.__setattr__(self, "state_file", Path(self.state_file))

    @property
    def burst(self) -> int:
        """The effective size of the shared bucket."""
        return _bucket_size(self.throttle_rate, self.throttle_burst)

    @property
    def read_bucket_size(self) -> int:
        return _bucket_size(self.read_rate, self.read_burst)

    @property
    def stop_bucket_size(self) -> int:
        return _bucket_size(self.stop_rate, self.stop_burst)

    @property
    def job_seconds_range(self) -> tuple[float, float]:
        """``(low, high)`` of the job duration; equal for a fixed duration."""
        return _seconds_range(self.job_seconds)

    @property
    def start_seconds_range(self) -> tuple[float, float]:
        """``(low, high)`` of a cold start's Starting phase."""
        return _seconds_range(self.start_seconds)


def _seconds_range(value: JobSeconds) -> tuple[float, float]:
    if isinstance(value, tuple):
        low, high = value
        return float(low), float(high)
    return float(value), float(value)


def _check_fail_reasons(weights: Mapping[str, float]) -> None:
    for kind, weight in weights.items():
        if kind not in FAILURE_KINDS:
            raise ValueError(
                f"failure kind must be one of {', '.join(FAILURE_KINDS)}, got {kind!r}"
            )
        if not (weight >= 0 and math.isfinite(weight)):
            raise ValueError(f"weight of {kind} must be a finite number >= 0, got {weight}")
    if not any(weight > 0 for weight in weights.values()):
        raise ValueError("at least one failure kind must have a weight > 0")


def parse_job_seconds(text: str) -> JobSeconds:
    """``"30"`` -> 30.0; ``"1-3"`` -> (1.0, 3.0). ValueError with one line otherwise."""
    low_text, sep, high_text = text.strip().partition("-")
    try:
        low = float(low_text)
        high = float(high_text) if sep else low
    except ValueError:
        raise ValueError(f"expected SECONDS or MIN-MAX, got {text!r}") from None
    if not (0 <= low <= high and math.isfinite(high)):
        raise ValueError(f"expected 0 <= MIN <= MAX, finite, got {text!r}")
    return (low, high) if sep else low


def parse_fail_reasons(text: str) -> dict[str, float]:
    """``"CapacityError=2,AlgorithmError=1"`` -> weights. ValueError with one line otherwise."""
    weights: dict[str, float] = {}
    for item in text.split(","):
        kind, sep, weight_text = item.partition("=")
        kind = kind.strip()
        if not sep or not kind:
            raise ValueError(f"expected KIND=WEIGHT, got {item.strip()!r}")
        try:
            weight = float(weight_text)
        except ValueError:
            raise ValueError(f"weight of {kind} must be a number, got {weight_text!r}") from None
        if kind in weights:
            raise ValueError(f"{kind} is given twice")
        weights[kind] = weight
    _check_fail_reasons(weights)
    return weights


def parse_quotas(items: Iterable[str], what: str = "quota") -> dict[str, int]:
    """Parse ``INSTANCE_TYPE=N`` strings, as given to ``--quota`` (or ``--capacity``).

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
                f"{what} for {instance_type} must be an integer, got {count!r}"
            ) from None
        if limit < 0:
            raise ValueError(f"{what} for {instance_type} must be >= 0, got {limit}")
        if instance_type in quotas and quotas[instance_type] != limit:
            raise ValueError(f"conflicting {what} values for {instance_type}")
        quotas[instance_type] = limit
    return quotas
