"""The request side of the wire: body, region, and hanging up on a client."""

from __future__ import annotations

import contextlib
import io
import re
import socket
from wsgiref.types import WSGIEnvironment

__all__ = ["DEFAULT_REGION", "SOCKET_KEY", "drop_connection", "read_body", "request_region"]

DEFAULT_REGION = "us-east-1"
#: The environ key under which the server puts the client's socket.
SOCKET_KEY = "sagesweep.socket"
# The same places, in the same order, that moto reads the region from, so the
# mock's uniqueness key and moto's own storage agree.
_HOST_REGION = re.compile(r"\.(?P<region>[^.]+)\.amazonaws\.com")
_AGENT_REGION = re.compile(r"region/(?P<region>[a-z]{2}-[a-z]+-\d{1})")


def request_region(environ: WSGIEnvironment) -> str:
    """The region moto will file this request under (SigV4 scope, else us-east-1)."""
    for key, pattern in (("HTTP_HOST", _HOST_REGION), ("HTTP_USER_AGENT", _AGENT_REGION)):
        match = pattern.search(environ.get(key, ""))
        if match:
            return match.group("region")
    auth: str = environ.get("HTTP_AUTHORIZATION", "")
    if "AWS4" in auth:
        parts = auth.split(",")[0].split("/")
        if len(parts) > 2:
            return parts[2]
    return DEFAULT_REGION


def read_body(environ: WSGIEnvironment) -> bytes:
    """Read the request body and put it back so moto can read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client's connection before any byte of the response is written.

    The server then fails to write the response, takes it for a client that went
    away and forgets the connection instead of keeping it open; the client sees
    its connection closed with no answer, as when a reply is lost on the way.
    """
    sock = environ.get(SOCKET_KEY)
    if isinstance(sock, socket.socket):
        # Already gone is fine: the client sees the same thing.
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
