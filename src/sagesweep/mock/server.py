"""Running the mock: an in-process server on a thread, and the foreground command."""

from __future__ import annotations

import gc
import signal
import sys
import threading
from types import FrameType, TracebackType
from typing import Self

from sagesweep.mock.app import RealismApp
from sagesweep.mock.config import MockConfig
from sagesweep.mock.httpd import HttpServer
from sagesweep.mock.persist import Loaded, StateFileError, StateStore
from sagesweep.mock.stats import MockStats

__all__ = ["MockServer", "serve_forever"]

#: moto's default account; the first live mock gets it, so ARNs look familiar.
_FIRST_ACCOUNT = 123456789012

_accounts_lock = threading.Lock()
_accounts_in_use: dict[str, int] = {}


def _claim_account(wanted: str | None) -> str:
    """An account id for a new mock: ``wanted``, else the lowest one not in use."""
    with _accounts_lock:
        account = wanted
        if account is None:
            number = _FIRST_ACCOUNT
            while str(number) in _accounts_in_use:
                number += 1
            account = str(number)
        _accounts_in_use[account] = _accounts_in_use.get(account, 0) + 1
        return account


def _release_account(account: str) -> None:
    with _accounts_lock:
        left = _accounts_in_use.get(account, 0) - 1
        if left > 0:
            _accounts_in_use[account] = left
        else:
            _accounts_in_use.pop(account, None)


class MockServer:
    """The mock on a background thread; use as a context manager.

    >>> with MockServer(MockConfig(job_seconds=2)) as srv:  # doctest: +SKIP
    ...     boto3.client("sagemaker", endpoint_url=srv.url, ...)
    """

    def __init__(self, config: MockConfig | None = None) -> None:
        self.config = config if config is not None else MockConfig()
        self._server: HttpServer | None = None
        self._app: RealismApp | None = None
        self._account: str | None = None
        self._store: StateStore | None = None

    @property
    def account_id(self) -> str:
        if self._account is None:
            raise RuntimeError("the mock server is not running")
        return self._account

    @property
    def host(self) -> str:
        return self._running()[0].host

    @property
    def port(self) -> int:
        return self._running()[0].port

    @property
    def url(self) -> str:
        server = self._running()[0]
        return f"http://{server.host}:{server.port}"

    def start(self) -> Self:
        """Load the state file if any, then serve on a background thread.

        Raises StateFileError (a ValueError) if the state file cannot be used.
        """
        if self._server is not None:
            raise RuntimeError("the mock server is already running")
        # Imported late: moto's server modules pull in Flask, which `sagesweep plan` never needs.
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        store, loaded = self._open_state()
        try:
            account = _claim_account(loaded.account_id or self.config.account_id)
        except BaseException:
            if store is not None:
                store.close()
            raise
        try:
            app = RealismApp(
                self.config,
                account_id=account,
                moto_app=DomainDispatcherApplication(create_backend_app),
                sagemaker_app=create_backend_app("sagemaker"),
                store=store,
            )
            # A previous mock on this account may have left resources in moto.
            app.clear_moto()
            if store is not None:
                app.restore(loaded.jobs)
                store.start(app.snapshot)
            server = HttpServer(self.config.host, self.config.port, app, name="sagesweep-mock")
            server.start()
        except BaseException:
            if store is not None:
                store.close()
            _release_account(account)
            raise
        self._account, self._app, self._server = account, app, server
        self._store = store
        return self

    def _open_state(self) -> tuple[StateStore | None, Loaded]:
        path = self.config.state_file
        if path is None:
            return None, Loaded(None, [])
        store = StateStore(path)
        loaded = store.open()
        wanted = self.config.account_id
        if loaded.account_id is not None and wanted is not None and wanted != loaded.account_id:
            store.close()
            raise StateFileError(
                path, f"holds account {loaded.account_id}, not the account {wanted} asked for"
            )
        return store, loaded

    def stop(self) -> None:
        """Stop serving; with a state file, save the account and release the file."""
        server, account, store = self._server, self._account, self._store
        self._server = self._app = self._account = self._store = None
        if server is None:
            return
        server.stop()
        if store is not None:
            store.close()
        if account is not None:
            _release_account(account)

    def stats(self) -> MockStats:
        return self._running()[1].stats()

    def reset(self) -> None:
        """Forget all jobs and counters (moto's state of this mock too)."""
        self._running()[1].reset()

    def jobs(self, region: str = "us-east-1") -> dict[str, str]:
        """Job name -> current status, as the mock sees it."""
        return self._running()[1].jobs(region)

    def _running(self) -> tuple[HttpServer, RealismApp]:
        if self._server is None or self._app is None:
            raise RuntimeError("the mock server is not running")
        return self._server, self._app

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(config: MockConfig) -> None:
    """Run the mock in the foreground until SIGINT or SIGTERM, then return.

    The first line on stdout is ``listening on http://HOST:PORT``, flushed, so a
    parent process can read the address before anything else.
    """
    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    watched = (signal.SIGINT, signal.SIGTERM)
    previous = {signum: signal.signal(signum, on_signal) for signum in watched}
    try:
        with MockServer(config) as server:
            # Everything loaded so far (moto, its backends, a state file's jobs) lives
            # as long as the process: keep the collector from walking it again and
            # again, which costs every request a share. The process is the mock's own.
            gc.collect()
            gc.freeze()
            sys.stdout.write(f"listening on {server.url}\n")
            sys.stdout.flush()
            # A timed wait keeps the main thread responsive to signals everywhere.
            while not stopping.wait(0.5):
                pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
