"""The mock's account on disk: a snapshot, a journal, and group commit.

``FILE`` is a snapshot -- a header line, then one line per job -- only ever replaced
whole (write a temporary file, fsync, rename, fsync the directory), so it is never
torn. ``FILE.journal`` holds the changes since that snapshot, one line each; a change
is acknowledged to the client only after its line is fsynced. A writer thread commits
whatever changes are waiting with one write and one fsync (group commit), and folds
the journal into a new snapshot once it outgrows the snapshot, and at close.

A SIGKILL can tear at most the journal's last line, which loading drops: that change
was never acknowledged. The journal names the snapshot it follows; a journal left from
an older snapshot (a crash between a rename and the journal's reset) is already in the
snapshot and is ignored. An exclusive flock on the journal keeps two mocks apart.
docs/mock-conformance.md describes the files for users.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagesweep.mock.state import MockJob

__all__ = ["FORMAT", "VERSION", "Loaded", "StateFileError", "StateStore", "StateWriteError"]

FORMAT = "sagesweep-mock-state"
_JOURNAL_FORMAT = "sagesweep-mock-journal"
VERSION = 1
#: The journal is folded into a new snapshot once it is this big and bigger than it.
_MIN_COMPACT_BYTES = 1 << 20

#: Returns (last ticket the lines include, account id, one line per job) under the
#: caller's table lock, so the snapshot is consistent with the tickets handed out.
SnapshotSource = Callable[[], tuple[int, str, list[bytes]]]


class StateFileError(ValueError):
    """The state file cannot be used: corrupt, foreign, locked or unreachable.

    ``disk``: the file could not be read or written (a full disk, permissions), as
    opposed to holding something that is not a usable account.
    """

    def __init__(
        self, file: Path, reason: str, line: int | None = None, *, disk: bool = False
    ) -> None:
        self.file = str(file)
        self.reason = reason
        self.line = line
        self.disk = disk
        where = self.file if line is None else f"{self.file}: line {line}"
        super().__init__(f"{where}: {reason}")


class StateWriteError(OSError):
    """The account could not be saved, so a change could not be acknowledged."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """What a state file held: its account (None for a new file) and its jobs."""

    account_id: str | None
    jobs: list[MockJob]


def job_line(job: MockJob) -> bytes:
    """The job's snapshot line (without the newline), cached on the job."""
    if job.line is None:
        job.line = json.dumps(job.to_json(), separators=(",", ":")).encode()
    return job.line


