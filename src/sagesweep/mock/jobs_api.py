"""The training-job actions, answered from the mock's own account.

Create, Describe, ListTrainingJobs, Search (``TrainingJob``), Stop, Delete, the tag
actions on training-job ARNs, and ListTrainingJobsForHyperParameterTuningJob (which
moto lacks; tuning jobs themselves are moto's). Each runs under one lock, so a check and the
change it guards cannot interleave with another request. With a state file, a change
is acknowledged only once it is on disk (see :mod:`sagesweep.mock.persist`); a change
that cannot be saved is answered ``InternalFailure`` and undone: the account goes back
to what is on disk, and every later change is refused the same way until a restart.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sagesweep.mock import wire
from sagesweep.mock.config import MockConfig
from sagesweep.mock.fate import decide_fate
from sagesweep.mock.lifecycle import IN_PROGRESS, TERMINAL
from sagesweep.mock.objective import final_metrics
from sagesweep.mock.persist import StateStore, StateWriteError, job_line
from sagesweep.mock.query import QueryError, list_training_jobs, search
from sagesweep.mock.quotas import WARM_POOL_USAGE
from sagesweep.mock.state import JobTable, MockJob, pool_key
from sagesweep.mock.stats import StatsCounter
from sagesweep.mock.views import JobView, describe
from sagesweep.mock.wire import Reply
from sagesweep.validation.service import service_problems

__all__ = ["TrainingJobs"]

Params = dict[str, Any]

# Matched whole, the name being any text: an ARN that differs from a job's by a trailing
# newline must name no job rather than that job (or reach moto, which fails on it).
_JOB_ARN = re.compile(
    r"arn:[^:]+:sagemaker:(?P<region>[^:]+):(?P<account>\d+):training-job/(?P<name>.+)",
    re.DOTALL,
)
#: Any SageMaker resource's ARN, as the tag actions' ``ResourceArn`` must be (the model's
#: pattern, anchored).
_ANY_ARN = re.compile(r"arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]*:[0-9]{12}:.+", re.DOTALL)


class TrainingJobs:
    """The account's training jobs and the actions on them."""

    def __init__(
        self,
        config: MockConfig,
        *,
        account_id: str,
        counters: StatsCounter,
        store: StateStore | None = None,
        tuning_job_exists: Callable[[str, str], bool] = lambda region, name: False,
    ) -> None:
        self._config = config
        self._account_id = account_id
        self._counters = counters
        self._store = store
        self._tuning_job_exists = tuning_job_exists  # (region, name): moto holds tuning jobs
        self._lock = threading.Lock()
        self._table = JobTable(
            quotas=dict(config.quotas),
            stopping_seconds=config.stopping_seconds,
            capacity=dict(config.capacity),
        )
        # Without a seed every run draws its own fates; with one, they replay.
        self._seed: object = config.seed if config.seed is not None else uuid.uuid4().hex
        self._handlers: dict[str, Callable[[str, Params], Reply | None]] = {
            "CreateTrainingJob": self._create,
            "DescribeTrainingJob": self._describe,
            "ListTrainingJobs": self._list,
            "Search": self._search,
            "StopTrainingJob": self._stop,
            "DeleteTrainingJob": self._delete,
            "AddTags": self._add_tags,
            "ListTags": self._list_tags,
            "DeleteTags": self._delete_tags,
            "ListTrainingJobsForHyperParameterTuningJob": self._for_tuning_job,
        }

    # -- the account as a whole ----------------------------------------------------------

    def restore(self, jobs: list[MockJob]) -> None:
        with self._lock:
            self._table.restore(jobs)

    def snapshot(self) -> tuple[int, str, list[bytes]]:
        """For the state store: the last ticket issued and every job's line, consistently."""
        with self._lock:
            ticket = self._store.last_ticket if self._store is not None else 0
            return ticket, self._account_id, [job_line(job) for job in self._table.jobs()]

    def clear(self) -> None:
        with self._changing() as commit:
            self._table.clear()
            if self._store is not None:
                commit(self._store.reset())

    def statuses(self, region: str) -> dict[str, str]:
        with self._lock:
            self._table.advance()
            return self._table.statuses(region)

    def in_region(self, region: str) -> list[MockJob]:
        """The jobs of one region as of now, oldest first (their curves are published)."""
        with self._lock:
            self._table.advance()
            return self._in_region(region)

    def now(self) -> float:
        return self._table.now()

    @property
    def seed(self) -> object:
        """What every job's draws are keyed by (the config's seed, or this run's own)."""
        return self._seed

    def gauges(self) -> tuple[int, int]:
        """(jobs in progress now, their peak)."""
        with self._lock:
            self._table.advance()
            return self._table.in_progress, self._table.peak_in_progress

    # -- requests ------------------------------------------------------------------------

    def handle(self, action: str, region: str, params: Params) -> Reply | None:
        """The reply to ``action``, or None if it is not for a training job (moto's turn)."""
        handler = self._handlers.get(action)
        if handler is None:
            return None
        try:
            return handler(region, params)
        except QueryError as exc:
            return wire.validation(str(exc))
        except StateWriteError:
            return wire.internal_failure()

    @contextmanager
    def _changing(self) -> Iterator[Callable[[int], None]]:
        """Hold the lock for a change; once released, wait until the change is saved.

        A change that cannot be saved is not kept: the account is read back from disk.
        """
        tickets: list[int] = []
        store = self._store
        with self._lock:
            if store is not None and store.failed:
                self._counters.add("save_failures")
                raise StateWriteError(f"{store.path}: an earlier save failed")
            self._table.advance()
            yield tickets.append
        if store is None or not tickets:
            return
        try:
            store.wait(max(tickets))
        except StateWriteError:
            self._counters.add("save_failures")
            with self._lock:
                self._table.clear()
                self._table.restore(store.saved().jobs)
            raise

    def _arn(self, region: str, name: str) -> str:
        partition = "aws-cn" if region.startswith("cn-") else "aws"
        return f"arn:{partition}:sagemaker:{region}:{self._account_id}:training-job/{name}"

    def _create(self, region: str, params: Params) -> Reply:
        name = params.get("TrainingJobName")
        # The service refuses what its model forbids before it looks at anything else.
        problems = service_problems(params)
        if problems:
            return wire.validation(wire.validation_summary(problems))
        assert isinstance(name, str)
        resources = params.get("ResourceConfig")
        resources = resources if isinstance(resources, dict) else {}
        options = _instance_options(resources)
        request = {k: v for k, v in params.items() if k not in ("TrainingJobName", "Tags")}
        tags = [dict(tag) for tag in params.get("Tags") or [] if isinstance(tag, dict)]
        config = self._config
        if resources.get("KeepAlivePeriodInSeconds") and params.get("EnableManagedSpotTraining"):
            return wire.validation(
                "Warm pools (ResourceConfig.KeepAlivePeriodInSeconds) are not supported "
                "with managed spot training (EnableManagedSpotTraining)."
            )
        fate = decide_fate(
            self._seed,
            name,
            job_seconds=config.job_seconds_range,
            fail_rate=config.fail_rate,
            fail_reasons=config.fail_reasons,
            start_seconds=config.start_seconds_range,
        )
        metrics = tuple(
            final_metrics(
                _metric_names(request), _hyperparameters(request), seed=self._seed, job_name=name
            )
        )
        arn = self._arn(region, name)
        with self._changing() as commit:
            existing = self._table.get(region, name)
            if existing is not None:
                self._counters.add("duplicates_rejected")
                return wire.resource_in_use(existing.arn)
            # SageMaker takes the first preference with capacity; without one (or with a
            # single type short of it) the job fails in Starting with a CapacityError.
            fitting = [o for o in options if self._table.has_capacity(region, *o)]
            instance_type, count = fitting[0] if fitting else options[0]
            if not fitting:
                fate = fate.without_capacity()
            rejection = self._table.check_quota(region, instance_type, count)
            if rejection is not None:
                self._counters.add("quota_rejected")
                return wire.limit_exceeded(
                    rejection.instance_type, rejection.limit, rejection.current, rejection.delta
                )
            keep_alive = resources.get("KeepAlivePeriodInSeconds")
            pool = None
            if isinstance(keep_alive, int) and keep_alive > 0:
                refused = self._warm_quota(region, instance_type, count)
                if refused is not None:
                    return refused
            if not fate.short_of_capacity:
                pool = self._table.take_pool(pool_key(region, instance_type, request))
            job = self._table.add(
                region=region,
                name=name,
                arn=arn,
                instance_type=instance_type,
                instance_count=count,
                fate=fate,
                request=request,
                tags=tags,
                metrics=metrics,
                pool=pool,
            )
            self._counters.add("created")
            if pool is not None:
                self._counters.add("warm_starts")
            if self._store is not None:
                commit(self._store.put(job))
                if pool is not None:
                    commit(self._store.put(pool))
        return wire.json_reply("200 OK", {"TrainingJobArn": arn})

    def _warm_quota(self, region: str, instance_type: str, count: int) -> Reply | None:
        """The refusal of a job whose warm pool would exceed ``--warm-pool-quota``."""
        limit = self._config.warm_pool_quotas.get(instance_type)
        if limit is None:
            return None
        current = self._table.warm_instances(region, instance_type)
        if current + count <= limit:
            return None
        self._counters.add("quota_rejected")
        return wire.limit_exceeded(instance_type, limit, current, count, usage=WARM_POOL_USAGE)

    def _find(
        self, region: str, params: Params, missing: Callable[[str], Reply] = wire.not_found
    ) -> MockJob | Reply:
        """The job the request names, or the reply to a bad or unknown name."""
        name = params.get("TrainingJobName")
        problems = wire.name_errors(name)
        if problems:
            return wire.validation(wire.validation_summary(problems))
        assert isinstance(name, str)
        job = self._table.get(region, name)
        return job if job is not None else missing(self._arn(region, name))

    def _describe(self, region: str, params: Params) -> Reply:
        with self._lock:
            now = self._table.advance()
            found = self._find(region, params)
            if isinstance(found, Reply):
                return found
            body = describe(JobView(found, now))
        return wire.json_reply("200 OK", body)

    def _list(self, region: str, params: Params) -> Reply:
        with self._lock:
            now = self._table.advance()
            body = list_training_jobs(self._in_region(region), params, now)
        return wire.json_reply("200 OK", body)

    def _search(self, region: str, params: Params) -> Reply | None:
        if params.get("Resource") != "TrainingJob":
            return None
        with self._lock:
            now = self._table.advance()
            body = search(self._in_region(region), params, now)
        return wire.json_reply("200 OK", body)

    def _for_tuning_job(self, region: str, params: Params) -> Reply:
        """The training jobs a tuning job started: none of the mock's (they are created by
        CreateTrainingJob), so an empty list for a tuning job moto knows."""
        name = str(params.get("HyperParameterTuningJobName", ""))
        if not self._tuning_job_exists(region, name):
            return wire.tuning_job_not_found(name)
        return wire.json_reply("200 OK", {"TrainingJobSummaries": []})

    def _in_region(self, region: str) -> list[MockJob]:
        return [job for job in self._table.jobs() if job.region == region]

    def _stop(self, region: str, params: Params) -> Reply:
        with self._changing() as commit:
            found = self._find(region, params)
            if isinstance(found, Reply):
                return found
            if found.status != IN_PROGRESS:
                return wire.validation(
                    "The request was rejected because the training job is in status "
                    f"{found.status}."
                )
            self._table.stop(found)
            if self._store is not None:
                commit(self._store.put(found))
        return wire.json_reply("200 OK", {})

    def _delete(self, region: str, params: Params) -> Reply:
        with self._changing() as commit:
            found = self._find(region, params, missing=wire.resource_not_found)
            if isinstance(found, Reply):
                return found
            if found.status not in TERMINAL:
                return wire.delete_refused(found.arn, found.status)
            self._table.delete(found)
            if self._store is not None:
                commit(self._store.delete(found))
        return wire.json_reply("200 OK", {})

    def _tagged(self, params: Params) -> MockJob | Reply | None:
        """The job a tag action is for, the reply if it has none, None if not a job's ARN."""
        arn = str(params.get("ResourceArn", ""))
        if _ANY_ARN.fullmatch(arn) is None:
            return wire.validation(
                f"1 validation error detected: Value '{arn}' at 'resourceArn' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                "arn:aws[a-z\\-]*:sagemaker:[a-z0-9\\-]*:[0-9]{12}:.+"
            )
        match = _JOB_ARN.fullmatch(arn)
        if match is None:
            return None  # another kind of resource: moto's
        if match["account"] != self._account_id:
            return wire.resource_not_found_arn(arn)
        job = self._table.get(match["region"], match["name"])
        return job if job is not None else wire.not_found(match.group(0))

    def _add_tags(self, region: str, params: Params) -> Reply | None:
        with self._changing() as commit:
            job = self._tagged(params)
            if not isinstance(job, MockJob):
                return job
            for tag in params.get("Tags") or []:
                if isinstance(tag, dict) and "Key" in tag:
                    _set_tag(job.tags, str(tag["Key"]), str(tag.get("Value", "")))
            job.changed()
            if self._store is not None:
                commit(self._store.put(job))
            tags = [dict(tag) for tag in job.tags]
        return wire.json_reply("200 OK", {"Tags": tags})

    def _list_tags(self, region: str, params: Params) -> Reply | None:
        with self._lock:
            job = self._tagged(params)
            if not isinstance(job, MockJob):
                return job
            tags = [dict(tag) for tag in job.tags]
        return wire.json_reply("200 OK", {"Tags": tags})

    def _delete_tags(self, region: str, params: Params) -> Reply | None:
        with self._changing() as commit:
            job = self._tagged(params)
            if not isinstance(job, MockJob):
                return job
            keys = {str(key) for key in params.get("TagKeys") or []}
            job.tags[:] = [tag for tag in job.tags if tag["Key"] not in keys]
            job.changed()
            if self._store is not None:
                commit(self._store.put(job))
        return wire.json_reply("200 OK", {})


def _set_tag(tags: list[dict[str, str]], key: str, value: str) -> None:
    for tag in tags:
        if tag["Key"] == key:
            tag["Value"] = value
            return
    tags.append({"Key": key, "Value": value})


def _instance_options(resources: Params) -> list[tuple[str, int]]:
    """(type, count) choices of a ResourceConfig: its InstancePreferences in order, or its
    one InstanceType."""
    preferences = resources.get("InstancePreferences")
    if isinstance(preferences, list) and preferences:
        return [
            (str(p.get("InstanceType", "")), _count(p.get("InstanceCount", 1)))
            for p in preferences
            if isinstance(p, dict)
        ] or [("", 1)]
    return [(str(resources.get("InstanceType", "")), _count(resources.get("InstanceCount", 1)))]


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def _metric_names(request: Params) -> list[str]:
    spec = request.get("AlgorithmSpecification")
    definitions = spec.get("MetricDefinitions") if isinstance(spec, dict) else None
    if not isinstance(definitions, list):
        return []
    return [str(d["Name"]) for d in definitions if isinstance(d, dict) and "Name" in d]


def _hyperparameters(request: Params) -> dict[str, Any]:
    values = request.get("HyperParameters")
    return values if isinstance(values, dict) else {}
