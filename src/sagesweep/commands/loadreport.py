"""``submit --report``: a run measured as a load test, what ``launch`` drives when asked.

While the run goes, a snapshot of the report (``"complete": false``) replaces the file
every :data:`SNAPSHOT_SECONDS`, so a run killed with ``kill -9`` leaves the last
snapshot, a valid report of what it measured until then. At the end the report is
written whole with the target's own counters (``GET /_mock/stats`` on sagesweep's mock,
``/moto-api/data.json``'s training-job count on ``moto_server``; nothing from AWS) and
the timeline PNG if asked.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio

from sagesweep.aws.calllog import CallLog
from sagesweep.logs import get_logger
from sagesweep.reporting.loadtest import document, summary_lines, write_document
from sagesweep.submitting.stages import Ceilinged, Stage, follow

__all__ = ["SNAPSHOT_SECONDS", "LoadRun", "LoadSettings", "measuring", "target_counters"]

log = get_logger("sagesweep.submit")

SNAPSHOT_SECONDS = 5.0
#: How long the target's counters may take to answer before the report goes without.
COUNTERS_TIMEOUT = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadSettings:
    """What ``--report``, ``--report-plot`` and ``--rate-stages`` ask of a run."""

    report: Path | None = None  #: None: measure and print the summary, write no file
    plot: Path | None = None
    stages: tuple[Stage, ...] = ()
    snapshot_seconds: float = SNAPSHOT_SECONDS


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=COUNTERS_TIMEOUT) as answer:
        return json.loads(answer.read())


def target_counters(endpoint_url: str | None) -> dict[str, Any] | None:
    """The target's own counters, where it has them (None: it has none, or is AWS)."""
    if endpoint_url is None:
        return None
    base = endpoint_url.rstrip("/")
    try:
        return {"source": "/_mock/stats", **_get(f"{base}/_mock/stats")}
    except (OSError, ValueError):
        pass
    try:
        data = _get(f"{base}/moto-api/data.json")
    except (OSError, ValueError):
        return None
    jobs = data.get("sagemaker", {}).get("FakeTrainingJob", []) if isinstance(data, dict) else []
    return {"source": "/moto-api/data.json", "training_jobs": len(jobs)}


class LoadRun:
    """One measured run: its :class:`CallLog` and the report written from it."""

    def __init__(
        self, settings: LoadSettings, *, sweep: str, target: dict[str, Any], rate: float
    ) -> None:
        self.settings = settings
        self.calls = CallLog()
        self._sweep = sweep
        self._target = target
        self._rate = settings.stages[-1].rate if settings.stages else rate
        self.created = 0

    def document(self, *, complete: bool, counters: dict[str, Any] | None = None) -> Any:
        return document(
            self.calls,
            sweep=self._sweep,
            target=self._target,
            requested_rate=self._rate,
            stages=self.settings.stages,
            created=self.created,
            complete=complete,
            counters=counters,
        )

    async def snapshots(self) -> None:
        """Replace the report with a snapshot every few seconds, until cancelled."""
        path = self.settings.report
        while path is not None:
            await anyio.sleep(self.settings.snapshot_seconds)
            doc = self.document(complete=False)
            await anyio.to_thread.run_sync(write_document, path, doc)

    async def finish(self, endpoint_url: str | None) -> list[str]:
        """Write the whole report (and the PNG); return the console summary."""
        self.calls.close()
        counters = await anyio.to_thread.run_sync(target_counters, endpoint_url)
        doc = self.document(complete=True, counters=counters)
        lines = summary_lines(doc)
        if self.settings.report is not None:
            write_document(self.settings.report, doc)
            lines.append(f"load report written to {self.settings.report}")
        if self.settings.plot is not None:
            from sagesweep.reporting.timeline import plot_timeline

            plot_timeline(doc, self.settings.plot)
            lines.append(f"timeline written to {self.settings.plot}")
        log.info("submit.load_report", path=str(self.settings.report), calls=doc["calls"])
        return lines


@asynccontextmanager
async def measuring(load: LoadRun | None, limiter: Ceilinged) -> AsyncIterator[None]:
    """While the body runs: the report's snapshots, and the limiter following the stages."""
    if load is None:
        yield
        return
    stages = load.settings.stages
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(load.snapshots)
        if stages:
            mark = load.calls.stage
            tasks.start_soon(partial(follow, limiter, stages, on_stage=lambda _, s: mark(s.rate)))
        try:
            yield
        finally:
            tasks.cancel_scope.cancel()
