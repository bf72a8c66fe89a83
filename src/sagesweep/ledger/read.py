"""Reading the ledger: the one scanner every reader uses.

:func:`scan_ledger` makes one pass. For resume it keeps the last entry per job (lines
our writer spelled are read by one regex match on their head instead of a full JSON
parse); with ``detail`` it also keeps each job's full record (base, attempt, params),
the ``end`` records of a driven run and the ``asked`` records of an adaptive search --
what ``status``, ``results``, ``stop``, ``resubmit`` and a resumed driver read. A torn
last line (a crash mid-write) is tolerated and reported; a bad line anywhere else is an
:class:`~sagesweep.errors.InputError`.
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from sagesweep.errors import InputError, LedgerIOError
from sagesweep.ledger.binding import Binding
from sagesweep.ledger.records import JobStatus, Member
from sagesweep.ledger.state import JobIndex, LedgerState, Raw, StopMark
from sagesweep.logs import get_logger

__all__ = ["LedgerScan", "load_ledger", "not_a_regular_file", "read_scan", "scan_ledger"]

_log = get_logger("sagesweep.ledger")

# The head of a job line as our writer spells it: everything resume needs comes
# before "params". Strings with escapes (never in job names or ARNs) miss the fast
# path and are parsed as JSON. One C-level match per line instead of a json.loads
# of the whole line, params and all.
_FAST_HEAD = re.compile(
    rb'\{"event":"job","ts":[-+.eE0-9]+,"name":"([^"\\]+)","digest":"[^"\\]*",'
    rb'"status":"(submitted|exists|failed|conflict|unknown)","arn":(?:null|"([^"\\]*)"),'
    rb'"attempts":([0-9]+),"params":'
)


_STATUSES: dict[str, JobStatus] = {s.value: s for s in JobStatus}
#: How every ledger's first line starts.
_RUN_HEAD = b'{"event":"run"'


class _BadLine(ValueError):
    pass


@dataclass(slots=True)
class LedgerScan:
    """What one pass over the ledger file found: the raw last entry per job, and a torn tail."""

    jobs: dict[str, Raw] = field(default_factory=dict)
    sweep: str | None = None  #: the sweep named by the first run record
    target: dict[str, object] | None = None  #: where the newest run that says so sent jobs
    stopped: StopMark | None = None  #: the last ``stop`` record, unless a ``resume`` followed
    planned: int | None = None  #: jobs in the plan, as the newest run that planned said
    #: With ``detail``: each job's last record, read back in full.
    members: dict[str, Member] = field(default_factory=dict)
    #: With ``detail``: name -> the last ``end`` record (status, metrics...) of a driven run.
    endings: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: With ``detail``: name -> params of each ``asked`` record (a point an adaptive search
    #: chose to run).
    asked: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: With ``detail``: name -> the ``pruned`` record of a job an early-stopping rule
    #: stopped (rule, step, value and what it was compared with).
    pruned: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: With ``detail``: name -> the points of the newest ``curve`` record of a job
    #: ([[epoch seconds, value], ...] of the objective's intermediate values).
    curves: dict[str, list[Any]] = field(default_factory=dict)
    torn_line: int | None = None  #: 1-based number of the torn last line
    torn_offset: int | None = None  #: byte offset where the torn last line starts
    size: int = 0

    def state(self) -> LedgerState:
        binding = None if self.target is None else Binding.from_record(self.target)
        return LedgerState(
            jobs=JobIndex(self.jobs),
            repaired=self.torn_offset is not None,
            sweep=self.sweep,
            binding=binding,
            stopped=self.stopped,
            planned=self.planned,
        )


def _other(obj: dict[str, Any], scan: LedgerScan, detail: bool) -> None:
    """Take what a record other than a job's says: about the ledger as a whole (run,
    stop, resume), or, with ``detail``, about one job (end, asked, pruned, curve)."""
    event = obj.get("event")
    if event in ("end", "asked", "pruned", "curve"):
        name = obj.get("name")
        if detail and isinstance(name, str):
            if event == "end":
                scan.endings[name] = obj
            elif event == "pruned":
                scan.pruned[name] = obj
            elif event == "curve" and isinstance(obj.get("points"), list):
                scan.curves[name] = obj["points"]
            elif event == "asked" and isinstance(obj.get("params"), dict):
                scan.asked[name] = obj["params"]
        return
    if event == "stop":
        ts, where = obj.get("ts"), obj.get("where")
        wheres = tuple(str(w) for w in where) if isinstance(where, list) else ()
        scan.stopped = StopMark(float(ts) if isinstance(ts, int | float) else 0.0, wheres)
        return
    if event == "resume":
        scan.stopped = None
        return
    if event != "run":
        return
    sweep, target = obj.get("sweep"), obj.get("target")
    if scan.sweep is None and isinstance(sweep, str):
        scan.sweep = sweep
    counts = obj.get("counts")
    total = counts.get("total") if isinstance(counts, dict) else None
    # A resubmit's total is its attempts, not the plan: only a submit sizes the plan.
    whole_plan = obj.get("command", "submit") == "submit"
    if obj.get("phase") == "end" and whole_plan and isinstance(total, int) and total > 0:
        scan.planned = total
    if isinstance(target, dict):
        scan.target = target


def _member(name: str, status: JobStatus, obj: dict[str, Any]) -> Member:
    base, attempt, params = obj.get("base"), obj.get("attempt"), obj.get("params")
    fallback = obj.get("fallback")
    return Member(
        name=name,
        base=base if isinstance(base, str) else name,
        attempt=attempt if isinstance(attempt, int) else 0,
        status=status,
        params=params if isinstance(params, dict) else {},
        fallback=fallback if isinstance(fallback, int) else 0,
    )


def _entry(obj: object) -> tuple[str, Raw] | None:
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


def _parse(line: bytes) -> object:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        # Its own "line 1" would only confuse next to the ledger's line number.
        raise _BadLine(f"invalid JSON at column {exc.colno}: {exc.msg}") from None
    except ValueError:
        raise _BadLine("not UTF-8") from None


def not_a_regular_file(path: Path) -> InputError:
    """The error for a ledger path that names a device, a FIFO or a directory."""
    return InputError.one(str(path), "", "", "a ledger must be a regular file")


def _not_a_ledger(path: Path) -> InputError:
    return InputError.one(
        str(path),
        "",
        "",
        "not a sagesweep ledger (its first line is not a run record); "
        "refusing to write to it: pass another --ledger",
    )


def scan_ledger(path: Path, *, detail: bool = False) -> LedgerScan:
    """Read the ledger; raises InputError on a bad line that is not the last one.

    ``detail``: keep every job's full record and the ``end`` and ``asked`` records too.
    """
    scan = LedgerScan()
    try:
        # Non-blocking: opening a FIFO for reading would wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        return scan
    except OSError as exc:
        raise LedgerIOError(str(path), exc) from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise not_a_regular_file(path)
    handle = os.fdopen(fd, "rb")
    # A million new tuples would trigger the cyclic GC again and again, each pass
    # walking the whole growing dict (a quarter to a third of the load time, measured);
    # none of these objects can form a cycle.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with handle:
            _scan_lines(path, handle, scan, detail)
    finally:
        if gc_was_enabled:
            gc.enable()
    return scan


def _scan_lines(path: Path, handle: BinaryIO, scan: LedgerScan, detail: bool) -> None:
    jobs = scan.jobs
    statuses = {s.value.encode(): s for s in JobStatus}
    pending_error: tuple[int, str] | None = None
    offset = 0
    first = True  # no record read yet
    for lineno, line in enumerate(handle, 1):
        if pending_error is not None:
            bad_line, reason = pending_error
            raise _corrupt(path, bad_line, reason)
        start = offset
        offset += len(line)
        if not detail and line.endswith(b"}\n") and (head := _FAST_HEAD.match(line)):
            if first:
                raise _not_a_ledger(path)
            arn = head[3]
            jobs[head[1].decode()] = (
                statuses[head[2]],
                None if arn is None else arn.decode(),
                int(head[4]),
            )
            continue
        if line.isspace():
            continue
        try:
            obj = _parse(line)
            if first and not (isinstance(obj, dict) and obj.get("event") == "run"):
                raise _not_a_ledger(path)
            parsed = _entry(obj)
        except _BadLine as exc:
            if first and not (line.startswith(_RUN_HEAD) and not line.endswith(b"\n")):
                # (a start record cut short is a new ledger's torn first write)
                raise _not_a_ledger(path) from None
            if line.endswith(b"\n"):
                # A crash tears only the unterminated end of the last write.
                raise _corrupt(path, lineno, str(exc)) from None
            pending_error = (lineno, str(exc))
            scan.torn_line, scan.torn_offset = lineno, start
            continue
        first = False
        if not line.endswith(b"\n"):
            # Whole JSON, but a record counts once its newline is on disk.
            pending_error = (lineno, "no newline at the end")
            scan.torn_line, scan.torn_offset = lineno, start
            continue
        if parsed is not None:
            name, raw = parsed
            jobs[name] = raw
            if detail:
                assert isinstance(obj, dict)
                scan.members[name] = _member(name, raw[0], obj)
        elif isinstance(obj, dict):
            _other(obj, scan, detail)
    scan.size = offset


def _corrupt(path: Path, lineno: int, reason: str) -> InputError:
    return InputError.one(
        str(path),
        f"line {lineno}",
        "",
        f"corrupt ledger record ({reason}); fix or delete that line",
    )


def read_scan(path: Path, *, detail: bool = False) -> LedgerScan:
    """:func:`scan_ledger`, read-only and without the lock; a missing file is empty.

    A torn last line is ignored with a ``ledger.torn_tail`` warning; the file is left
    as it is (only :meth:`Ledger.open` repairs).
    """
    scan = scan_ledger(path, detail=detail)
    if scan.torn_offset is not None:
        _log.warning(
            "ledger.torn_tail",
            path=str(path),
            line=scan.torn_line,
            dropped_bytes=scan.size - scan.torn_offset,
        )
    return scan


def load_ledger(path: Path) -> LedgerState:
    """The ledger's state for resume (see :func:`read_scan`)."""
    return read_scan(path).state()
