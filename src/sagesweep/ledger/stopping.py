"""``sagesweep stop`` and a running submitter: the request it leaves, and the record.

Before ``stop`` sends SIGTERM to the submitter holding the ledger, it writes
``<ledger>.stop`` (its own pid): the submitter then knows the signal is a stop of the
sweep, whose running jobs are being stopped, rather than an interruption to resume
later, and says so instead of printing how to stop them. Once the submitter is gone,
``stop`` appends a ``stop`` record to the ledger and removes the request. A ``submit``
of a stopped sweep is refused until it is told ``--resume-stopped``, which appends a
``resume`` record: a stopped sweep does not start launching again by accident.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["clear_stop_request", "request_stop", "stop_requested_by"]


def _request_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + ".stop")


def request_stop(ledger: Path) -> None:
    """Leave word for the submitter that the signal it is about to get is a stop."""
    _request_path(ledger).write_text(f"pid={os.getpid()}\n")


def stop_requested_by(ledger: Path) -> int | None:
    """The pid of a ``stop`` of this ledger that is still running, if there is one."""
    try:
        text = _request_path(ledger).read_text()
    except OSError:
        return None
    fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
    try:
        pid = int(fields.get("pid", ""))
        os.kill(pid, 0)  # a request left by a stop that was killed does not count
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def clear_stop_request(ledger: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        _request_path(ledger).unlink()
