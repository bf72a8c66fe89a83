"""How `sagesweep status` shows a sweep: a table for people, JSON and CSV for programs."""

from __future__ import annotations

import csv
import json
from typing import TYPE_CHECKING, TextIO

from sagesweep.operating.status import STATUSES, SweepStatus

if TYPE_CHECKING:
    from rich.console import RenderableType

__all__ = ["CSV_COLUMNS", "render_table", "write_csv", "write_json"]

CSV_COLUMNS = (
    "name",
    "base",
    "attempt",
    "status",
    "secondary_status",
    "failure_reason",
    "billable_seconds",
    "params",
)
#: Newest failures shown under the table.
NEWEST_FAILURES = 5


def write_json(status: SweepStatus, out: TextIO) -> None:
    json.dump(status.as_json(), out, default=str)
    out.write("\n")


def write_csv(status: SweepStatus, out: TextIO) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in status.jobs:
        data = row.as_json()
        data["params"] = json.dumps(row.params, separators=(",", ":"), default=str)
        writer.writerow(["" if data[c] is None else data[c] for c in CSV_COLUMNS])


def render_table(status: SweepStatus) -> RenderableType:
    """A rich renderable: counts, grouped failure reasons, the newest failures."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    if status.planned is not None:
        unsent = max(0, status.planned - status.created)
        size = f"created {status.created} of {status.planned} jobs; {unsent} not submitted"
    else:
        size = f"{len(status.jobs)} jobs"
    heading = Text(f"sweep {status.sweep}: {size}", style="bold")
    counts = Table()
    counts.add_column("status")
    counts.add_column("jobs", justify="right")
    for name in STATUSES:
        count = status.counts.get(name, 0)
        if count or name in ("InProgress", "Completed", "Failed"):
            counts.add_row(name, str(count))
    parts: list[RenderableType] = [heading, counts]
    seconds = status.billable_instance_seconds
    hours = seconds / 3600
    parts.append(Text(f"billable so far: {seconds} instance-seconds ({hours:.2f} instance-hours)"))
    if status.spend is not None:
        parts.append(Text(status.spend.line()))
    if status.warm is not None:
        kept = status.warm.retained_instance_seconds
        parts.append(
            Text(
                f"warm pools: {status.warm.starts} warm start(s); retained pools billed "
                f"{kept} instance-seconds ({kept / 3600:.2f} instance-hours)"
            )
        )
    reasons = status.failure_reasons()
    if reasons:
        grouped = Table(title="failure reasons", title_justify="left")
        grouped.add_column("jobs", justify="right")
        grouped.add_column("reason")
        for reason, count in reasons:
            grouped.add_row(str(count), reason)
        parts.append(grouped)
        failed = [row for row in status.jobs if row.status == "Failed"]
        failed.sort(key=lambda row: row.ended or 0.0, reverse=True)
        newest = Table(title="newest failures", title_justify="left")
        newest.add_column("job")
        newest.add_column("attempt", justify="right")
        newest.add_column("reason")
        for row in failed[:NEWEST_FAILURES]:
            first_line = (row.failure_reason or "").split("\n", 1)[0]
            newest.add_row(row.name, str(row.attempt), first_line[:100])
        parts.append(newest)
    return Group(*parts)
