"""Planning a sweep in a child process, so that the event loop only sends and records.

A submit run plans every job once, in a child process that runs on another core: it
samples, renders, names and validates each job and writes the finished ones to a spool
file, in pickled batches. The parent meanwhile opens its client. When the child has
planned the whole sweep it sends a verdict: the plan's problems (nothing is sent), or its
size, its warnings and how many of its jobs the ledger already holds. The parent then
streams jobs from the spool as the engine asks for them, as often as it asks (a driven
run goes over the plan again to find a job it must resubmit); a batch costs one
decompression and a ``pickle.loads``, far less than planning its jobs again.

The spool lives in a private temporary directory that is removed when the plan is
closed; a child whose parent died stops at the next batch and removes what it wrote.
"""

from __future__ import annotations

import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import anyio

from sagesweep.errors import InputError, PlanError, Problem, SagesweepError, SpoolIOError
from sagesweep.planning.config import SweepConfig
from sagesweep.planning.planner import JobSpec, MakePlanner, Planner
from sagesweep.planning.usage import UsageTally

__all__ = ["PlanReady", "PlanSpool", "plan_aside", "plan_child"]

#: Jobs per pickled batch: big enough that a load costs little per job, small enough
#: that the first batch is ready at once.
BATCH = 512
_SPOOL_NAME = "jobs.pickle"
_ARGUMENTS_NAME = "plan.pickle"
#: Each batch is its length, then its zlib-compressed pickle.
_FRAME = struct.Struct("<I")


@dataclass(frozen=True, slots=True)
class PlanReady:
    """The verdict of a clean plan."""

    total: int  #: distinct valid jobs
    in_ledger: int  #: of those, how many the ledger already names
    warnings: tuple[str, ...]
    usage: UsageTally  #: what the jobs ask for: instances and worst-case run time


@dataclass(frozen=True, slots=True)
class _Refused:
    """An :class:`InputError` as it crosses the process boundary."""

    plan: bool  # a PlanError (else an InputError)
    problems: tuple[Problem, ...]
    max_shown: int
    total: int

    def error(self) -> InputError:
        kind = PlanError if self.plan else InputError
        return kind(self.problems, max_shown=self.max_shown, total=self.total)


@dataclass(frozen=True, slots=True)
class _NoRoom:
    """The spool could not be written (a full or read-only temporary directory)."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Crashed:
    """The child failed in a way that is not a problem of the input."""

    text: str


class _WriteFailed(Exception):
    """The spool could not be written; carries the reason."""


def _write_batch(out: BinaryIO, batch: list[Any]) -> None:
    # Compressed: jobs of one sweep differ in a few values, and /tmp may be memory.
    frame = zlib.compress(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL), 1)
    try:
        out.write(_FRAME.pack(len(frame)))
        out.write(frame)
    except OSError as exc:
        raise _WriteFailed(exc.strerror or str(exc)) from exc


def _orphaned(parent: int) -> bool:
    return os.getppid() != parent


def _leave(folder: Path) -> None:
    """Exit at once, removing the spool: the parent is gone or asked the child to stop."""
    shutil.rmtree(folder, ignore_errors=True)
    os._exit(0)


def plan_child(arguments: str, answer: int) -> None:
    """The child process: plan, validate and spool every job, then write the verdict.

    ``arguments``: the pickle of what to plan; ``answer``: the pipe the verdict goes to.
    """
    # A Ctrl-C at the terminal reaches the whole process group: the parent decides.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    folder = Path(arguments).parent
    # A SIGTERM to the whole group (a service manager, `timeout`) may end the parent
    # before it cleans up: the child removes what it wrote.
    signal.signal(signal.SIGTERM, lambda *_: _leave(folder))
    with open(arguments, "rb") as given:
        config, max_jobs, make_planner, spool, known, parent = pickle.load(given)
    os.unlink(arguments)
    verdict: PlanReady | _Refused | _NoRoom | _Crashed
    try:
        planner = make_planner(config, max_jobs=max_jobs)
        usage = UsageTally()
        in_ledger = 0
        batch: list[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]] = []
        try:
            out = spool.open("wb")
        except OSError as exc:
            raise _WriteFailed(exc.strerror or str(exc)) from exc
        with out:
            for job in planner.jobs():
                if job.name in known:
                    in_ledger += 1
                usage.add(job.request)
                batch.append((job.name, job.digest, job.params, job.request))
                if len(batch) == BATCH:
                    _write_batch(out, batch)
                    batch.clear()
                    if _orphaned(parent):
                        _leave(folder)
            if batch:
                _write_batch(out, batch)
        planner.check()
        verdict = PlanReady(planner.stats.jobs, in_ledger, tuple(planner.stats.warnings), usage)
    except InputError as exc:
        verdict = _Refused(isinstance(exc, PlanError), exc.problems, exc.max_shown, exc.total)
    except _WriteFailed as exc:
        verdict = _NoRoom(str(folder), str(exc))
    except Exception as exc:  # reported by the parent, which owns the output
        verdict = _Crashed(f"{type(exc).__name__}: {exc}")
    with suppress(OSError), os.fdopen(answer, "wb") as out:
        out.write(pickle.dumps(verdict, protocol=pickle.HIGHEST_PROTOCOL))


def _stderr() -> int | None:
    """This process's stderr, for the child's stdout (None: inherit, if it has none)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return None


