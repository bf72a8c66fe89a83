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
  newline is on disk: a last line without one, or that is not valid JSON, is a torn
  tail, ignored on load (``ledger.torn_tail``) and cut off when the ledger is next
  opened for writing (``ledger.repaired``). The job it described is re-sent and
  reconciled by name, so nothing is lost.
* **Corruption elsewhere is an error.** A bad line that is *followed* by another line
  cannot come from a crash of ours (hand edits, two tools writing), so loading stops
  with a one-line :class:`~sagesweep.errors.InputError` naming the file and line
  number, rather than guessing which jobs ran.
* **Fast resume.** Loading only needs each job's name, status, ARN and attempts. Our
  writer puts those keys before ``params``, so for our own lines only the head up to
  ``"params"`` is parsed; other lines are parsed in full. Consequence: a middle line
  whose *params* part is damaged goes unnoticed; it does not change resume.
* **No secrets.** Parameters under ``Environment`` are written as ``"***"``.
"""

from __future__ import annotations

import collections
import enum
import fcntl
import gc
import json
import os
import re
import socket
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import anyio
import structlog

from sagesweep.errors import InputError, LedgerLockedError

__all__ = [
    "DEFAULT_FLUSH_INTERVAL",
    "DEFAULT_MAX_BATCH",
    "MASK",
    "JobRecord",
    "JobStatus",
    "Ledger",
    "LedgerEntry",
    "LedgerState",
    "default_ledger_path",
    "load_ledger",
    "mask_params",
]

#: seconds a batch waits for more records before it is committed.
DEFAULT_FLUSH_INTERVAL = 0.05
#: records per batch at most; also how many may wait before record() blocks.
DEFAULT_MAX_BATCH = 1000
#: what secret values are written as.
MASK = "***"

_log = structlog.get_logger()

_SECRET_ROOT = "Environment"
# The head of a job line as our writer spells it: everything resume needs comes
# before "params". Strings with escapes (never in job names or ARNs) miss the fast
# path and are parsed as JSON. One C-level match per line instead of a json.loads
# of the whole line, params and all.
_FAST_HEAD = re.compile(
    rb'\{"event":"job","ts":[-+.eE0-9]+,"name":"([^"\\]+)","digest":"[^"\\]*",'
    rb'"status":"(submitted|exists|failed)","arn":(?:null|"([^"\\]*)"),'
    rb'"attempts":([0-9]+),"params":'
)


class JobStatus(enum.StrEnum):
    SUBMITTED = "submitted"  #: created by this run
    EXISTS = "exists"  #: already existed; reconciled by name
    FAILED = "failed"  #: permanent error


_STATUSES: dict[str, JobStatus] = {s.value: s for s in JobStatus}


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRecord:
    """One job outcome, as handed to :meth:`Ledger.record`."""

    name: str
    digest: str
    status: JobStatus
    arn: str | None
    attempts: int
    params: Mapping[str, Any]
    error: tuple[str, str] | None = None  #: (code, message)
    ts: float | None = None  #: Unix time; filled in when handed over if None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What resume needs to know about one job: its last record."""

    status: JobStatus
    arn: str | None
    attempts: int


_Raw = tuple[JobStatus, str | None, int]


class _Jobs(Mapping[str, LedgerEntry]):
    """Name -> last entry, kept as tuples and turned into entries when looked up.

    Building a million frozen dataclasses would be a large share of loading a
    million-line ledger; a resume only looks up each planned name once.
    """

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, _Raw]) -> None:
        self._raw = raw

    def __getitem__(self, name: str) -> LedgerEntry:
        return LedgerEntry(*self._raw[name])

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def statuses(self) -> Iterator[JobStatus]:
        return (raw[0] for raw in self._raw.values())


