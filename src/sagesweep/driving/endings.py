"""Which of a sweep's running jobs have ended, asked at a bounded cost.

A poll asks for what changed since the last poll (``Search`` on the sweep's tag,
``TrainingJobStatus`` not ``InProgress`` and ``LastModifiedTime`` after the last poll,
less a margin: one call per 100 endings), so a poll in which nothing ended costs one
call. Now and then (the driver says when) a poll is *full*: it also asks for what is
running (one call per 100 running jobs), and a job that left the running set but is not
among the changes (``Search`` lags behind the service) is asked for by name. So a
5,000-job sweep with 50 running costs one call a poll, and two or three on a full one.
Where ``Search`` is not allowed, every running job is described.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sagesweep.aws.outcomes import ErrorKind
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.operating.observe import NOT_FOUND, JobState
from sagesweep.planning.naming import SWEEP_TAG

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["ENDED", "Endings", "end_record"]

ENDED = frozenset({"Completed", "Failed", "Stopped", NOT_FOUND})
#: seconds subtracted from the last poll's time when asking what changed since.
SINCE_MARGIN = 60.0
PAGE = 100


class Endings:
    """Asks AWS which of the given running jobs ended; see the module docstring."""

    def __init__(self, client: SageMakerClient, calls: PacedCalls, sweep: str) -> None:
        self.client = client
        self.calls = calls
        self.sweep = sweep
        self._last_poll = time.time()

    async def of(self, names: Sequence[str], *, full: bool = True) -> dict[str, JobState]:
        """The ended jobs among ``names``, with their final state (see the module doc)."""
        started = time.time()
        tag = {"Name": f"Tags.{SWEEP_TAG}", "Operator": "Equals", "Value": self.sweep}
        # Jobs that changed since the last poll, with a margin for clock skew and
        # Search's lag: one call a page, instead of a Describe per ended job.
        since = _iso(self._last_poll - SINCE_MARGIN)
        modified = {"Name": "LastModifiedTime", "Operator": "GreaterThan", "Value": since}
        changed = await self._search([tag, _status("NotEquals"), modified])
        ended = {
            name: state
            for name, state in (changed or {}).items()
            if name in names and state.status in ENDED
        }
        if full or changed is None:
            running = None if changed is None else await self._search([tag, _status("Equals")])
            for name in names:
                if name in ended or (running is not None and name in running):
                    continue
                state = await self._describe(name)
                if state.status in ENDED:
                    ended[name] = state
        self._last_poll = started
        return ended

    async def running(self) -> dict[str, JobState]:
        """The sweep's jobs ``InProgress`` now, by ``Search`` (empty if it is refused)."""
        tag = {"Name": f"Tags.{SWEEP_TAG}", "Operator": "Equals", "Value": self.sweep}
        return await self._search([tag, _status("Equals")]) or {}

    async def _search(self, filters: list[dict[str, str]]) -> dict[str, JobState] | None:
        """The sweep's jobs matching ``filters``, all pages; None if Search is refused."""
        found: dict[str, JobState] = {}
        token: str | None = None
        expression: Any = {"Filters": filters}
        try:
            while True:
                page = await self.calls(
                    self.client.search,
                    Resource="TrainingJob",
                    SearchExpression=expression,
                    MaxResults=PAGE,
                    **({"NextToken": token} if token else {}),
                )
                for record in page.get("Results") or ():
                    job = record.get("TrainingJob") or {}
                    if isinstance(job.get("TrainingJobName"), str):
                        found[job["TrainingJobName"]] = JobState.of(job)
                token = page.get("NextToken")
                if not token:
                    return found
        except AwsCallError as exc:
            if exc.error.kind is not ErrorKind.PERMANENT:
                raise
            return None  # describe each job instead

    async def _describe(self, name: str) -> JobState:
        try:
            job = await self.calls(self.client.describe_training_job, TrainingJobName=name)
        except AwsCallError as exc:
            if exc.error.kind is ErrorKind.NOT_FOUND:
                return JobState(name=name, status=NOT_FOUND)
            raise
        return JobState.of(job)


def _status(operator: str) -> dict[str, str]:
    return {"Name": "TrainingJobStatus", "Operator": operator, "Value": "InProgress"}


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def end_record(state: JobState) -> dict[str, Any]:
    """The ledger's ``end`` record of a job's final state."""
    return {
        "event": "end",
        "name": state.name,
        "status": state.status,
        "failure_reason": state.failure_reason,
        "metrics": dict(state.metrics),
        "billable_seconds": state.billable_seconds,
        "instance_type": state.instance_type,
        "instance_count": state.instance_count,
    }
