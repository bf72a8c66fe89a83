"""What AWS says of a sweep's jobs, read at a bounded cost.

One ``Search`` on the ``sagesweep:sweep`` tag returns whole jobs (status, failure
reason, final metrics, billable time), 100 a page: a 5,000-job sweep is read in about
50 calls. Results are kept only for names in the ledger, so a decoy job tagged with our
sweep name by someone else is never counted. ``Search`` is eventually consistent: a job
created moments ago may be missing from it, so any created job it did not return is
asked for by name with ``DescribeTrainingJob``. Where ``Search`` is not allowed (an IAM
policy without ``sagemaker:Search``), every job is described.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sagesweep.aws.outcomes import ErrorKind
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.planning.naming import SWEEP_TAG

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["NOT_FOUND", "JobState", "account_usage", "observe"]

log = get_logger("sagesweep.operating")

#: The status of a job the ledger says was created and AWS does not know.
NOT_FOUND = "NotFound"
PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class JobState:
    """One training job as AWS describes it, reduced to what operating a sweep needs."""

    name: str
    status: str  #: TrainingJobStatus, or NotFound
    arn: str | None = None
    secondary_status: str | None = None
    failure_reason: str | None = None
    billable_seconds: int | None = None
    instance_count: int = 1
    metrics: Mapping[str, float] = field(default_factory=dict)
    end_time: float | None = None  #: POSIX seconds, when it ended
    #: The type it runs on: SageMaker's pick from InstancePreferences, else InstanceType.
    instance_type: str = ""
    created: float | None = None  #: POSIX seconds
    start_time: float | None = None  #: POSIX seconds, when training started
    max_runtime: int | None = None  #: MaxRuntimeInSeconds
    #: WarmPoolStatus.Status (a job with a keep-alive): InUse, Available, Reused, Terminated.
    warm_pool: str | None = None
    #: WarmPoolStatus.ResourceRetainedBillableTimeInSeconds: the pool's billed wait.
    warm_retained_seconds: int | None = None
    #: WarmPoolStatus.ReusedByJob: the job that started on this one's pool.
    reused_by: str | None = None

    @classmethod
    def of(cls, job: Mapping[str, Any]) -> JobState:
        """From a ``DescribeTrainingJob`` answer or a ``Search`` record's ``TrainingJob``."""
        metrics: dict[str, float] = {}
        for item in job.get("FinalMetricDataList") or ():
            name, value = item.get("MetricName"), item.get("Value")
            if isinstance(name, str) and isinstance(value, int | float):
                metrics[name] = float(value)
        resources = job.get("ResourceConfig") or {}
        ended = job.get("TrainingEndTime")
        billable = job.get("BillableTimeInSeconds")
        preferences = resources.get("InstancePreferences") or [{}]
        first = preferences[0] if isinstance(preferences[0], Mapping) else {}
        instance_type = (
            resources.get("SelectedInstanceType")
            or resources.get("InstanceType")
            or first.get("InstanceType")
            or ""
        )
        count = (
            resources.get("SelectedInstanceCount")
            or resources.get("InstanceCount")
            or first.get("InstanceCount")
            or 1
        )
        runtime = (job.get("StoppingCondition") or {}).get("MaxRuntimeInSeconds")
        warm = job.get("WarmPoolStatus") or {}
        retained = warm.get("ResourceRetainedBillableTimeInSeconds")
        reused_by = warm.get("ReusedByJob")
        return cls(
            name=str(job.get("TrainingJobName")),
            status=str(job.get("TrainingJobStatus")),
            arn=job.get("TrainingJobArn"),
            secondary_status=job.get("SecondaryStatus"),
            failure_reason=job.get("FailureReason"),
            billable_seconds=billable if isinstance(billable, int) else None,
            instance_count=int(count),
            metrics=metrics,
            end_time=_epoch(ended),
            instance_type=str(instance_type),
            created=_epoch(job.get("CreationTime")),
            start_time=_epoch(job.get("TrainingStartTime")),
            max_runtime=runtime if isinstance(runtime, int) else None,
            warm_pool=warm.get("Status") if isinstance(warm.get("Status"), str) else None,
            warm_retained_seconds=retained if isinstance(retained, int) else None,
            reused_by=reused_by if isinstance(reused_by, str) else None,
        )


def _epoch(value: object) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


async def observe(
    client: SageMakerClient,
    calls: PacedCalls,
    sweep: str,
    names: Iterable[str],
    *,
    also: Callable[[str], bool] | None = None,
) -> dict[str, JobState]:
    """The state of every job in ``names`` (the created jobs of ``sweep``).

    ``also``: further names to keep when ``Search`` happens to return them (attempts of
    the sweep's jobs that its ledger does not know, say); they are not looked for.
    """
    wanted = set(names)
    found: dict[str, JobState] = {}
    if not wanted:
        return found
    try:
        await _search(client, calls, sweep, wanted, found, also)
    except AwsCallError as exc:
        if exc.error.kind is not ErrorKind.PERMANENT:
            raise
        log.warning("operating.search_unavailable", code=exc.error.code, jobs=len(wanted))
    for name in sorted(wanted - found.keys()):  # Search lags, or was not allowed
        found[name] = await _describe(client, calls, name)
    return found


async def _search(
    client: SageMakerClient,
    calls: PacedCalls,
    sweep: str,
    wanted: set[str],
    found: dict[str, JobState],
    also: Callable[[str], bool] | None,
) -> None:
    expression: Any = {
        "Filters": [{"Name": f"Tags.{SWEEP_TAG}", "Operator": "Equals", "Value": sweep}]
    }
    token: str | None = None
    while True:
        page = await calls(
            client.search,
            Resource="TrainingJob",
            SearchExpression=expression,
            MaxResults=PAGE_SIZE,
            **({"NextToken": token} if token else {}),
        )
        for record in page.get("Results") or ():
            job = record.get("TrainingJob") or {}
            name = job.get("TrainingJobName")
            if name in wanted or (also is not None and isinstance(name, str) and also(name)):
                found[name] = JobState.of(job)
        token = page.get("NextToken")
        if not token:
            return


async def _describe(client: SageMakerClient, calls: PacedCalls, name: str) -> JobState:
    try:
        job = await calls(client.describe_training_job, TrainingJobName=name)
    except AwsCallError as exc:
        if exc.error.kind is ErrorKind.NOT_FOUND:
            return JobState(name=name, status=NOT_FOUND)
        raise
    return JobState.of(job)


async def account_usage(
    client: SageMakerClient, calls: PacedCalls, exclude: Callable[[str], bool]
) -> dict[str, int]:
    """Instances per type held by the account's InProgress jobs, but those ``exclude``
    names: one ``Search`` call per 100 InProgress jobs of the whole account."""
    expression: Any = {
        "Filters": [{"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "InProgress"}]
    }
    usage: dict[str, int] = {}
    token: str | None = None
    while True:
        page = await calls(
            client.search,
            Resource="TrainingJob",
            SearchExpression=expression,
            MaxResults=PAGE_SIZE,
            **({"NextToken": token} if token else {}),
        )
        for record in page.get("Results") or ():
            state = JobState.of(record.get("TrainingJob") or {})
            if state.status == "InProgress" and not exclude(state.name):
                usage[state.instance_type] = (
                    usage.get(state.instance_type, 0) + state.instance_count
                )
        token = page.get("NextToken")
        if not token:
            return usage
