"""The one exceptions module, and the one place that classifies AWS errors.

Tree::

    SagesweepError
    ├── InputError            bad sweep file / bad CLI input: exit code 2
    │   └── PlanError         one or more problems found while planning
    ├── LedgerLockedError     another submitter holds the ledger: exit code 2
    └── CredentialsError      no credentials and no endpoint: exit code 2

AWS errors are not wrapped in exceptions of ours: :func:`classify` turns any
exception raised by a botocore/aiobotocore call into a :class:`Classified`
value the engine acts on.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "Classified",
    "CredentialsError",
    "ErrorKind",
    "InputError",
    "LedgerLockedError",
    "PlanError",
    "Problem",
    "SagesweepError",
    "classify",
]

#: How many problems a plan error prints before it only counts the rest.
DEFAULT_MAX_PROBLEMS = 50


class SagesweepError(Exception):
    """Base of every error sagesweep raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, printable as one line."""

    source: str  #: the file (or "<cli>")
    subject: str  #: the job name or parameter the problem belongs to; "" if global
    field: str  #: the field path inside the request / sweep file; "" if none
    message: str

    def __str__(self) -> str:
        parts = [self.source or "<input>"]
        if self.subject:
            parts.append(self.subject)
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return ": ".join(_one_line(p) for p in parts)


def _one_line(text: str) -> str:
    """A problem is one line whatever a file held: control characters are escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(SagesweepError):
    """Bad input. Printed as one line per problem, exit code 2."""

    exit_code = 2

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        max_shown: int = DEFAULT_MAX_PROBLEMS,
        total: int | None = None,
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.total = len(self.problems) if total is None else total
        self.max_shown = max_shown
        super().__init__("\n".join(self.lines()))

    @classmethod
    def one(cls, source: str, subject: str, field: str, message: str) -> InputError:
        return cls([Problem(source, subject, field, message)])

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[: self.max_shown]]
        hidden = self.total - len(shown)
        if hidden > 0:
            shown.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''}")
        return shown


class PlanError(InputError):
    """Problems found while expanding / rendering / validating a plan."""


class LedgerLockedError(SagesweepError):
    """Another process holds the ledger lock."""

    exit_code = 2

    def __init__(self, path: str, holder: str = "") -> None:
        self.path = path
        self.holder = holder
        who = f" (held by {holder})" if holder else ""
        super().__init__(
            f"{path}: ledger is locked by another sagesweep submit{who}; "
            "wait for it to finish or use another --ledger"
        )


class CredentialsError(SagesweepError):
    """No AWS credentials and no local endpoint to talk to."""

    exit_code = 2

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            "no AWS credentials found"
            f"{extra}; configure a profile (--profile) or environment credentials, "
            "or try the local mock with --mock"
        )


class ErrorKind(enum.Enum):
    """What the engine should do about a failed call."""

    THROTTLED = "throttled"  #: slow the shared limiter, retry without spending budget
    TRANSIENT = "transient"  #: the request did not take effect: back off and retry
    AMBIGUOUS = "ambiguous"  #: the request may have taken effect: retry reconciles
    CAPACITY = "capacity"  #: quota reached for an instance type: hold that type
    EXISTS = "exists"  #: the name is taken: describe it and record it
    PERMANENT = "permanent"  #: retrying cannot help


@dataclass(frozen=True, slots=True)
class Classified:
    kind: ErrorKind
    code: str
    message: str


_THROTTLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
_TRANSIENT_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
        "RequestExpired",
    }
)


def _client_error(exc: BaseException) -> tuple[str, str, int] | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    return code, message, status


def classify(exc: BaseException) -> Classified:
    """Turn an exception from an AWS call into what to do about it.

    The one boundary between botocore's error vocabulary and ours.
    """
    # Imported here: planning never needs botocore's exception classes.
    from botocore import exceptions as bx

    parsed = _client_error(exc)
    if parsed is not None:
        code, message, status = parsed
        if code == "ResourceInUse":
            return Classified(ErrorKind.EXISTS, code, message)
        if code == "ResourceLimitExceeded":
            return Classified(ErrorKind.CAPACITY, code, message)
        if code in _THROTTLE_CODES or status == 429:
            return Classified(ErrorKind.THROTTLED, code, message)
        if code in _TRANSIENT_CODES or status >= 500:
            return Classified(ErrorKind.TRANSIENT, code or str(status), message)
        return Classified(ErrorKind.PERMANENT, code or str(status), message)
    name = type(exc).__name__
    # Sent, but no answer came back: the call may have taken effect.
    if isinstance(exc, bx.ReadTimeoutError | bx.ConnectionClosedError):
        return Classified(ErrorKind.AMBIGUOUS, name, str(exc))
    # Never connected: nothing was sent.
    if isinstance(exc, bx.ConnectTimeoutError | bx.EndpointConnectionError):
        # aiobotocore maps a reset of an established connection to
        # EndpointConnectionError too, so it cannot prove nothing was sent.
        return Classified(ErrorKind.AMBIGUOUS, name, str(exc))
    if isinstance(exc, bx.HTTPClientError | ConnectionError | TimeoutError):
        return Classified(ErrorKind.AMBIGUOUS, name, str(exc))
    return Classified(ErrorKind.PERMANENT, name, str(exc))
