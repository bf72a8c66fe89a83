"""Writing the ledger: one locked writer, whole lines, group commit.

:meth:`Ledger.open` takes the sidecar lock, repairs a torn tail, loads the state and
runs a writer task that commits batches of lines with one ``write`` and one ``fsync``.
"""

from __future__ import annotations

import collections
import fcntl
import os
import socket
import stat
from collections.abc import AsyncIterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

from sagesweep.errors import InputError, LedgerIOError, LedgerLockedError
from sagesweep.ledger.binding import Binding
from sagesweep.ledger.read import not_a_regular_file, scan_ledger
from sagesweep.ledger.records import JobRecord, event_line, job_line, run_line
from sagesweep.ledger.state import LedgerState, check_binding
from sagesweep.logs import get_logger

__all__ = ["DEFAULT_FLUSH_INTERVAL", "DEFAULT_MAX_BATCH", "Ledger", "append_event"]

#: seconds a batch waits for more records before it is committed.
DEFAULT_FLUSH_INTERVAL = 0.05
#: records per batch at most; also how many may wait before record() blocks.
DEFAULT_MAX_BATCH = 1000

_log = get_logger("sagesweep.ledger")


class _Lock:
    """An exclusive flock on ``<ledger>.lock``; released when the descriptor closes."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def acquire(cls, ledger: Path, command: str = "submit") -> _Lock:
        if ledger.exists() and not ledger.is_file():
            raise not_a_regular_file(ledger)  # before a sidecar lands beside a device
        lock_path = ledger.with_name(ledger.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            raise InputError.one(str(ledger), "", "", "directory does not exist") from None
        except OSError as exc:
            raise LedgerIOError(str(lock_path), exc) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip()
            os.close(fd)
            raise LedgerLockedError(str(ledger), holder) from None
        except BaseException:
            os.close(fd)
            raise
        try:
            os.ftruncate(fd, 0)
            holder = f"pid={os.getpid()} host={socket.gethostname()} command={command}\n"
            os.pwrite(fd, holder.encode(), 0)
        except OSError as exc:
            os.close(fd)
            raise LedgerIOError(str(lock_path), exc) from exc
        return cls(fd)

    def release(self) -> None:
        try:
            os.ftruncate(self._fd, 0)
        finally:
            os.close(self._fd)


def _open_for_append(path: Path) -> int:
    """Open (or create) the ledger and lock the file itself.

    The sidecar lock is keyed on a path; this one on the file's identity, so another
    name for the same file (a hard link) cannot be written by a second submitter.
    """
    existed = path.exists()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise LedgerIOError(str(path), exc) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_a_regular_file(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LedgerLockedError(str(path), "another name of the same file") from None
    if not existed:
        # A new file's directory entry is only durable once the directory is synced.
        try:
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            os.close(fd)
            raise LedgerIOError(str(path), exc) from exc
    return fd


def append_event(path: Path, event: Mapping[str, Any]) -> None:
    """Append one record to an existing ledger no run holds (a ``stop``, say).

    Takes the lock for the write: :class:`LedgerLockedError` if a run holds it.
    """
    lock = _Lock.acquire(path, "stop")
    try:
        fd = _open_for_append(path)
        try:
            torn = scan_ledger(path).torn_offset
            if torn is not None:  # a killed run's last line: cut off, as a run would
                os.truncate(path, torn)
            os.write(fd, event_line(event))
            os.fsync(fd)
        except OSError as exc:
            raise LedgerIOError(str(path), exc) from exc
        finally:
            os.close(fd)
    finally:
        lock.release()


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
        binding: Binding | None = None,
        flush_interval: float = DEFAULT_FLUSH_INTERVAL,
        max_batch: int = DEFAULT_MAX_BATCH,
        command: str = "submit",
    ) -> AbstractAsyncContextManager[Ledger]:
        """Lock, repair and load the ledger, and run its writer for the ``async with``.

        Raises :class:`LedgerLockedError` if another process holds it, and
        :class:`InputError` if a line other than the last is corrupt, if the file is not
        a ledger, or if the ledger belongs to another sweep or ``binding``. ``command``
        names the holder in the lock file (``submit``, ``resubmit``). On exit --
        normal, error or cancellation -- everything already handed to
        :meth:`record` is committed, followed by the run-end record.
        """
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        return cls._open(
            path,
            sweep=sweep,
            tool_version=tool_version,
            binding=binding,
            flush_interval=flush_interval,
            max_batch=max_batch,
            command=command,
        )

    @classmethod
    @asynccontextmanager
    async def _open(
        cls,
        path: Path,
        *,
        sweep: str,
        tool_version: str,
        binding: Binding | None,
        flush_interval: float,
        max_batch: int,
        command: str,
    ) -> AsyncIterator[Ledger]:
        lock = _Lock.acquire(path, command)
        fd: int | None = None
        try:
            fd = _open_for_append(path)
            # A big ledger takes seconds to read: keep the event loop responsive.
            scan = await anyio.to_thread.run_sync(scan_ledger, path)
            if scan.torn_offset is not None:
                try:
                    os.truncate(path, scan.torn_offset)
                except OSError as exc:
                    raise LedgerIOError(str(path), exc) from exc
                _log.warning(
                    "ledger.repaired",
                    path=str(path),
                    line=scan.torn_line,
                    dropped_bytes=scan.size - scan.torn_offset,
                )
            state = scan.state()
            check_binding(path, state, sweep, binding)
            ledger = cls(path, fd, state, flush_interval=flush_interval, max_batch=max_batch)
            bound = None if binding is None else binding.as_record()
            start = run_line("start", sweep, tool_version, state.counts(), bound, command)
            ledger._hand_over(start)
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
                            end = run_line("end", sweep, tool_version, counts, bound, command)
                            ledger._hand_over(end)
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
            if fd is not None:
                os.close(fd)
            lock.release()

    async def record(self, rec: JobRecord) -> None:
        """Hand a job outcome to the writer; waits only if the writer lags a batch behind."""
        await self._enqueue(job_line(rec))
        self._run_counts[rec.status.value] += 1

    async def note(self, event: Mapping[str, Any], *, durable: bool = False) -> None:
        """Append a record of another kind (a job's end, say); resume ignores it.

        ``durable``: return only once the record is on disk (with every line before it),
        for a record that must outlive a crash right after it, such as an intent.
        """
        await self._enqueue(event_line(event))
        if durable:
            await self._flush()

    async def _enqueue(self, line: bytes) -> None:
        while len(self._pending) >= self._max_batch and not self._closed:
            await self._room.wait()
        if self._closed:
            raise RuntimeError(f"{self.path}: ledger is closed")
        self._hand_over(line)

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
        except OSError:  # a LedgerIOError
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
        try:
            # One write for the batch; the loop only matters if the kernel writes short.
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)
        except OSError as exc:
            raise LedgerIOError(str(self.path), exc) from exc
