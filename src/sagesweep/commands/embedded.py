"""The embedded mock behind ``--mock``: this sweep's local account, whichever command asks.

The account lives in a state file beside the ledger (``<ledger>.mock``). The first
command to open it serves it, and writes its address beside it (``<ledger>.mock.endpoint``:
the URL and its pid). Another command (a ``status --mock`` in a second terminal while a
``submit --mock`` runs) finds the state file held, reads that address, checks that the
process is alive and the mock answers, and talks to it: ``--mock`` means this sweep's
account everywhere, as AWS would.

What the mock does is its settings: by default jobs run 3-8 s and about 15 % fail (a
trial run shows progress, failures and something to resubmit). ``--mock-option KEY=VALUE``
changes them (``job_seconds=1-2``, ``fail_rate=0``, ``seed=3``, ``quota=ml.p3.2xlarge=2``,
...; docs/mock.md lists them), and they are remembered beside the account
(``<ledger>.mock.options``), so a later ``--mock`` command without options sees the same
mock.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError, StorageError

__all__ = [
    "EMBEDDED_SETTINGS",
    "MOCK_OPTIONS",
    "embedded_mock",
    "parse_mock_options",
]

#: seconds to wait for a command that is closing the account to let it go.
HANDOVER_WAIT = 10.0
#: How the embedded mock runs jobs unless told otherwise (its MockConfig fields).
EMBEDDED_SETTINGS: Mapping[str, Any] = {"job_seconds": (3.0, 8.0), "fail_rate": 0.15, "seed": 7}
#: The settings --mock-option may set, and what each takes.
MOCK_OPTIONS: Mapping[str, str] = {
    "job_seconds": "SECONDS or MIN-MAX",
    "start_seconds": "SECONDS or MIN-MAX (a cold start's Starting phase)",
    "fail_rate": "a probability, 0-1",
    "fail_reasons": "KIND=W,... (AlgorithmError, CapacityError, InternalServerError)",
    "seed": "an integer",
    "error_rate": "a probability, 0-1",
    "drop_rate": "a probability, 0-1",
    "latency_ms": "milliseconds",
    "throttle_rate": "calls per second",
    "quota": "TYPE=N,... (instances a type may hold)",
    "capacity": "TYPE=N,... (instances of a type that can run at once)",
    "warm_pool_quota": "TYPE=N,... (instances a type's warm pools may hold)",
}


def parse_mock_options(items: Sequence[str]) -> dict[str, str]:
    """``KEY=VALUE`` strings -> {key: value}, each checked; bad input is one line."""
    given: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        # The flag's spelling (job-seconds, as `sagesweep mock --job-seconds`) is fine too.
        key = key.strip().lstrip("-").replace("-", "_")
        if not sep or key not in MOCK_OPTIONS:
            known = ", ".join(MOCK_OPTIONS)
            raise InputError.one(
                "<cli>", "", "--mock-option", f"{item!r}: expected KEY=VALUE, KEY one of {known}"
            )
        given[key] = value.strip()
    _settings(given)  # refuse a bad value now, before anything starts
    return given


def _settings(options: Mapping[str, str]) -> dict[str, Any]:
    """MockConfig fields from --mock-option values."""
    from sagesweep.mock import parse_fail_reasons, parse_job_seconds, parse_quotas

    parsers: dict[str, Any] = {
        "job_seconds": parse_job_seconds,
        "start_seconds": parse_job_seconds,
        "fail_rate": float,
        "fail_reasons": parse_fail_reasons,
        "seed": int,
        "error_rate": float,
        "drop_rate": float,
        "latency_ms": float,
        "throttle_rate": float,
        "quota": lambda v: parse_quotas(v.split(",")),
        "capacity": lambda v: parse_quotas(v.split(","), "capacity"),
        "warm_pool_quota": lambda v: parse_quotas(v.split(","), "warm pool quota"),
    }
    fields = {"quota": "quotas", "warm_pool_quota": "warm_pool_quotas"}
    out: dict[str, Any] = {}
    for key, value in options.items():
        try:
            out[fields.get(key, key)] = parsers[key](value)
        except ValueError as exc:
            raise InputError.one(
                "<cli>", "", "--mock-option", f"{key}: {exc} (expects {MOCK_OPTIONS[key]})"
            ) from None
    return out


def _remembered(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _live(endpoint: Path) -> str | None:
    """The URL a live process serves the account at, if one does."""
    try:
        url, pid = endpoint.read_text().split()
        os.kill(int(pid), 0)
        with urllib.request.urlopen(f"{url}/_mock/stats", timeout=5):
            return url
    except (OSError, ValueError):
        return None


@contextmanager
def embedded_mock(state: Path | None = None, options: Sequence[str] = ()) -> Iterator[str]:
    """The sweep's local SageMaker: served here, or where another command serves it.

    ``state``: the file the account lives in between runs (None: in memory only).
    ``options``: ``KEY=VALUE`` settings, remembered beside the state file.
    """
    from sagesweep.mock import MockConfig, MockServer, StateFileError

    given = parse_mock_options(options)
    remember = None if state is None else state.with_name(state.name + ".options")
    endpoint = None if state is None else state.with_name(state.name + ".endpoint")
    chosen = {**(_remembered(remember) if remember else {}), **given}
    config = MockConfig(state_file=state, **{**EMBEDDED_SETTINGS, **_settings(chosen)})
    server = MockServer(config)
    deadline = time.monotonic() + HANDOVER_WAIT
    while True:
        try:
            server.start()
        except StateFileError as exc:
            busy = endpoint is not None and "in use" in exc.reason
            shared = _live(endpoint) if busy and endpoint is not None else None
            if busy and shared is None and time.monotonic() < deadline:
                # Held, and no live address: its process is on its way out. Wait for it.
                time.sleep(0.1)
                continue
            error = exc
        else:
            break
        if shared is not None:
            if given:
                raise InputError.one(
                    "<cli>",
                    "",
                    "--mock-option",
                    "the sweep's mock is served by another running command: its settings "
                    "cannot change now",
                ) from None
            yield shared
            return
        if error.disk:
            raise StorageError(error.file, f"mock state: {error.reason}") from None
        raise InputError.one(error.file, "", "", f"mock state: {error.reason}") from None
    try:
        if endpoint is not None:
            endpoint.write_text(f"{server.url} {os.getpid()}\n")
        if remember is not None and given:
            remember.write_text(json.dumps(chosen, indent=1) + "\n")
        yield server.url
    finally:
        if endpoint is not None:
            with contextlib.suppress(OSError):
                endpoint.unlink()
        server.stop()
