"""The HTTP server under the mock: persistent connections and a pool of worker threads.

cheroot keeps every HTTP/1.1 connection open between requests, as AWS's endpoints do,
so a client pays one TCP connect per pooled connection instead of one per call. An
idle connection waits in a selector and holds no thread; a request on it is handed
to one of a fixed pool of worker threads.

The server runs on a daemon thread. Its pool is started from that thread, so the
workers are daemon threads too: a process that exits without stopping the mock is
not held open by them.
"""

from __future__ import annotations

import errno
import select
import socket
import threading
from typing import Any
from wsgiref.types import WSGIApplication

from cheroot import wsgi

from sagesweep.mock.transport import SOCKET_KEY

__all__ = ["WORKERS", "HttpServer"]

#: Requests served at once. A request keeps its worker through the configured
#: latency and a state file's fsync, so the pool is wider than the usual client's
#: connection pool; idle connections cost no worker.
WORKERS = 64
#: Listen backlog: a burst of clients connecting at once must not see a SYN dropped
#: (the client would wait a second before sending it again).
_BACKLOG = 1024
#: A connection idle this long is closed. Longer than the idle timeout of botocore's
#: and aiohttp's pools, so the client is the one that hangs up an idle connection,
#: which it does safely, never on a request it is sending.
_IDLE_SECONDS = 60
#: Idle connections kept open at most: more than the open files a process may have,
#: so in practice every client keeps every connection it opened.
_MAX_IDLE_CONNECTIONS = 100_000
#: How often the connection selector wakes up when nothing happens: the longest
#: stop() waits for it.
_TICK_SECONDS = 0.05
#: How long a worker waits for the next request on the connection it just answered.
_LINGER_MS = 50
#: How long stop() lets the requests in flight finish before cutting them off.
_GRACE_SECONDS = 2


class _Collected:
    """Stands in for a connection's writer while a response is made: keeps the bytes."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, plus the client's socket (to hang up on it), and
    each response sent in one piece.

    cheroot sends the status line and headers, then the body, in two writes: two
    packets, and a client that wakes up twice per answer. The mock's answers are
    small and whole, so they are gathered and written at once.
    """

    def respond(self) -> None:
        connection = self.req.conn
        writer = connection.wfile
        collected = _Collected()
        connection.wfile = collected
        try:
            super().respond()
        finally:
            connection.wfile = writer
            if collected.parts:
                # A socket the app hung up on fails here, like any client gone away.
                writer.write(b"".join(collected.parts))

    # cheroot's stubs say the base class returns None; it returns the environ.
    def get_environ(self) -> dict[str, Any]:  # type: ignore[override]
        environ: dict[str, Any] = super().get_environ()  # type: ignore[no-untyped-call]
        environ[SOCKET_KEY] = self.req.conn.socket
        return environ


class _Server(wsgi.Server):
    """cheroot's WSGI server, minus a socket left open when the address is taken."""

    @staticmethod
    def bind_socket(socket_: socket.socket, bind_addr: tuple[str, int]) -> socket.socket:
        try:
            socket_.bind(bind_addr)
        except OSError:
            socket_.close()
            raise
        return socket_

    def put_conn(self, conn: Any) -> None:
        """Serve the connection's next request on this worker if it comes soon.

        A client with a pool sends its next call on a connection soon after the
        answer. Waiting for it here, while another worker is free for everyone else,
        saves the trip through the selector thread and the pool's queue. A quiet
        connection goes back to the selector as usual.
        """
        try:
            while self.ready and self.requests.idle > 0 and _next_request(conn):
                if not conn.communicate():
                    conn.close()
                    return
        except Exception:  # a worker must survive whatever one connection does
            conn.close()
            return
        super().put_conn(conn)


def _next_request(conn: Any) -> bool:
    """Whether the connection has more to read (buffered already, or within the wait)."""
    if conn.rfile.has_data():
        return True
    poller = select.poll()
    poller.register(conn.socket, select.POLLIN)
    return bool(poller.poll(_LINGER_MS))


class HttpServer:
    """A WSGI app served on ``host:port`` from a background thread until stop()."""

    def __init__(self, host: str, port: int, app: WSGIApplication, *, name: str) -> None:
        server = _Server(
            (host, port),
            app,
            numthreads=WORKERS,
            request_queue_size=_BACKLOG,
            timeout=_IDLE_SECONDS,
            shutdown_timeout=_GRACE_SECONDS,
        )
        server.gateway = _Gateway
        server.keep_alive_conn_limit = _MAX_IDLE_CONNECTIONS
        server.expiration_interval = _TICK_SECONDS
        self._server = server
        self._wanted = (host, port)
        self._name = name
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return str(self._server.bind_addr[0])

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    def start(self) -> None:
        """Listen, then serve on a daemon thread; raises OSError if it cannot listen."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            try:
                self._server.prepare()
            except BaseException as exc:  # handed to start(), which raises it
                failure.append(exc)
                return
            finally:
                ready.set()
            self._server.serve()

        thread = threading.Thread(target=run, name=self._name, daemon=True)
        thread.start()
        ready.wait()
        if failure:
            thread.join()
            raise _listen_error(self._wanted, failure[0])
        self._thread = thread

    def stop(self) -> None:
        """Stop accepting, close idle connections, let requests in flight finish."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._server.stop()
        thread.join()


def _listen_error(address: tuple[str, int], exc: BaseException) -> BaseException:
    """cheroot's bind failure, said in one line with the address and the OS's reason."""
    if not isinstance(exc, OSError):
        return exc
    cause = exc.__cause__ if isinstance(exc.__cause__, OSError) else exc
    reason = cause.strerror or str(cause)
    host, port = address
    return OSError(cause.errno or errno.EADDRNOTAVAIL, f"cannot listen on {host}:{port}: {reason}")
