"""What a driven run shows: pending / running / ended / attempts live, and a final tally."""

from __future__ import annotations

from typing import TextIO

from sagesweep.driving.driver import DriveCounts
from sagesweep.ledger.members import STOPPED_EARLY
from sagesweep.submitting.counters import Counters

__all__ = ["DriveView", "print_drive_summary"]


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class DriveView:
    """The progress bar's view of a driven run: jobs ended out of jobs to run."""

    def __init__(self, counts: DriveCounts, counters: Counters, cap: int | None) -> None:
        self._counts = counts
        self._counters = counters
        self._cap = cap

    def done(self) -> int:
        return sum(self._counts.ended.values()) + self._counters.failed

    #: The line carries its own estimate, from observed job durations.
    estimates = True

    def total(self) -> int:
        return self._counters.total + self._counts.resubmitted

    def eta(self) -> str:
        """Jobs left x the mean observed duration, spread over the running places."""
        c = self._counts
        mean = c.mean_duration()
        if mean is None:
            return "eta ?"
        left = c.pending + c.running
        parallel = max(1, self._cap or max(1, c.running))
        return f"eta {_duration(mean * left / parallel)}"

    def detail(self) -> str:
        c = self._counts
        ended = c.ended
        early = ended.get(STOPPED_EARLY, 0)
        stopped = f" · stopped early {early}" if early else ""
        return (
            f"pending {c.pending} · running {c.running} · completed {ended.get('Completed', 0)}"
            f" · failed {ended.get('Failed', 0)}{stopped} · attempts {c.resubmitted}"
            f" · {self.eta()}"
        )


def print_drive_summary(
    counts: DriveCounts, *, stream: TextIO, sweep: str, stop_hint: str = ""
) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="jobs by final status")
    table.add_column("status")
    table.add_column("jobs", justify="right")
    for status, count in sorted(counts.ended.items()):
        # "Failed" here is a job that ran and failed, as opposed to a create that failed.
        table.add_row("Failed (in training)" if status == "Failed" else status, str(count))
    if counts.running:
        table.add_row("still running", str(counts.running))
    console = Console(file=stream)
    console.print(table)
    hours = counts.billable_instance_seconds / 3600
    console.print(
        f"billable: {hours:.2f} instance-hours; {counts.resubmitted} attempt(s) made by "
        f"--resubmit-on; {counts.polls} poll(s)",
        highlight=False,
    )
    if counts.running and stop_hint:
        # print, not the console: a hint wrapped at the terminal's width cannot be pasted.
        print(f"{counts.running} job(s) of {sweep} still run. To stop them:", file=stream)
        print(stop_hint, file=stream)
