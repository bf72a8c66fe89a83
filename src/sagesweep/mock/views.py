"""A job as each API shows it: Describe, a ListTrainingJobs summary, a Search record.

Timestamps are epoch seconds, as the JSON protocol sends them. Members the request
had are echoed the way SageMaker echoes them (the caller's MetricDefinitions
included); the rest follows from the job's history at ``now``.
"""

from __future__ import annotations

from typing import Any

from sagesweep.mock.lifecycle import (
    COMPLETED,
    FAILED,
    TERMINAL,
    Billing,
    Step,
    billing,
    primary_status,
    visible,
)
from sagesweep.mock.state import MockJob

__all__ = ["JobView", "describe", "search_record", "summary"]

#: CreateTrainingJob members that DescribeTrainingJob returns as they were given.
_ECHOED = frozenset(
    [
        "AlgorithmSpecification",
        "CheckpointConfig",
        "DebugHookConfig",
        "DebugRuleConfigurations",
        "EnableInterContainerTrafficEncryption",
        "EnableManagedSpotTraining",
        "EnableNetworkIsolation",
        "Environment",
        "ExperimentConfig",
        "HyperParameters",
        "InfraCheckConfig",
        "InputDataConfig",
        "MlflowConfig",
        "ModelPackageConfig",
        "OutputDataConfig",
        "ProfilerConfig",
        "ProfilerRuleConfigurations",
        "RemoteDebugConfig",
        "ResourceConfig",
        "RetryStrategy",
        "RoleArn",
        "ServerlessJobConfig",
        "StoppingCondition",
        "TensorBoardOutputConfig",
        "VpcConfig",
    ]
)
#: Describe members that a Search TrainingJob record does not have.
_NOT_IN_SEARCH = frozenset(
    [
        "InfraCheckConfig",
        "MlflowConfig",
        "ProfilerRuleConfigurations",
        "RemoteDebugConfig",
        "ServerlessJobConfig",
    ]
)
_FLAGS = (
    "EnableNetworkIsolation",
    "EnableInterContainerTrafficEncryption",
    "EnableManagedSpotTraining",
)
#: SageMaker's MaxRuntimeInSeconds when a request sets none.
_DEFAULT_MAX_RUNTIME = 86400


class JobView:
    """A job as of ``now``; its history is worked out on first use only."""

    __slots__ = ("_shown", "job", "now")

    def __init__(self, job: MockJob, now: float) -> None:
        self.job = job
        self.now = now
        self._shown: list[Step] | None = None

    @property
    def shown(self) -> list[Step]:
        """The steps that have happened by ``now``."""
        if self._shown is None:
            self._shown = visible(self.job.steps(), self.now)
        return self._shown

    @property
    def status(self) -> str:
        return primary_status(self.shown[-1])

    @property
    def secondary_status(self) -> str:
        return self.shown[-1].status

    @property
    def last_modified(self) -> float:
        return self.shown[-1].at

    def billing(self) -> Billing:
        spot = self.job.request.get("EnableManagedSpotTraining") is True
        return billing(self.shown, self.job.fate, spot)


def describe(view: JobView) -> dict[str, Any]:
    """The DescribeTrainingJob response."""
    job = view.job
    out: dict[str, Any] = {"TrainingJobName": job.name, "TrainingJobArn": job.arn}
    out.update((key, value) for key, value in job.request.items() if key in _ECHOED)
    resources = out.get("ResourceConfig")
    if isinstance(resources, dict) and "InstancePreferences" in resources:
        # What SageMaker chose from the preferences, and bills for.
        out["ResourceConfig"] = {
            **resources,
            "SelectedInstanceType": job.instance_type,
            "SelectedInstanceCount": job.instance_count,
        }
    out.setdefault("StoppingCondition", {"MaxRuntimeInSeconds": _DEFAULT_MAX_RUNTIME})
    for flag in _FLAGS:
        out.setdefault(flag, False)
    output = job.request.get("OutputDataConfig")
    output = output if isinstance(output, dict) else {}
    # SageMaker returns KmsKeyId ("" when unset); the SageMaker Python SDK reads it.
    out["OutputDataConfig"] = {**output, "KmsKeyId": output.get("KmsKeyId", "")}
    s3 = str(output.get("S3OutputPath", ""))
    # The path as given, one "/" before the job's folder (AWS keeps "s3://b/p//" as is).
    joint = s3 if s3.endswith("/") else s3 + "/"
    out["ModelArtifacts"] = {"S3ModelArtifacts": f"{joint}{job.name}/output/model.tar.gz"}
    status = view.status
    out["TrainingJobStatus"] = status
    out["SecondaryStatus"] = view.secondary_status
    if status == FAILED and job.fate.failure is not None:
        out["FailureReason"] = job.fate.failure
    out["CreationTime"] = job.created
    times = view.billing()
    if times.start is not None:
        out["TrainingStartTime"] = times.start
    if times.end is not None:
        out["TrainingEndTime"] = times.end
        out["TrainingTimeInSeconds"] = times.training_seconds
        out["BillableTimeInSeconds"] = times.billable_seconds
    out["LastModifiedTime"] = view.last_modified
    _add_warm_pool(out, view)
    out["SecondaryStatusTransitions"] = _transitions(view.shown)
    if status == COMPLETED:
        # The algorithm's last metric line comes as training ends, before the upload.
        stamp = next((s.at for s in view.shown if s.status == "Uploading"), view.last_modified)
        out["FinalMetricDataList"] = [
            {"MetricName": name, "Value": value, "Timestamp": stamp} for name, value in job.metrics
        ]
    return out


def _add_warm_pool(out: dict[str, Any], view: JobView) -> None:
    """``WarmPoolStatus``, for a job with a keep-alive period."""
    pool = view.job.warm_pool(view.now)
    if pool is None:
        return
    warm: dict[str, Any] = {"Status": pool.status}
    if pool.retained_seconds is not None:
        warm["ResourceRetainedBillableTimeInSeconds"] = pool.retained_seconds
    if pool.reused_by is not None:
        warm["ReusedByJob"] = pool.reused_by
    out["WarmPoolStatus"] = warm


def _transitions(shown: list[Step]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for index, step in enumerate(shown):
        entry: dict[str, Any] = {"Status": step.status, "StartTime": step.at}
        if index + 1 < len(shown):
            entry["EndTime"] = shown[index + 1].at
        elif step.status in TERMINAL:
            entry["EndTime"] = step.at
        entry["StatusMessage"] = step.message
        entries.append(entry)
    return entries


def summary(view: JobView) -> dict[str, Any]:
    """One entry of ListTrainingJobs' TrainingJobSummaries."""
    job = view.job
    out: dict[str, Any] = {
        "TrainingJobName": job.name,
        "TrainingJobArn": job.arn,
        "CreationTime": job.created,
    }
    end = view.billing().end
    if end is not None:
        out["TrainingEndTime"] = end
    out["LastModifiedTime"] = view.last_modified
    out["TrainingJobStatus"] = view.status
    out["SecondaryStatus"] = view.secondary_status
    _add_warm_pool(out, view)
    return out


def search_record(view: JobView) -> dict[str, Any]:
    """A Search result's ``TrainingJob``: the Describe response plus the job's tags."""
    out = {k: v for k, v in describe(view).items() if k not in _NOT_IN_SEARCH}
    out["Tags"] = [dict(tag) for tag in view.job.tags]
    return out
