"""The JSONL ledger: what each job's last known outcome is, on disk, crash-safe.

One JSON object per line, append-only, beside the sweep file by default::

    {"event":"run","phase":"start","ts":...,"sweep":...,"tool_version":...,"counts":{...}}
    {"event":"job","ts":...,"name":...,"digest":...,"status":"submitted","arn":...,
     "attempts":1,"params":{...},"error":null}

Guarantees and the choices behind them:

* **One writer.** ``Ledger.open`` takes ``flock(LOCK_EX | LOCK_NB)`` on a sidecar
  ``<ledger>.lock`` (holding our pid and host); a second submitter gets
  :class:`~sagesweep.errors.LedgerLockedError`. The sidecar is never deleted:
  unlinking a lock file lets two processes lock two different inodes.
* **Group commit.** Workers hand lines to one writer task; it gathers whatever
  arrives within ``flush_interval`` (or ``max_batch`` lines) and commits it with one
  ``os.write`` and one ``os.fsync``. Thousands of workers cost tens of fsyncs a second,
  not thousands.
* **Whole lines only.** A batch is written as complete lines in one ``os.write``, so
  a crash (even SIGKILL) leaves at worst a torn *last* line. A record counts once its
  newline is on disk: a last line without one is a torn tail, ignored on load
  (``ledger.torn_tail``) and cut off when the ledger is next opened for writing
  (``ledger.repaired``). The job it described is re-sent and reconciled by name, so
  nothing is lost.
* **Corruption elsewhere is an error.** A bad line that ends in its newline, or that is
  followed by another line, cannot come from a crash of ours (hand edits, two tools
  writing), so loading stops with a one-line :class:`~sagesweep.errors.InputError`
  naming the file and line number, rather than guessing which jobs ran.
* **Fast resume.** Loading only needs each job's name, status, ARN and attempts. Our
  writer puts those keys before ``params``, so for our own lines only the head up to
  ``"params"`` is parsed; other lines are parsed in full. Consequence: a middle line
  whose *params* part is damaged goes unnoticed; it does not change resume.
* **No secrets.** Parameters under ``Environment``, and hyperparameter and tag values
  that look like credentials, are written as ``"***"``.

The format itself (record kinds, masking, the file's default place) is in
:mod:`~sagesweep.ledger.records`, loading for resume in :mod:`~sagesweep.ledger.read`,
the locked, group-committing writer in :mod:`~sagesweep.ledger.write`.
"""

from sagesweep.ledger.binding import Binding
from sagesweep.ledger.read import load_ledger
from sagesweep.ledger.records import (
    MASK,
    JobRecord,
    JobStatus,
    default_ledger_path,
    mask_params,
)
from sagesweep.ledger.state import LedgerEntry, LedgerState, StopMark, check_binding
from sagesweep.ledger.stopping import clear_stop_request, request_stop, stop_requested_by
from sagesweep.ledger.write import (
    DEFAULT_FLUSH_INTERVAL,
    DEFAULT_MAX_BATCH,
    Ledger,
    append_event,
)

__all__ = [
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_MAX_BATCH",
    "MASK",
    "Binding",
    "JobRecord",
    "JobStatus",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "StopMark",
    "append_event",
    "check_binding",
    "clear_stop_request",
    "default_ledger_path",
    "load_ledger",
    "mask_params",
    "request_stop",
    "stop_requested_by",
]