class StateStore:
    """One state file: load it, then journal every change until close()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + ".journal")
        self._fd: int | None = None
        self._cond = threading.Condition()
        self._pending: list[tuple[int, bytes]] = []
        self._issued = 0
        self._durable = 0
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._closing = False
        self._failure: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._source: SnapshotSource | None = None

    # -- opening -------------------------------------------------------------------------

    def open(self) -> Loaded:
        """Lock the journal and read the account; StateFileError if it is unusable."""
        try:
            fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except FileNotFoundError:
            raise StateFileError(self.path, "directory does not exist") from None
        except OSError as exc:
            raise StateFileError(self.path, str(exc.strerror), disk=True) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StateFileError(self.path, "in use by another sagesweep mock") from None
        self._fd = fd
        try:
            return self._read()
        except BaseException:
            self._release()
            raise

    def _read(self) -> Loaded:
        if not self.path.exists():
            return Loaded(None, [])
        try:
            lines = self.path.read_bytes().split(b"\n")
        except OSError as exc:
            raise StateFileError(self.path, str(exc.strerror), disk=True) from None
        header = _header(lines[0], FORMAT)
        if header is None:
            raise StateFileError(self.path, "not a sagesweep mock state file")
        if header.get("version") != VERSION:
            raise StateFileError(
                self.path,
                f"state file version {header.get('version')} is not supported "
                f"(this sagesweep reads version {VERSION})",
            )
        if lines[-1] != b"":
            raise StateFileError(self.path, "corrupt state file (its last line is cut short)")
        jobs: dict[tuple[str, str], MockJob] = {}
        for number, raw in enumerate(lines[1:-1], 2):
            job = _job(raw, self.path, number)
            jobs[(job.region, job.name)] = job
        self._replay(jobs, str(header.get("snapshot")))
        account = header.get("account_id")
        return Loaded(None if account is None else str(account), sorted(jobs.values(), key=_seq))

    def _replay(self, jobs: dict[tuple[str, str], MockJob], snapshot: str) -> None:
        assert self._fd is not None
        data = _read_all(self._fd)
        lines = data.split(b"\n")
        header = _header(lines[0], _JOURNAL_FORMAT)
        if header is None or header.get("snapshot") != snapshot:
            return  # empty, torn at birth, or already folded into this snapshot
        # The last element is b"" after a complete line, else a torn, unacknowledged one.
        for number, raw in enumerate(lines[1:-1], 2):
            try:
                entry = json.loads(raw)
                op = entry["op"]
            except (ValueError, TypeError, KeyError):
                raise StateFileError(self.journal_path, "corrupt journal entry", number) from None
            if op == "put":
                job = _job(json.dumps(entry.get("job")).encode(), self.journal_path, number)
                jobs[(job.region, job.name)] = job
            elif op == "delete":
                key = (str(entry.get("region")), str(entry.get("name")))
                if key in jobs and jobs[key].seq == entry.get("seq"):
                    del jobs[key]
            elif op == "reset":
                jobs.clear()
            else:
                raise StateFileError(self.journal_path, f"unknown journal entry {op!r}", number)

    # -- running -------------------------------------------------------------------------

    def start(self, source: SnapshotSource) -> None:
        """Write a fresh snapshot of ``source`` now, then commit changes on a thread."""
        self._source = source
        try:
            self._compact()
        except OSError as exc:
            if not self.path.exists() and os.fstat(self._fd or 0).st_size == 0:
                # A new account that never started leaves no file behind.
                with contextlib.suppress(OSError):
                    os.unlink(self.journal_path)
            raise StateFileError(
                self.path, f"cannot save the mock's account: {exc.strerror}", disk=True
            ) from None
        self._thread = threading.Thread(target=self._run, name="sagesweep-mock-state", daemon=True)
        self._thread.start()

    def put(self, job: MockJob) -> int:
        """Journal the job's current state; returns the ticket to wait() for."""
        return self._enqueue(b'{"op":"put","job":' + job_line(job) + b"}\n")

    def delete(self, job: MockJob) -> int:
        entry = {"op": "delete", "region": job.region, "name": job.name, "seq": job.seq}
        return self._enqueue(json.dumps(entry, separators=(",", ":")).encode() + b"\n")

    def reset(self) -> int:
        return self._enqueue(b'{"op":"reset"}\n')

    @property
    def failed(self) -> bool:
        """A save failed: nothing more can be saved (until the mock is restarted)."""
        with self._cond:
            return self._failure is not None

    def saved(self) -> Loaded:
        """The account as it is on disk now: what every acknowledged change left."""
        return self._read()

    @property
    def last_ticket(self) -> int:
        with self._cond:
            return self._issued

    def wait(self, ticket: int) -> None:
        """Block until the change with ``ticket`` is on disk; StateWriteError if never."""
        with self._cond:
            while self._durable < ticket and self._failure is None:
                self._cond.wait()
            if self._durable < ticket:
                raise StateWriteError(f"{self.path}: {self._failure}")

    def close(self) -> None:
        """Commit what is waiting, fold it all into the snapshot, release the lock."""
        thread = self._thread
        if thread is not None:
            with self._cond:
                self._closing = True
                self._cond.notify_all()
            thread.join()
            self._thread = None
        self._release()

    def _enqueue(self, line: bytes) -> int:
        with self._cond:
            self._issued += 1
            self._pending.append((self._issued, line))
            self._cond.notify_all()
            return self._issued

    def _run(self) -> None:
        try:
            while True:
                with self._cond:
                    while not self._pending and not self._closing:
                        self._cond.wait()
                    batch, self._pending = self._pending, []
                    closing = self._closing
                if batch:
                    self._append(batch)
                if closing and not batch:
                    self._compact()
                    return
                if self._journal_bytes > max(_MIN_COMPACT_BYTES, self._snapshot_bytes):
                    self._compact()
        except BaseException as exc:
            sys.stderr.write(f"sagesweep mock: cannot save {self.path}: {exc}\n")
            with self._cond:
                self._failure = exc
                self._cond.notify_all()

    def _append(self, batch: list[tuple[int, bytes]]) -> None:
        assert self._fd is not None
        data = b"".join(line for _, line in batch)
        _write_all(self._fd, data)
        os.fsync(self._fd)
        self._journal_bytes += len(data)
        with self._cond:
            self._durable = max(self._durable, batch[-1][0])
            self._cond.notify_all()

    def _compact(self) -> None:
        assert self._fd is not None
        assert self._source is not None
        ticket, account, lines = self._source()
        with self._cond:
            # What the snapshot holds need not reach the journal too.
            self._pending = [(t, line) for t, line in self._pending if t > ticket]
        snapshot_id = uuid.uuid4().hex
        header = {
            "format": FORMAT,
            "version": VERSION,
            "account_id": account,
            "snapshot": snapshot_id,
            "saved_at": time.time(),
        }
        data = b"\n".join([json.dumps(header).encode(), *lines]) + b"\n"
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        try:
            try:
                _write_all(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):  # a full disk leaves no half snapshot
                os.unlink(temporary)
            raise
        _fsync_directory(self.path.parent)
        journal_header = {"format": _JOURNAL_FORMAT, "version": VERSION, "snapshot": snapshot_id}
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        _write_all(self._fd, json.dumps(journal_header).encode() + b"\n")
        os.fsync(self._fd)
        self._journal_bytes = 0
        self._snapshot_bytes = len(data)
        with self._cond:
            self._durable = max(self._durable, ticket)
            self._cond.notify_all()

    def _release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _seq(job: MockJob) -> int:
    return job.seq


def _header(raw: bytes, expected: str) -> dict[str, Any] | None:
    try:
        header = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(header, dict) or header.get("format") != expected:
        return None
    return header


def _job(raw: bytes, file: Path, line: int) -> MockJob:
    try:
        return MockJob.from_json(json.loads(raw))
    except (ValueError, TypeError, KeyError, AttributeError):
        raise StateFileError(file, "corrupt job record", line) from None


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    os.lseek(fd, 0, os.SEEK_END)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some filesystems cannot sync a directory
            os.fsync(fd)
    finally:
        os.close(fd)
