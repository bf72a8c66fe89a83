"""Stopping a sweep: first the submitter that may still be creating its jobs, then the jobs.

A submitter on this host holds the ledger's lock and wrote its pid into the lock's
sidecar file: it is sent SIGTERM (it stops dispatching, lets calls in flight finish and
records them) and waited for. Then every ``InProgress`` job of the sweep, optionally only
those whose parameters match ``--where``, gets ``StopTrainingJob``. Jobs already
stopping or ended are counted, not called, so stopping twice is harmless.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import anyio

from sagesweep.aws.outcomes import ErrorKind
from sagesweep.aws.target import DEFAULT_CONCURRENCY
from sagesweep.errors import LedgerLockedError
from sagesweep.ledger import append_event, clear_stop_request, request_stop
from sagesweep.ledger.members import SweepMembers
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.operating.observe import JobState
from sagesweep.operating.select import Where, select

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["DEFAULT_SUBMITTER_WAIT", "StopReport", "halt_submitter", "record_stop", "stop_jobs"]

log = get_logger("sagesweep.operating")

#: seconds to wait for a signalled submitter: its grace period (30 s) and then some.
DEFAULT_SUBMITTER_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class StopReport:
    """What a stop did."""

    selected: int  #: jobs of the sweep that matched (newest attempts and older ones)
    stopped: tuple[str, ...]  #: StopTrainingJob accepted now
    already: Mapping[str, int]  #: jobs left alone, per status (Stopping, Completed, ...)
    failed: Mapping[str, str] = field(default_factory=dict)  #: name -> why the stop failed
    submitter: str = ""  #: what happened to a running submitter, if there was one
    #: how the ledger now says the sweep is stopped ("" when it could not say so)
    recorded: str = ""

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0


def _lock_holder(ledger: Path) -> tuple[int, str] | None:
    """(pid, host) of the submitter holding the ledger, or None if nobody holds it."""
    lock_path = ledger.with_name(ledger.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 200, 0).decode(errors="replace")
        else:
            return None  # nobody holds it
        fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
        pid = int(fields.get("pid", "0"))
        return (pid, fields.get("host", "")) if pid > 0 else None
    finally:
        os.close(fd)


async def halt_submitter(
    ledger: Path,
    *,
    wait: float = DEFAULT_SUBMITTER_WAIT,
) -> str:
    """Ask a submitter holding ``ledger`` on this host to stop, and wait for it to exit.

    Returns a sentence for the user ("" when no submitter was running).
    """
    holder = _lock_holder(ledger)
    if holder is None:
        return ""
    pid, host = holder
    if host != socket.gethostname():
        return f"a submitter on host {host} (pid {pid}) holds the ledger: stop it there"
    request_stop(ledger)  # the signal below is a stop of the sweep, not an interruption
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return ""
    log.info("stop.submitter_signalled", pid=pid)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        # Gone, not only unlocked: a --mock submitter serves the sweep's mock until it
        # exits, and a stop that met it still answering would then talk to nothing.
        if _lock_holder(ledger) is None and _exited(pid):
            return f"stopped the running submitter (pid {pid})"
        await anyio.sleep(0.1)
    return f"the running submitter (pid {pid}) did not exit within {wait:.0f}s"


def _exited(pid: int) -> bool:
    """Whether process ``pid`` has ended (a zombie its parent has not reaped counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def record_stop(ledger: Path, where: Sequence[str]) -> str:
    """Write the stop into the ledger, so a rerun of ``submit`` does not launch on.

    Returns a sentence for the user.
    """
    try:
        append_event(ledger, {"event": "stop", "where": list(where)})
    except LedgerLockedError:
        return "stop not recorded in the ledger: a submitter still holds it"
    finally:
        clear_stop_request(ledger)
    return (
        "stop recorded in the ledger: a rerun of submit launches no more jobs "
        "unless given --resume-stopped"
    )


async def stop_jobs(
    client: SageMakerClient,
    calls: PacedCalls,
    members: SweepMembers,
    states: Mapping[str, JobState],
    wheres: Sequence[Where] = (),
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> StopReport:
    """StopTrainingJob for each selected job that is InProgress."""
    selected = [m for m in members.jobs.values() if m.name in states and select(m.params, wheres)]
    running = [m.name for m in selected if states[m.name].status == "InProgress"]
    already = Counter(states[m.name].status for m in selected if m.name not in set(running))
    stopped: list[str] = []
    failed: dict[str, str] = {}
    limit = anyio.CapacityLimiter(max(1, concurrency))

    async def stop_one(name: str) -> None:
        async with limit:
            try:
                await calls(client.stop_training_job, TrainingJobName=name)
            except AwsCallError as exc:
                if exc.error.kind in (ErrorKind.PERMANENT, ErrorKind.NOT_FOUND):
                    # It may have ended between the read and the stop: look again.
                    now = await _status_now(client, calls, name)
                    if now is not None and now != "InProgress":
                        already[now] += 1
                        return
                failed[name] = f"{exc.error.code}: {exc.error.message}"
                return
            stopped.append(name)

    async with anyio.create_task_group() as tg:
        for name in running:
            tg.start_soon(stop_one, name)
    return StopReport(len(selected), tuple(sorted(stopped)), dict(already), failed)


async def _status_now(client: SageMakerClient, calls: PacedCalls, name: str) -> str | None:
    try:
        job = await calls(client.describe_training_job, TrainingJobName=name)
    except AwsCallError:
        return None
    return str(job.get("TrainingJobStatus"))