@dataclass(frozen=True, slots=True)
class LedgerState:
    """The ledger as loaded: the last record per job name."""

    jobs: Mapping[str, LedgerEntry]
    repaired: bool  #: a torn tail was found (and, when opened for writing, cut off)

    def done(self, name: str, *, retry_failed: bool = False) -> bool:
        """Whether the engine should skip ``name``."""
        entry = self.jobs.get(name)
        if entry is None:
            return False
        if entry.status is JobStatus.FAILED:
            return not retry_failed
        return True

    def counts(self) -> dict[str, int]:
        """Jobs per last status."""
        jobs = self.jobs
        statuses = jobs.statuses() if isinstance(jobs, _Jobs) else (e.status for e in jobs.values())
        tally = collections.Counter(status.value for status in statuses)
        return {status.value: tally[status.value] for status in JobStatus}


def default_ledger_path(sweep_file: Path, sweep: str) -> Path:
    """``<sweep>.ledger.jsonl`` beside the sweep file."""
    return sweep_file.parent / f"{sweep}.ledger.jsonl"


def mask_params(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` with every value under ``Environment`` replaced by :data:`MASK`."""
    masked: dict[str, Any] = {}
    for path, value in params.items():
        if path == _SECRET_ROOT or path.startswith((_SECRET_ROOT + ".", _SECRET_ROOT + "[")):
            masked[path] = dict.fromkeys(value, MASK) if isinstance(value, Mapping) else MASK
        else:
            masked[path] = value
    return masked


def _dumps(obj: Mapping[str, Any]) -> bytes:
    # default=str: an odd parameter type must not crash a run after AWS said yes.
    text = json.dumps(obj, separators=(",", ":"), default=str)
    return (text + "\n").encode()


def _run_line(phase: str, sweep: str, tool_version: str, counts: Mapping[str, int]) -> bytes:
    return _dumps(
        {
            "event": "run",
            "phase": phase,
            "ts": time.time(),
            "sweep": sweep,
            "tool_version": tool_version,
            "counts": dict(counts),
        }
    )


def _job_line(rec: JobRecord) -> bytes:
    error = None if rec.error is None else {"code": rec.error[0], "message": rec.error[1]}
    # Key order matters: the loader's fast path reads everything before "params".
    return _dumps(
        {
            "event": "job",
            "ts": time.time() if rec.ts is None else rec.ts,
            "name": rec.name,
            "digest": rec.digest,
            "status": rec.status.value,
            "arn": rec.arn,
            "attempts": rec.attempts,
            "params": mask_params(rec.params),
            "error": error,
        }
    )


# --- loading ---------------------------------------------------------------------


class _BadLine(ValueError):
    pass


@dataclass(slots=True)
class _Scan:
    jobs: dict[str, _Raw] = field(default_factory=dict)
    torn_line: int | None = None  #: 1-based number of the torn last line
    torn_offset: int | None = None  #: byte offset where the torn last line starts
    size: int = 0


def _entry(obj: object) -> tuple[str, _Raw] | None:
    """The job entry a parsed record carries; None for records resume ignores."""
    if not isinstance(obj, dict):
        raise _BadLine("not a JSON object")
    if obj.get("event") != "job":
        # Run records, and record kinds a newer version may add.
        return None
    name, status, arn, attempts = (obj.get(k) for k in ("name", "status", "arn", "attempts"))
    if not isinstance(name, str) or not name:
        raise _BadLine("job record without a name")
    if not isinstance(status, str) or status not in _STATUSES:
        raise _BadLine(f"unknown status {status!r}")
    if arn is not None and not isinstance(arn, str):
        raise _BadLine("arn is not a string")
    if not isinstance(attempts, int):
        raise _BadLine("attempts is not an integer")
    return name, (_STATUSES[status], arn, attempts)


def _parse(line: bytes) -> tuple[str, _Raw] | None:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        # Its own "line 1" would only confuse next to the ledger's line number.
        raise _BadLine(f"invalid JSON at column {exc.colno}: {exc.msg}") from None
    except ValueError:
        raise _BadLine("not UTF-8") from None
    return _entry(obj)


def _scan(path: Path, *, full: bool = False) -> _Scan:
    """Read the ledger; raises InputError on a bad line that is not the last one."""
    scan = _Scan()
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return scan
    # A million new tuples would trigger the cyclic GC again and again, each pass
    # walking the whole growing dict (a quarter to a third of the load time, measured);
    # none of these objects can form a cycle.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with handle:
            _scan_lines(path, handle, scan, full=full)
    finally:
        if gc_was_enabled:
            gc.enable()
    return scan


def _scan_lines(path: Path, handle: BinaryIO, scan: _Scan, *, full: bool) -> None:
    jobs = scan.jobs
    statuses = {s.value.encode(): s for s in JobStatus}
    pending_error: tuple[int, str] | None = None
    offset = 0
    for lineno, line in enumerate(handle, 1):
        if pending_error is not None:
            bad_line, reason = pending_error
            raise InputError.one(
                str(path),
                f"line {bad_line}",
                "",
                f"corrupt ledger record ({reason}); fix or delete that line",
            )
        start = offset
        offset += len(line)
        if not full and line.endswith(b"}\n") and (head := _FAST_HEAD.match(line)):
            arn = head[3]
            jobs[head[1].decode()] = (
                statuses[head[2]],
                None if arn is None else arn.decode(),
                int(head[4]),
            )
            continue
        try:
            if not line.endswith(b"\n"):
                raise _BadLine("no newline at the end")
            if line.isspace():
                continue
            parsed = _parse(line)
        except _BadLine as exc:
            pending_error = (lineno, str(exc))
            scan.torn_line, scan.torn_offset = lineno, start
            continue
        if parsed is not None:
            jobs[parsed[0]] = parsed[1]
    scan.size = offset


def load_ledger(path: Path) -> LedgerState:
    """The ledger's state, read-only and without the lock; a missing file is empty.

    A torn last line is ignored with a ``ledger.torn_tail`` warning; the file is left
    as it is (only :meth:`Ledger.open` repairs).
    """
    scan = _scan(path)
    if scan.torn_offset is not None:
        _log.warning(
            "ledger.torn_tail",
            path=str(path),
            line=scan.torn_line,
            dropped_bytes=scan.size - scan.torn_offset,
        )
    return LedgerState(jobs=_Jobs(scan.jobs), repaired=scan.torn_offset is not None)


# --- writing ---------------------------------------------------------------------


class _Lock:
    """An exclusive flock on ``<ledger>.lock``; released when the descriptor closes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, ledger: Path) -> _Lock:
        lock_path = ledger.with_name(ledger.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            raise InputError.one(str(ledger), "", "", "directory does not exist") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise LedgerLockedError(str(ledger), holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid={os.getpid()} host={socket.gethostname()}\n".encode(), 0)
        return cls(fd)

    def release(self) -> None:
        try:
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)


def _open_for_append(path: Path) -> int:
    existed = path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if not existed:
        # A new file's directory entry is only durable once the directory is synced.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return fd


class Ledger:
    """Owns the lock and the file while a submit runs.

    Use::

        async with Ledger.open(path, sweep=..., tool_version=...) as ledger:
            if not ledger.state.done(name): ...
            await ledger.record(JobRecord(...))
    """

    def __init__(
        self,
        path: Path,
        fd: int,
        state: LedgerState,
        *,
        flush_interval: float,
        max_batch: int,
    ) -> None:
        self.path = path
        self.state = state
        self._fd = fd
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._pending: list[bytes] = []
        self._wakeup = anyio.Event()  # set when a batch has something in it
        self._full = anyio.Event()  # set when a batch reached max_batch
        self._room = anyio.Event()  # set when a batch was taken: blocked record()s go on
        self._io_lock = anyio.Lock()
        self._closed = False
        self._broken = False  # the writer failed: nothing more can be committed
        self._run_counts: collections.Counter[str] = collections.Counter()
        self._end_counts: dict[str, int] | None = None

    @classmethod
    def open(
        cls,
        path: Path,
        *,
        sweep: str,
        tool_version: str,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_batch: int = DEFAULT_MAX_BATCH,
    ) -> AbstractAsyncContextManager[Ledger]:
        """Lock, repair and load the ledger, and run its writer for the ``async with``.

        Raises :class:`LedgerLockedError` if another process holds it, and
        :class:`InputError` if a line other than the last is corrupt. On exit --
        normal, error or cancellation -- everything already handed to
        :meth:`record` is committed, followed by the run-end record.
        """
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        return cls._open(
            path,
            sweep=sweep,
            tool_version=tool_version,
            flush_interval=flush_interval,
            max_batch=max_batch,
        )

    @classmethod
    @asynccontextmanager
    async def _open(
        cls,
        path: Path,
        *,
        sweep: str,
        tool_version: str,
        flush_interval: float,
        max_batch: int,
    ) -> AsyncIterator[Ledger]:
        lock = _Lock.acquire(path)
        try:
            # A big ledger takes seconds to read: keep the event loop responsive.
            scan = await anyio.to_thread.run_sync(_scan, path)
            if scan.torn_offset is not None:
                os.truncate(path, scan.torn_offset)
                _log.warning(
                    "ledger.repaired",
                    path=str(path),
                    line=scan.torn_line,
                    dropped_bytes=scan.size - scan.torn_offset,
                )
            state = LedgerState(jobs=_Jobs(scan.jobs), repaired=scan.torn_offset is not None)
            fd = _open_for_append(path)
            try:
                ledger = cls(path, fd, state, flush_interval=flush_interval, max_batch=max_batch)
                ledger._hand_over(_run_line("start", sweep, tool_version, state.counts()))
                try:
                    async with anyio.create_task_group() as tg:
                        tg.start_soon(ledger._writer)
                        try:
                            yield ledger
                        finally:
                            # Commit what was handed over even when cancelled.
                            with anyio.CancelScope(shield=True):
                                ledger._closed = True
                                counts = ledger._end_counts
                                if counts is None:
                                    counts = dict(ledger._run_counts)
                                ledger._hand_over(_run_line("end", sweep, tool_version, counts))
                                if not ledger._broken:
                                    await ledger._flush()
                            tg.cancel_scope.cancel()
                except BaseExceptionGroup as group:
                    if len(group.exceptions) != 1:
                        raise
                    single = group.exceptions[0]
                else:
                    single = None
                # The task group wraps even the body's own exception; callers (exit
                # codes!) want it as raised. Raised outside the except clause so its
                # own cause and context stay as they were.
                if single is not None:
                    raise single
            finally:
                os.close(fd)
        finally:
            lock.release()

    async def record(self, rec: JobRecord) -> None:
        """Hand a job outcome to the writer; waits only if the writer lags a batch behind."""
        line = _job_line(rec)
        while len(self._pending) >= self._max_batch and not self._closed:
            await self._room.wait()
        if self._closed:
            raise RuntimeError(f"{self.path}: ledger is closed")
        self._hand_over(line)
        self._run_counts[rec.status.value] += 1

    def set_end_counts(self, counts: Mapping[str, int]) -> None:
        """Counts for the run-end record (default: records of this run per status)."""
        self._end_counts = dict(counts)

    def _hand_over(self, line: bytes) -> None:
        self._pending.append(line)
        self._wakeup.set()
        if len(self._pending) >= self._max_batch:
            self._full.set()

    async def _writer(self) -> None:
        try:
            while True:
                await self._wakeup.wait()
                # Linger so records of many workers share one fsync.
                with anyio.move_on_after(self._flush_interval):
                    await self._full.wait()
                await self._flush()
        except OSError:
            # Disk full, I/O error: the run stops with this error. The jobs of the
            # lost batch exist in AWS and are reconciled by name on resume.
            self._broken = True
            raise

    async def _flush(self) -> None:
        async with self._io_lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, []
            self._wakeup, self._full = anyio.Event(), anyio.Event()
            room, self._room = self._room, anyio.Event()
            room.set()
            data = b"".join(batch)
            # Once off the list, a batch must reach the disk: a cancellation here
            # (even at the worker thread's start) would silently drop it.
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._commit, data)
            _log.debug("ledger.flushed", records=len(batch), bytes=len(data))

    def _commit(self, data: bytes) -> None:
        view = memoryview(data)
        # One write for the batch; the loop only matters if the kernel writes short.
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        os.fsync(self._fd)
