"""What `sagesweep plan` prints: a jsonl stream or a summary table with a preview.

Both show requests by :mod:`sagesweep.redaction.redact`'s rule: ``Environment`` values
and flagged hyperparameter and tag values are ``***``. So ``--format jsonl`` prints
every request as it will be sent except for those values: what reproduces a job is
the sweep file, not its secrets, and plan output ends up in terminals, CI logs and
tickets.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from sagesweep.planning.config import load_config
from sagesweep.planning.planner import JobSpec, MakePlanner, Planner
from sagesweep.planning.usage import UsageTally
from sagesweep.redaction.redact import redact_params, redact_request

__all__ = ["DEFAULT_PREVIEW", "job_line", "print_plan"]

DEFAULT_PREVIEW = 10
# Sweep files cannot hold a value nested inside itself (refused when loaded), so the
# encoder's cycle bookkeeping, a cost on every container of every line, is left out.
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


def job_line(job: JobSpec) -> str:
    """The `plan --format jsonl` record of one job, secrets masked."""
    return _encode(
        {
            "name": job.name,
            "digest": job.digest,
            "params": redact_params(job.params, job.request),
            "request": redact_request(job.request),
        }
    )


def _summary(planner: Planner) -> str:
    stats = planner.stats
    text = f"{stats.jobs} jobs planned from {planner.source}"
    space = planner.space
    if space.method == "list" and space.parameters:
        grid = space.grid_size()
        text += f" ({len(space.trials)} trials x {grid} grid points of the parameters)"
    if stats.duplicates:
        text += f"; {stats.duplicates} identical point(s) dropped"
    return text


def _warn(planner: Planner, err: TextIO) -> None:
    for line in planner.stats.warnings:
        print(f"{planner.source}: warning: {line}", file=err)


def print_plan(
    sweep: Path,
    *,
    fmt: str = "table",
    limit: int | None = None,
    max_jobs: int | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    make_planner: MakePlanner = Planner,
) -> UsageTally:
    """Plan SWEEP and print it; raises :class:`~sagesweep.errors.InputError` on problems.

    ``make_planner``: what plans the sweep file (a tpe sweep needs its search's).
    Returns what the jobs ask for (instances, worst-case run time), for a forecast.
    """
    usage = UsageTally()
    out = out or sys.stdout
    err = err or sys.stderr
    planner = make_planner(load_config(sweep), max_jobs=max_jobs)
    if fmt == "jsonl":
        write = out.write
        for job in planner.jobs():
            usage.add(job.request)
            if limit is None or job.index < limit:
                write(job_line(job) + "\n")
        out.flush()
        _warn(planner, err)
        planner.check()
        print(_summary(planner), file=err)
        return usage
    preview: list[JobSpec] = []
    keep = DEFAULT_PREVIEW if limit is None else limit
    for job in planner.jobs():
        usage.add(job.request)
        if len(preview) < keep:
            preview.append(job)
    _warn(planner, err)
    planner.check()
    _print_table(planner, preview, out)
    return usage


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:39] + "…"


def _label(path: str, paths: list[str]) -> str:
    """The shortest unambiguous tail of a path, for a column header."""
    parts = path.replace("[", ".[").split(".")
    for n in range(1, len(parts) + 1):
        tail = ".".join(parts[-n:]).replace(".[", "[")
        if sum(1 for p in paths if p == tail or p.endswith("." + tail)) <= 1:
            return tail
    return path


def _print_table(planner: Planner, preview: list[JobSpec], out: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # rich exits 1 here; `plan | head` is the reader's choice, so let the CLI
            # handle it as it does for jsonl (exit 0). Like rich, point stdout at
            # devnull so the interpreter's final flush cannot fail again.
            self.quiet = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise BrokenPipeError

    if not preview:
        _Console(file=out, soft_wrap=False).print(_summary(planner), highlight=False)
        return
    paths = list(dict.fromkeys(p for job in preview for p in job.params))
    table = Table(title=f"first {len(preview)} of {planner.stats.jobs}", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("name", no_wrap=True)
    for path in paths:
        table.add_column(_label(path, paths), overflow="fold")
    for job in preview:
        params = redact_params(job.params, job.request)
        cells = [_cell(params[p]) if p in params else "" for p in paths]
        table.add_row(str(job.index + 1), job.name, *cells)
    # As wide as the values need, as results does: a number folded over two lines
    # reads as two numbers.
    natural = Console(width=100_000).measure(table).maximum
    console = _Console(file=out, soft_wrap=False, width=max(natural, Console(file=out).width))
    console.print(_summary(planner), highlight=False)
    console.print(table)
