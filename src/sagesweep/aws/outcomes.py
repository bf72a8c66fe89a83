"""What a failed AWS call means for the caller: the one place that reads botocore errors.

Every exception an aiobotocore call raises goes through :func:`classify`, which answers
with an :class:`ErrorKind`. The kinds are sorted by the two questions a caller of a
*create* has to answer: did the request take effect, and can trying again help?

==============  ===========================  ===================================
kind            took effect?                 what the engine does
==============  ===========================  ===================================
THROTTLED       no                           slow the shared limiter, retry free
NOT_SENT        no (no connection was made)  wait for the endpoint (one probe at a
                                             time), up to --outage-wait
UNCERTAIN       maybe (5xx, no answer)       retry within budget, then look the
                                             job up by name before calling it failed
CAPACITY        no (instance quota)          park the instance type
EXISTS          the name is taken            look the job up by name
NOT_FOUND       (reads) no such resource     a job that does not exist
PERMANENT       no (the service refused it)  record the failure
==============  ===========================  ===================================

A 5xx counts as UNCERTAIN: a server may fail after it applied a request. Because a job's
name is its content digest, retrying an uncertain create is always safe: if the first
try took effect, the retry meets ``ResourceInUse``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

__all__ = ["OUTCOMES", "Classified", "ErrorKind", "classify", "outcome_of"]


class ErrorKind(enum.Enum):
    """What a caller should do about a failed call; see the module docstring."""

    THROTTLED = "throttled"
    NOT_SENT = "not_sent"
    UNCERTAIN = "uncertain"
    CAPACITY = "capacity"
    EXISTS = "exists"
    NOT_FOUND = "not_found"
    PERMANENT = "permanent"

    @property
    def retryable(self) -> bool:
        """Worth another try (after a back-off) within the job's retry budget."""
        return self in (ErrorKind.NOT_SENT, ErrorKind.UNCERTAIN)


@dataclass(frozen=True, slots=True)
class Classified:
    """A failed call, sorted: its kind, the service's code and message."""

    kind: ErrorKind
    code: str
    message: str


THROTTLE_CODES = frozenset(
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
#: Server-side failures: the request reached the service, which may or may not have
#: applied it before failing.
SERVER_ERROR_CODES = frozenset(
    {
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "InternalServerException",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# SageMaker answers a Describe of an unknown job with ValidationException "Requested
# resource not found."; moto says "Could not find training job ...".
_NOT_FOUND_MESSAGE = re.compile(r"not found|could not find|does not exist", re.IGNORECASE)


def _client_error(exc: BaseException) -> tuple[str, str, int] | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    error = response.get("Error") or {}
    code = str(error.get("Code") or "")
    message = str(error.get("Message") or "")
    status = int((response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 0)
    return code, message, status


def _service_answer(code: str, message: str, status: int) -> Classified:
    if code == "ResourceInUse":
        return Classified(ErrorKind.EXISTS, code, message)
    if code == "ResourceLimitExceeded":
        return Classified(ErrorKind.CAPACITY, code, message)
    if code in THROTTLE_CODES or status == 429:
        return Classified(ErrorKind.THROTTLED, code, message)
    if code == "ResourceNotFound" or (
        code == "ValidationException" and _NOT_FOUND_MESSAGE.search(message)
    ):
        return Classified(ErrorKind.NOT_FOUND, code, message)
    if code in SERVER_ERROR_CODES or status >= 500:
        return Classified(ErrorKind.UNCERTAIN, code or str(status), message)
    return Classified(ErrorKind.PERMANENT, code or str(status), message)


def _never_connected(exc: BaseException) -> bool:
    """True only when the exception proves no byte of the request left this machine."""
    import socket

    from botocore import exceptions as bx

    if isinstance(exc, bx.ConnectTimeoutError):
        return True
    if isinstance(exc, bx.EndpointConnectionError):
        # aiobotocore raises EndpointConnectionError both for a refused connect and for
        # an established connection that broke (aiohttp's ClientOSError): only the
        # wrapped connector error (or a failed DNS lookup) proves nothing was sent.
        from aiohttp import ClientConnectorError

        cause = getattr(exc, "kwargs", {}).get("error")
        return isinstance(cause, ClientConnectorError | socket.gaierror)
    return False


def classify(exc: BaseException) -> Classified:
    """Sort an exception raised by an AWS call into an :class:`ErrorKind`."""
    # Imported here: planning never needs botocore's exception classes.
    from botocore import exceptions as bx

    parsed = _client_error(exc)
    if parsed is not None:
        return _service_answer(*parsed)
    name = type(exc).__name__
    if _never_connected(exc):
        return Classified(ErrorKind.NOT_SENT, name, str(exc))
    # Sent, and no usable answer came back: the call may have taken effect.
    if isinstance(exc, bx.HTTPClientError | bx.ConnectionError | ConnectionError | TimeoutError):
        return Classified(ErrorKind.UNCERTAIN, name, str(exc))
    return Classified(ErrorKind.PERMANENT, name, str(exc))


#: What a call came to, as a load test counts it (:func:`outcome_of`).
OUTCOMES = ("ok", "throttled", "5xx", "dropped", "timed_out", "not_sent", "refused")


def outcome_of(exc: BaseException | None) -> str:
    """How a call ended, for counting: ``ok`` (no exception), ``throttled``, ``5xx``,
    ``dropped`` (sent, the connection closed without an answer), ``timed_out`` (no
    answer within the read timeout), ``not_sent`` (no connection) or ``refused`` (any
    other answer of the service: a 4xx such as ResourceInUse or a validation error)."""
    if exc is None:
        return "ok"
    from botocore import exceptions as bx

    parsed = _client_error(exc)
    if parsed is not None:
        code, _, status = parsed
        if code in THROTTLE_CODES or status == 429:
            return "throttled"
        if code in SERVER_ERROR_CODES or status >= 500:
            return "5xx"
        return "refused"
    if _never_connected(exc):
        return "not_sent"
    if isinstance(exc, bx.ReadTimeoutError | TimeoutError):
        return "timed_out"
    return "dropped"
