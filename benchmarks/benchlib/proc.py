"""Run a command in a child process: wall time and that child's own peak RSS.

A child forked from the runner starts with the runner's memory mapped, and Linux
keeps that in the child's ``ru_maxrss`` even after ``exec``. So the command is
started by a small launcher (this file run as a script, a bare interpreter) that
waits for it with ``wait4`` and reports its peak RSS: the figure is the command's
own, give or take the launcher's ~10 MB.

    python proc.py RESULT.json COMMAND [ARGS...]
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass
class ChildRun:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stderr: str


def measure(argv: list[str], *, stdout: Path | None = None) -> ChildRun:
    """Run ``argv`` through the launcher; its stdout goes to ``stdout`` (or nowhere)."""
    with contextlib.ExitStack() as stack:
        out: int | IO[bytes] = subprocess.DEVNULL
        if stdout is not None:
            out = stack.enter_context(open(stdout, "wb"))
        fd, name = tempfile.mkstemp(suffix=".json")
        os.close(fd)
        result = Path(name)
        stack.callback(result.unlink, missing_ok=True)
        launcher = [sys.executable, "-S", "-E", __file__, str(result), *argv]
        done = subprocess.run(launcher, stdout=out, stderr=subprocess.PIPE, check=False)
        data = json.loads(result.read_text() or "{}")
    if not data:
        raise RuntimeError(f"launcher failed for {argv}: {done.stderr.decode()[-2000:]}")
    return ChildRun(
        float(data["seconds"]),
        float(data["maxrss_kb"]) / 1024.0,
        int(data["returncode"]),
        done.stderr.decode()[-2000:],
    )


def checked(run: ChildRun, what: str) -> ChildRun:
    """``run``, or RuntimeError naming ``what`` if it exited non-zero."""
    if run.returncode != 0:
        raise RuntimeError(f"{what} exited {run.returncode}: {run.stderr}")
    return run


def _launch(result: str, argv: list[str]) -> None:
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], argv, os.environ)
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    Path(result).write_text(
        json.dumps({"seconds": seconds, "maxrss_kb": usage.ru_maxrss, "returncode": code})
    )


if __name__ == "__main__":
    _launch(sys.argv[1], sys.argv[2:])
