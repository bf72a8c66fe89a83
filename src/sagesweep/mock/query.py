"""ListTrainingJobs and Search over the mock's jobs: checks, filters, order and pages.

Pages are cut by key, not by offset: a NextToken names the sort key of the last job
returned, so jobs created between two pages neither repeat nor hide an older one.
ListTrainingJobs applies NameContains and the time filters before cutting a page and
StatusEquals after, as SageMaker documents it does (a page can come back short, even
empty, with a NextToken). Search filters before cutting, so its pages are full.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sagesweep.mock import wire
from sagesweep.mock.search import SearchTarget, check_expression, matches, parse_time, resolve
from sagesweep.mock.state import MockJob
from sagesweep.mock.views import JobView, summary

__all__ = ["DEFAULT_MAX_RESULTS", "QueryError", "list_training_jobs", "search"]

#: Page size when a request gives no MaxResults (SageMaker documents none).
DEFAULT_MAX_RESULTS = 10
_MAX_RESULTS = 100
_STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped", "Deleting")
_LIST_SORT_BY = ("Name", "CreationTime", "Status")
_SORT_ORDERS = ("Ascending", "Descending")
_TIME_FILTERS = (
    "CreationTimeAfter",
    "CreationTimeBefore",
    "LastModifiedTimeAfter",
    "LastModifiedTimeBefore",
)

#: (type rank, number, text, job seq): comparable whatever type the sort property has.
SortKey = tuple[int, float, str, int]


class QueryError(ValueError):
    """A request SageMaker would answer with ValidationException; str() is the message."""


def _member(key: str) -> str:
    return key[0].lower() + key[1:]


class _Checks:
    """Collects the validation problems of one request."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.params = params
        self.problems: list[str] = []

    def page_size(self) -> int:
        size = self.params.get("MaxResults")
        if size is None:
            return DEFAULT_MAX_RESULTS
        prefix = f"Value '{size}' at 'maxResults' failed to satisfy constraint: Member must"
        if not isinstance(size, int) or isinstance(size, bool):
            self.problems.append(f"{prefix} be an integer")
        elif size < 1:
            self.problems.append(f"{prefix} have value greater than or equal to 1")
        elif size > _MAX_RESULTS:
            self.problems.append(f"{prefix} have value less than or equal to {_MAX_RESULTS}")
        else:
            return size
        return DEFAULT_MAX_RESULTS

    def choice(self, key: str, default: str | None, allowed: tuple[str, ...]) -> str | None:
        value = self.params.get(key, default)
        if value is not None and value not in allowed:
            self.problems.append(
                f"Value '{value}' at '{_member(key)}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(allowed)}]"
            )
            return default
        return None if value is None else str(value)

    def timestamp(self, key: str) -> float | None:
        value = self.params.get(key)
        if value is None:
            return None
        parsed = parse_time(str(value))
        if parsed is None:
            self.problems.append(
                f"Value '{value}' at '{_member(key)}' failed to satisfy constraint: "
                "Member must be a timestamp"
            )
        return parsed

    def done(self) -> None:
        if self.problems:
            raise QueryError(wire.validation_summary(self.problems))