class PlanSpool:
    """A sweep being planned by a child process; :meth:`ready` waits for its verdict.

    The child is a fresh interpreter started with :func:`plan_child`, not a
    ``multiprocessing`` one: that would run the caller's main module again, which a
    script calling :func:`sagesweep.submit_sync` at top level does not expect.
    ``make_planner`` must be importable by name (it is pickled by reference).
    """

    def __init__(
        self,
        config: SweepConfig,
        *,
        max_jobs: int | None,
        known: frozenset[str],
        make_planner: MakePlanner = Planner,
    ) -> None:
        try:
            self._dir = Path(tempfile.mkdtemp(prefix="sagesweep-plan-"))
        except OSError as exc:
            raise SpoolIOError(tempfile.gettempdir(), exc.strerror or str(exc)) from None
        self.path = self._dir / _SPOOL_NAME
        self._verdict: PlanReady | None = None
        arguments = self._dir / _ARGUMENTS_NAME
        read_end, write_end = os.pipe()
        try:
            try:
                with arguments.open("wb") as out:
                    given = (config, max_jobs, make_planner, self.path, known, os.getpid())
                    pickle.dump(given, out, protocol=pickle.HIGHEST_PROTOCOL)
            except OSError as exc:
                raise SpoolIOError(str(self._dir), exc.strerror or str(exc)) from None
            # The child sees the modules this process sees.
            code = (
                f"import sys; sys.path[:0] = {sys.path!r}; "
                "from sagesweep.planning.spool import plan_child; "
                f"plan_child({str(arguments)!r}, {write_end})"
            )
            self._process = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=_stderr(),  # the command's stdout carries nothing of the child's
            )
        except BaseException:
            os.close(read_end)
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        finally:
            os.close(write_end)
        self._answer = os.fdopen(read_end, "rb")
        self._held: int | None = None  # the spool, open, once its folder is removed

    @property
    def pid(self) -> int:
        """The planning process's id."""
        return self._process.pid

    @property
    def planning(self) -> bool:
        """Whether the child process still runs."""
        return self._process.poll() is None

    async def ready(self) -> PlanReady:
        """The plan's verdict; raises the plan's :class:`PlanError` if it has problems."""
        if self._verdict is not None:
            return self._verdict
        await anyio.wait_readable(self._answer.fileno())
        # The child writes its verdict in one go and exits: this read ends at once.
        data = self._answer.read()
        code = await anyio.to_thread.run_sync(self._process.wait)
        if not data:
            raise SagesweepError(
                f"the planning process ended without a verdict (exit code {code}); nothing was sent"
            )
        try:
            verdict = pickle.loads(data)
        except (pickle.UnpicklingError, EOFError, ValueError):
            raise SagesweepError(
                f"the planning process ended without a whole verdict (exit code {code}); "
                "nothing was sent"
            ) from None
        if isinstance(verdict, _Refused):
            raise verdict.error()
        if isinstance(verdict, _NoRoom):
            raise SpoolIOError(verdict.where, verdict.reason)
        if isinstance(verdict, _Crashed):
            raise SagesweepError(f"planning failed: {verdict.text}; nothing was sent")
        assert isinstance(verdict, PlanReady)
        # Held open and unlinked: the spool is gone with this process, however it ends
        # (kill -9 included), and a cleaner of old temporary files cannot take it away
        # from a run that lasts days.
        self._held = os.open(self.path, os.O_RDONLY)
        shutil.rmtree(self._dir, ignore_errors=True)
        self._verdict = verdict
        return verdict

    def jobs(self) -> Iterator[JobSpec]:
        """The planned jobs in plan order (after :meth:`ready`); may be called again."""
        held = self._held
        if self._verdict is None or held is None:
            raise RuntimeError("the plan is not ready")
        index = offset = 0
        # Positioned reads: passes over the spool do not share a file offset.
        while head := os.pread(held, _FRAME.size, offset):
            (size,) = _FRAME.unpack(head)
            frame = os.pread(held, size, offset + _FRAME.size)
            offset += _FRAME.size + size
            for name, digest, params, request in pickle.loads(zlib.decompress(frame)):
                yield JobSpec(name, digest, params, request, index)
                index += 1

    def close(self) -> None:
        """Stop the child if it still runs; remove the spool."""
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._answer.close()
        if self._held is not None:
            os.close(self._held)
            self._held = None
        shutil.rmtree(self._dir, ignore_errors=True)


@asynccontextmanager
async def plan_aside(
    config: SweepConfig,
    *,
    max_jobs: int | None,
    known: frozenset[str],
    make_planner: MakePlanner = Planner,
) -> AsyncIterator[PlanSpool]:
    """Start planning ``config`` in a child process for as long as the ``with`` lasts."""
    spool = PlanSpool(config, max_jobs=max_jobs, known=known, make_planner=make_planner)
    try:
        yield spool
    finally:
        spool.close()
