"""Find the training jobs to clone and read each one whole: Describe, then ListTags.

Jobs are chosen by name (given, or read from a file), by a part of their name
(``ListTrainingJobs`` with ``NameContains``) or by the tuning job that started them
(``ListTrainingJobsForHyperParameterTuningJob``). Listing pages are followed to the end:
SageMaker filters a page after cutting it, so a page may come back short or empty with a
``NextToken``. Every call goes through the shared paced limiter; Describe and ListTags
calls for different jobs run side by side, at most ``concurrency`` at once.

Status and creation-time filters are sent with the listing where the API has them and
applied again to each description, which is the truth at the time it is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anyio

from sagesweep.aws.outcomes import ErrorKind
from sagesweep.aws.target import DEFAULT_CONCURRENCY
from sagesweep.cloning.request import model_facts
from sagesweep.errors import InputError, Problem
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls

if TYPE_CHECKING:
    from types_aiobotocore_sagemaker import SageMakerClient

__all__ = ["Described", "Selection", "gather", "parse_selection"]

log = get_logger("sagesweep.operating")

PAGE_SIZE = 100
_CLI = "<cli>"


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """Which jobs to clone: exactly one way of naming them, and optional filters."""

    names: tuple[str, ...] = ()
    name_contains: str | None = None
    tuning_job: str | None = None
    statuses: frozenset[str] = frozenset()
    created_after: datetime | None = None  #: timezone-aware

    def wanted(self, job: Mapping[str, Any]) -> bool:
        """Whether a description or listing summary passes the filters."""
        if self.statuses and job.get("TrainingJobStatus") not in self.statuses:
            return False
        created = job.get("CreationTime")
        if self.created_after is not None and isinstance(created, datetime):
            return created > self.created_after
        return True

    def __str__(self) -> str:
        if self.tuning_job is not None:
            what = f"started by tuning job {self.tuning_job!r}"
        elif self.name_contains is not None:
            what = f"whose name contains {self.name_contains!r}"
        else:
            what = f"of the {len(self.names)} name(s) given"
        if self.statuses:
            what += f" with status {', '.join(sorted(self.statuses))}"
        if self.created_after is not None:
            what += f" created after {self.created_after.isoformat()}"
        return what


def parse_selection(
    *,
    names: Sequence[str] = (),
    names_file: Path | str | None = None,
    name_contains: str | None = None,
    tuning_job: str | None = None,
    statuses: Iterable[str] = (),
    created_after: datetime | str | None = None,
) -> Selection:
    """Check the options; every problem is one line of an :class:`InputError`."""
    problems: list[Problem] = []
    ways = [
        option
        for option, given in (
            ("--name", bool(names)),
            ("--names-file", names_file is not None),
            ("--name-contains", name_contains is not None),
            ("--tuning-job", tuning_job is not None),
        )
        if given
    ]
    if len(ways) != 1:
        found = " and ".join(ways) if ways else "none"
        problems.append(
            Problem(
                _CLI,
                "",
                "selection",
                "choose the jobs one way: --name, --names-file, --name-contains or "
                f"--tuning-job (got {found})",
            )
        )
    listed = list(names)
    if names_file is not None:
        listed += _read_names(Path(names_file), problems)
    pattern = re.compile(model_facts().name_pattern)
    problems.extend(
        Problem(_CLI, repr(name), "--name", "not a training job name")
        for name in dict.fromkeys(listed)
        if not pattern.fullmatch(name)
    )
    if name_contains is not None and not name_contains:
        problems.append(Problem(_CLI, "", "--name-contains", "must not be empty"))
    if tuning_job is not None and not tuning_job:
        problems.append(Problem(_CLI, "", "--tuning-job", "must not be empty"))
    chosen = {p.strip() for item in statuses for p in item.split(",") if p.strip()}
    known = model_facts().statuses
    unknown = sorted(chosen - set(known))
    if unknown:
        problems.append(
            Problem(
                _CLI,
                "",
                "--status",
                f"unknown status {', '.join(unknown)} (one of: {', '.join(known)})",
            )
        )
    after = _parse_time(created_after, problems)
    if problems:
        raise InputError(problems)
    return Selection(
        names=tuple(dict.fromkeys(listed)),
        name_contains=name_contains,
        tuning_job=tuning_job,
        statuses=frozenset(chosen),
        created_after=after,
    )


def _read_names(path: Path, problems: list[Problem]) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        problems.append(Problem(str(path), "", "--names-file", f"cannot read: {reason}"))
        return []
    # A job name cannot hold '#' or spaces: a comment or blank line is never a name.
    names = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    names = [name for name in names if name]
    if not names:
        problems.append(Problem(str(path), "", "--names-file", "holds no job name"))
    return names


def _parse_time(value: datetime | str | None, problems: list[Problem]) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            problems.append(
                Problem(
                    _CLI,
                    "",
                    "--created-after",
                    f"{value!r} is not an ISO 8601 time, e.g. 2024-05-01T12:00:00Z",
                )
            )
            return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Described:
    """A training job as DescribeTrainingJob and ListTags show it."""

    description: Mapping[str, Any]
    tags: tuple[Mapping[str, Any], ...]

    @property
    def name(self) -> str:
        return str(self.description.get("TrainingJobName", ""))


async def gather(
    client: SageMakerClient,
    calls: PacedCalls,
    selection: Selection,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> list[Described]:
    """The selected jobs, described and with their tags: listing order, oldest first."""
    if selection.names:
        names, explicit = list(selection.names), True
    else:
        names, explicit = await _listed(client, calls, selection), False
    found: list[Described | None] = [None] * len(names)
    missing: list[str] = []
    failures: list[AwsCallError] = []
    limit = anyio.CapacityLimiter(max(1, concurrency))

    async def read(index: int, name: str, scope: anyio.CancelScope) -> None:
        async with limit:
            try:
                description = await calls(client.describe_training_job, TrainingJobName=name)
                if not selection.wanted(description):
                    return
                arn = str(description.get("TrainingJobArn", ""))
                found[index] = Described(description, await _tags(client, calls, arn))
            except AwsCallError as exc:
                if exc.error.kind is ErrorKind.NOT_FOUND:
                    missing.append(name)
                    return
                # Raised after the group, as itself: not wrapped in an exception group.
                failures.append(exc)
                scope.cancel()

    async with anyio.create_task_group() as tg:
        for index, name in enumerate(names):
            tg.start_soon(read, index, name, tg.cancel_scope)
    if failures:
        raise failures[0]
    if missing and explicit:
        raise InputError(
            [Problem(_CLI, name, "--name", "no training job of that name") for name in missing]
        )
    for name in missing:  # deleted between the listing and now
        log.info("clone.vanished", job=name)
    return [job for job in found if job is not None]


async def _tags(
    client: SageMakerClient, calls: PacedCalls, arn: str
) -> tuple[Mapping[str, Any], ...]:
    tags: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        page = await calls(client.list_tags, ResourceArn=arn, **_token(token))
        tags.extend(page.get("Tags") or ())
        token = page.get("NextToken")
        if not token:
            return tuple(tags)


def _token(token: str | None) -> dict[str, str]:
    return {"NextToken": token} if token else {}


async def _listed(client: SageMakerClient, calls: PacedCalls, selection: Selection) -> list[str]:
    """Names from the listing, filtered by what each summary shows, oldest first."""
    query: dict[str, Any] = {"MaxResults": PAGE_SIZE, "SortBy": "CreationTime"}
    if len(selection.statuses) == 1:
        query["StatusEquals"] = next(iter(selection.statuses))
    if selection.tuning_job is not None:
        method: Any = client.list_training_jobs_for_hyper_parameter_tuning_job
        query["HyperParameterTuningJobName"] = selection.tuning_job
        query["SortOrder"] = "Ascending"
    else:
        method = client.list_training_jobs
        query["NameContains"] = selection.name_contains
        query["SortOrder"] = "Ascending"
        if selection.created_after is not None:
            query["CreationTimeAfter"] = selection.created_after
    summaries: list[Mapping[str, Any]] = []
    token: str | None = None
    while True:
        try:
            page = await calls(method, **query, **_token(token))
        except AwsCallError as exc:
            if selection.tuning_job is not None and exc.error.kind is ErrorKind.NOT_FOUND:
                raise InputError.one(
                    _CLI, selection.tuning_job, "--tuning-job", "no tuning job of that name"
                ) from None
            raise
        summaries.extend(page.get("TrainingJobSummaries") or ())
        token = page.get("NextToken")
        if not token:
            break
    kept = [s for s in summaries if selection.wanted(s)]
    # Tuning jobs list their jobs by start order at best: put them in creation order.
    kept.sort(key=lambda s: _created(s.get("CreationTime")))
    return list(dict.fromkeys(str(s.get("TrainingJobName")) for s in kept))


def _created(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else 0.0