def _encode_token(scope: str, key: SortKey) -> str:
    raw = json.dumps([scope, list(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode_token(token: object, scope: str) -> SortKey:
    try:
        found_scope, (rank, number, text, seq) = json.loads(
            base64.urlsafe_b64decode(str(token).encode())
        )
        if found_scope != scope:
            raise ValueError(found_scope)
        return int(rank), float(number), str(text), int(seq)
    except (ValueError, TypeError, binascii.Error):
        raise QueryError("Invalid pagination token: it does not belong to this query.") from None


def _page(
    items: list[JobView],
    key: Callable[[JobView], SortKey],
    *,
    descending: bool,
    size: int,
    token: object,
    scope: str,
) -> tuple[list[JobView], str | None]:
    keyed = sorted(((key(view), view) for view in items), key=lambda kv: kv[0])
    if descending:
        keyed.reverse()
    if token is not None:
        after = _decode_token(token, scope)
        keyed = [kv for kv in keyed if (kv[0] < after if descending else kv[0] > after)]
    page = keyed[:size]
    next_token = _encode_token(scope, page[-1][0]) if len(keyed) > size else None
    return [view for _, view in page], next_token


def list_training_jobs(
    jobs: Iterable[MockJob], params: Mapping[str, Any], now: float
) -> dict[str, Any]:
    """The ListTrainingJobs response for ``params`` over ``jobs`` (one region's)."""
    checks = _Checks(params)
    size = checks.page_size()
    sort_by = checks.choice("SortBy", "CreationTime", _LIST_SORT_BY) or "CreationTime"
    order = checks.choice("SortOrder", "Ascending", _SORT_ORDERS) or "Ascending"
    status = checks.choice("StatusEquals", None, _STATUSES)
    contains = params.get("NameContains")
    if contains is not None and not isinstance(contains, str):
        checks.problems.append(f"Value '{contains}' at 'nameContains' must be a string")
    bounds = {key: checks.timestamp(key) for key in _TIME_FILTERS}
    checks.done()

    def wanted(view: JobView) -> bool:
        job = view.job
        if isinstance(contains, str) and contains not in job.name:
            return False
        for key, bound in bounds.items():
            if bound is None:
                continue
            value = job.created if key.startswith("Creation") else view.last_modified
            if not (value > bound if key.endswith("After") else value < bound):
                return False
        return True

    def key(view: JobView) -> SortKey:
        job = view.job
        if sort_by == "Name":
            return (1, 0.0, job.name, job.seq)
        if sort_by == "Status":
            return (1, 0.0, view.status, job.seq)
        return (0, job.created, "", job.seq)

    views = [view for view in (JobView(job, now) for job in jobs) if wanted(view)]
    page, next_token = _page(
        views,
        key,
        descending=order == "Descending",
        size=size,
        token=params.get("NextToken"),
        scope=f"list:{sort_by}:{order}",
    )
    if status is not None:
        page = [view for view in page if view.status == status]
    result: dict[str, Any] = {"TrainingJobSummaries": [summary(view) for view in page]}
    if next_token is not None:
        result["NextToken"] = next_token
    return result


def search(jobs: Iterable[MockJob], params: Mapping[str, Any], now: float) -> dict[str, Any]:
    """The Search response (Resource ``TrainingJob``) over ``jobs`` (one region's)."""
    checks = _Checks(params)
    size = checks.page_size()
    order = checks.choice("SortOrder", "Descending", _SORT_ORDERS) or "Descending"
    sort_by = params.get("SortBy", "LastModifiedTime")
    if not isinstance(sort_by, str) or not sort_by:
        checks.problems.append(
            f"Value '{sort_by}' at 'sortBy' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
        sort_by = "LastModifiedTime"
    expression = params.get("SearchExpression")
    if expression is not None:
        checks.problems.extend(check_expression(expression))
    checks.done()

    targets = [SearchTarget(JobView(job, now)) for job in jobs]
    if expression is not None:
        targets = [target for target in targets if matches(target, expression)]
    by_view = {id(target.view): target for target in targets}

    def key(view: JobView) -> SortKey:
        value = resolve(by_view[id(view)], sort_by)
        seq = view.job.seq
        if isinstance(value, int | float) and not isinstance(value, bool):
            return (0, float(value), "", seq)
        if value is None:
            return (2, 0.0, "", seq)  # lacking the property sorts after every value
        return (1, 0.0, str(value), seq)

    page, next_token = _page(
        [target.view for target in targets],
        key,
        descending=order == "Descending",
        size=size,
        token=params.get("NextToken"),
        scope=f"search:{sort_by}:{order}",
    )
    result: dict[str, Any] = {
        "Results": [{"TrainingJob": by_view[id(view)].record()} for view in page],
        "TotalHits": {"Value": len(targets), "Relation": "EqualTo"},
    }
    if next_token is not None:
        result["NextToken"] = next_token
    return result
