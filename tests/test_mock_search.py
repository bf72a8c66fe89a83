"""The training-job API around the lifecycle: create checks, Search, ListTrainingJobs,
tags, and DeleteTrainingJob."""

from __future__ import annotations

import time
from datetime import UTC, timedelta
from typing import Any

import boto3
import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError

from sagesweep.mock import MockServer
from tests.conftest import MockFactory
from tests.test_mock_server import REQUEST, client, error_of, wait_for_status


def tagged(sweep: str | None) -> list[dict[str, str]]:
    return [] if sweep is None else [{"Key": "sagesweep:sweep", "Value": sweep}]


def make_jobs(
    sm: Any,
    count: int,
    sweep_of: Any = lambda i: None,
    pause: float = 0.002,
    **extra: Any,
) -> list[str]:
    """Jobs ``job-000``...; ``pause`` apart, so that each has a creation time (ms) of its
    own: the filters and sorts under test are by time, and a keep-alive server answers
    several calls within one millisecond."""
    names = []
    for i in range(count):
        if i and pause:
            time.sleep(pause)
        name = f"job-{i:03d}"
        hyper = {"eta": str(0.01 * (i + 1))}
        sm.create_training_job(
            TrainingJobName=name, Tags=tagged(sweep_of(i)), HyperParameters=hyper, **REQUEST
        )
        names.append(name)
    return names


def searched(sm: Any, page_size: int = 100, **kwargs: Any) -> list[dict[str, Any]]:
    pages = sm.get_paginator("search").paginate(
        Resource="TrainingJob", PaginationConfig={"PageSize": page_size}, **kwargs
    )
    return [result["TrainingJob"] for page in pages for result in page["Results"]]


def name_filter(operator: str, value: str, name: str = "TrainingJobName") -> dict[str, Any]:
    return {"Filters": [{"Name": name, "Operator": operator, "Value": value}]}


class TestSearch:
    def test_by_tag_returns_exactly_the_tagged_jobs_across_pages(
        self, mock_server: MockServer
    ) -> None:
        """20 of 60 jobs carry the sweep's tag; pages of 7 return those 20, once each."""
        sm = client(mock_server)
        names = make_jobs(sm, 60, lambda i: "sweep-a" if i % 3 == 0 else "b")
        expected = {n for i, n in enumerate(names) if i % 3 == 0}
        expression = name_filter("Equals", "sweep-a", "Tags.sagesweep:sweep")
        pages = list(
            sm.get_paginator("search").paginate(
                Resource="TrainingJob",
                SearchExpression=expression,
                PaginationConfig={"PageSize": 7},
            )
        )
        found = [r["TrainingJob"]["TrainingJobName"] for p in pages for r in p["Results"]]
        assert sorted(found) == sorted(expected)
        assert len(found) == len(expected) == 20
        assert [len(p["Results"]) for p in pages] == [7, 7, 6]
        record = pages[0]["Results"][0]["TrainingJob"]
        assert record["Tags"] == [{"Key": "sagesweep:sweep", "Value": "sweep-a"}]
        assert record["TrainingJobStatus"] == "Completed"
        assert record["FinalMetricDataList"][0]["MetricName"] == "validation:auc"
        assert record["BillableTimeInSeconds"] >= 1

    async def test_aiobotocore_pages_through_search(self, mock_server: MockServer) -> None:
        """The engine's client follows NextToken to the same complete set."""
        make_jobs(client(mock_server), 25, lambda i: "s" if i % 2 else None)
        async with get_session().create_client(
            "sagemaker",
            endpoint_url=mock_server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=AioConfig(retries={"total_max_attempts": 1}),
        ) as sm:
            found = []
            pages: Any = sm.get_paginator("search")
            async for page in pages.paginate(
                Resource="TrainingJob",
                SearchExpression=name_filter("Equals", "s", "Tags.sagesweep:sweep"),
                PaginationConfig={"PageSize": 5},
            ):
                found += [r["TrainingJob"]["TrainingJobName"] for r in page["Results"]]
        assert sorted(found) == [f"job-{i:03d}" for i in range(25) if i % 2]

    @pytest.mark.parametrize(
        ("expression", "expected"),
        [
            pytest.param(name_filter("Equals", "job-003"), [3], id="equals"),
            pytest.param(name_filter("Contains", "-00"), list(range(10)), id="contains"),
            pytest.param(name_filter("In", "job-001,job-004"), [1, 4], id="in"),
            pytest.param(
                name_filter("LessThan", "0.035", "HyperParameters.eta"), [0, 1, 2], id="numeric"
            ),
            pytest.param(
                name_filter("GreaterThanOrEqualTo", "0.11", "HyperParameters.eta"),
                [10, 11],
                id="numeric-ge",
            ),
            pytest.param(
                {"Filters": [{"Name": "Tags.sagesweep:sweep", "Operator": "Exists"}]},
                [0, 4, 8],
                id="exists",
            ),
            pytest.param(
                {"Filters": [{"Name": "Tags.sagesweep:sweep", "Operator": "NotExists"}]},
                [1, 2, 3, 5, 6, 7, 9, 10, 11],
                id="not-exists",
            ),
            pytest.param(
                {
                    "Operator": "Or",
                    "SubExpressions": [
                        name_filter("Equals", "job-002"),
                        name_filter("Equals", "job-009"),
                    ],
                },
                [2, 9],
                id="or",
            ),
            pytest.param(
                {
                    "Filters": [
                        {"Name": "TrainingJobStatus", "Operator": "Equals", "Value": "Completed"},
                        {"Name": "TrainingJobName", "Operator": "NotEquals", "Value": "job-000"},
                        {"Name": "Tags.sagesweep:sweep", "Operator": "Equals", "Value": "s"},
                    ]
                },
                [4, 8],
                id="and",
            ),
        ],
    )
    def test_filters(
        self, mock_server: MockServer, expression: dict[str, Any], expected: list[int]
    ) -> None:
        """Each operator selects exactly the jobs it should."""
        sm = client(mock_server)
        make_jobs(sm, 12, lambda i: "s" if i % 4 == 0 else None)
        found = sorted(j["TrainingJobName"] for j in searched(sm, SearchExpression=expression))
        assert found == [f"job-{i:03d}" for i in expected]

    def test_time_filter_and_sort(self, mock_server: MockServer) -> None:
        """CreationTime compares as a time (ISO 8601); SortBy orders either way."""
        sm = client(mock_server)
        make_jobs(sm, 6)
        third = sm.describe_training_job(TrainingJobName="job-002")["CreationTime"]
        iso = (third - timedelta(microseconds=1)).astimezone(UTC).isoformat()
        after = searched(
            sm,
            SearchExpression=name_filter("GreaterThan", iso, "CreationTime"),
            SortBy="CreationTime",
            SortOrder="Ascending",
        )
        assert [j["TrainingJobName"] for j in after] == ["job-002", "job-003", "job-004", "job-005"]
        by_name = searched(sm, SortBy="TrainingJobName", SortOrder="Descending")
        assert [j["TrainingJobName"] for j in by_name] == [f"job-{i:03d}" for i in range(5, -1, -1)]
        newest_first = searched(sm)  # default: LastModifiedTime, descending
        assert newest_first[0]["TrainingJobName"] == "job-005"

    def test_jobs_created_between_pages_hide_nothing(self, mock_server: MockServer) -> None:
        """NextToken keys on the last job: new jobs neither repeat nor hide older ones."""
        sm = client(mock_server)
        names = make_jobs(sm, 10)
        first = sm.search(
            Resource="TrainingJob", SortBy="CreationTime", SortOrder="Ascending", MaxResults=4
        )
        sm.create_training_job(TrainingJobName="late", **REQUEST)
        rest = searched(
            sm, SortBy="CreationTime", SortOrder="Ascending", NextToken=first["NextToken"]
        )
        seen = [r["TrainingJob"]["TrainingJobName"] for r in first["Results"]]
        seen += [j["TrainingJobName"] for j in rest]
        assert seen == [*names, "late"]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"MaxResults": 101}, "less than or equal to 100", id="max-results"),
            pytest.param(
                {"SearchExpression": name_filter("Like", "x")}, "enum value set", id="operator"
            ),
            pytest.param({"SearchExpression": {}}, "at least one filter", id="empty"),
            pytest.param({"NextToken": "garbage"}, "pagination token", id="token"),
        ],
    )
    def test_bad_requests(
        self, mock_server: MockServer, kwargs: dict[str, Any], message: str
    ) -> None:
        """Malformed searches get ValidationException, as from SageMaker."""
        with pytest.raises(ClientError, match=message) as exc:
            client(mock_server).search(Resource="TrainingJob", **kwargs)
        assert error_of(exc)[0] == "ValidationException"

    def test_other_resources_are_moto_s(self, mock_server: MockServer) -> None:
        """Search for anything but training jobs is answered by moto."""
        assert client(mock_server).search(Resource="Experiment")["Results"] == []


class TestCreate:
    @pytest.mark.parametrize(
        ("missing", "member"),
        [
            pytest.param("RoleArn", "roleArn", id="role"),
            pytest.param("OutputDataConfig", "outputDataConfig", id="output"),
        ],
    )
    def test_required_members(self, mock_server: MockServer, missing: str, member: str) -> None:
        """A create without a required member is refused as the service refuses it."""
        request = {k: v for k, v in REQUEST.items() if k != missing}
        unchecked = boto3.client(
            "sagemaker",
            endpoint_url=mock_server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        )
        with pytest.raises(ClientError) as exc:
            unchecked.create_training_job(TrainingJobName="job-1", **request)
        assert error_of(exc) == (
            "ValidationException",
            f"1 validation error detected: Value null at '{member}' failed to satisfy "
            "constraint: Member must not be null",
            400,
        )
        assert mock_server.jobs() == {}


def listed(sm: Any, page_size: int | None = None, **kwargs: Any) -> list[list[str]]:
    """Each page's job names, following NextToken."""
    pages = []
    token = None
    while True:
        extra = {"NextToken": token} if token else {}
        if page_size is not None:
            extra["MaxResults"] = page_size
        page = sm.list_training_jobs(**kwargs, **extra)
        pages.append([s["TrainingJobName"] for s in page["TrainingJobSummaries"]])
        token = page.get("NextToken")
        if token is None:
            return pages


class TestListTrainingJobs:
    def test_name_filter_pages_are_full(self, mock_server: MockServer) -> None:
        """NameContains is applied before the page is cut: every page but the last is full."""
        sm = client(mock_server)
        names = make_jobs(sm, 30)
        pages = listed(sm, 4, NameContains="job-01")
        assert [len(p) for p in pages] == [4, 4, 2]
        assert [n for p in pages for n in p] == [n for n in names if "job-01" in n]

    def test_name_filter_is_case_sensitive(self, mock_server: MockServer) -> None:
        """NameContains matches the name as written: upper case finds no lower-case name."""
        sm = client(mock_server)
        make_jobs(sm, 2)
        assert listed(sm, NameContains="JOB") == [[]]
        assert listed(sm, NameContains="job-001") == [["job-001"]]

    def test_status_filter_applies_to_each_page(self, mock_factory: MockFactory) -> None:
        """StatusEquals filters each page after it is cut, as SageMaker documents."""
        sm = client(mock_factory(job_seconds=60, stopping_seconds=0))
        names = make_jobs(sm, 9)
        stopped = names[6:]
        for name in stopped:
            sm.stop_training_job(TrainingJobName=name)
        pages = listed(sm, 3, StatusEquals="Stopped")
        assert pages == [[], [], stopped]

    def test_creation_and_modification_time_filters(self, mock_server: MockServer) -> None:
        """The After/Before filters are strict and exact."""
        sm = client(mock_server)
        names = make_jobs(sm, 6)
        times = [sm.describe_training_job(TrainingJobName=n)["CreationTime"] for n in names]
        assert len(set(times)) == 6
        between = listed(sm, 100, CreationTimeAfter=times[1], CreationTimeBefore=times[4])
        assert between == [names[2:4]]
        modified = listed(sm, 100, LastModifiedTimeAfter=times[3])
        assert modified == [names[4:]]

    @pytest.mark.parametrize(
        ("kwargs", "order"),
        [
            pytest.param({}, [0, 1, 2, 3], id="default-creation-ascending"),
            pytest.param({"SortOrder": "Descending"}, [3, 2, 1, 0], id="creation-descending"),
            pytest.param({"SortBy": "Name", "SortOrder": "Descending"}, [3, 2, 1, 0], id="name"),
            pytest.param({"SortBy": "Status"}, [0, 2, 1, 3], id="status"),
        ],
    )
    def test_sort(
        self, mock_factory: MockFactory, kwargs: dict[str, Any], order: list[int]
    ) -> None:
        """SortBy and SortOrder order the whole listing, across pages."""
        sm = client(mock_factory(job_seconds=60, stopping_seconds=0))
        names = make_jobs(sm, 4)
        for name in (names[1], names[3]):
            sm.stop_training_job(TrainingJobName=name)
        pages = listed(sm, 3, **kwargs)
        assert [n for p in pages for n in p] == [names[i] for i in order]

    def test_default_page_size(self, mock_server: MockServer) -> None:
        """Without MaxResults a page holds 10 jobs."""
        make_jobs(client(mock_server), 12)
        assert [len(p) for p in listed(client(mock_server))] == [10, 2]

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"MaxResults": 0}, "greater than or equal to 1", id="zero"),
            pytest.param({"MaxResults": 101}, "less than or equal to 100", id="too-many"),
            pytest.param({"SortBy": "Size"}, "[Name, CreationTime, Status]", id="sort-by"),
            pytest.param({"StatusEquals": "Done"}, "statusEquals", id="status"),
        ],
    )
    def test_bad_requests(
        self, mock_server: MockServer, kwargs: dict[str, Any], message: str
    ) -> None:
        """Out-of-range values get ValidationException with the member named."""
        # As the engine does, skip botocore's own checks: the service's are under test.
        unchecked = boto3.client(
            "sagemaker",
            endpoint_url=mock_server.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"total_max_attempts": 1}, parameter_validation=False),
        )
        with pytest.raises(ClientError) as exc:
            unchecked.list_training_jobs(**kwargs)
        code, text, status = error_of(exc)
        assert (code, status) == ("ValidationException", 400)
        assert message in text


class TestTags:
    def test_add_overwrites_list_and_delete(self, mock_server: MockServer) -> None:
        """AddTags overwrites a key in place or appends; DeleteTags removes; Search sees it."""
        sm = client(mock_server)
        arn = sm.create_training_job(TrainingJobName="job-1", Tags=tagged("a"), **REQUEST)[
            "TrainingJobArn"
        ]
        sm.add_tags(
            ResourceArn=arn,
            Tags=[{"Key": "sagesweep:sweep", "Value": "b"}, {"Key": "team", "Value": "ml"}],
        )
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [
            {"Key": "sagesweep:sweep", "Value": "b"},
            {"Key": "team", "Value": "ml"},
        ]
        found = searched(sm, SearchExpression=name_filter("Equals", "b", "Tags.sagesweep:sweep"))
        assert [j["TrainingJobName"] for j in found] == ["job-1"]
        sm.delete_tags(ResourceArn=arn, TagKeys=["sagesweep:sweep"])
        assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]


class TestDelete:
    def test_delete_frees_the_name(self, mock_server: MockServer) -> None:
        """A terminal job can be deleted; the name can then be created again."""
        sm = client(mock_server)
        sm.create_training_job(TrainingJobName="job-1", Tags=tagged("old"), **REQUEST)
        sm.delete_training_job(TrainingJobName="job-1")
        with pytest.raises(ClientError, match="Could not find training job"):
            sm.describe_training_job(TrainingJobName="job-1")
        assert sm.list_training_jobs()["TrainingJobSummaries"] == []
        sm.create_training_job(TrainingJobName="job-1", **REQUEST)
        assert (
            sm.list_tags(
                ResourceArn=sm.describe_training_job(TrainingJobName="job-1")["TrainingJobArn"]
            )["Tags"]
            == []
        )
        stats = mock_server.stats()
        assert (stats.delete_calls, stats.created, stats.duplicates_rejected) == (1, 2, 0)

    def test_running_jobs_cannot_be_deleted(self, mock_factory: MockFactory) -> None:
        """InProgress and Stopping jobs are refused with ResourceInUse; the job stays."""
        server = mock_factory(job_seconds=60, stopping_seconds=30)
        sm = client(server)
        sm.create_training_job(TrainingJobName="running", **REQUEST)
        sm.create_training_job(TrainingJobName="stopping", **REQUEST)
        sm.stop_training_job(TrainingJobName="stopping")
        for name, status in (("running", "InProgress"), ("stopping", "Stopping")):
            with pytest.raises(ClientError) as exc:
                sm.delete_training_job(TrainingJobName=name)
            code, message, http = error_of(exc)
            assert (code, http) == ("ResourceInUse", 400)
            assert f"in status {status}" in message
        assert server.jobs() == {"running": "InProgress", "stopping": "Stopping"}

    def test_stopped_job_can_be_deleted(self, mock_factory: MockFactory) -> None:
        """Once Stopped, the job is terminal and goes."""
        server = mock_factory(job_seconds=60, stopping_seconds=0.1)
        sm = client(server)
        sm.create_training_job(TrainingJobName="job-1", **REQUEST)
        sm.stop_training_job(TrainingJobName="job-1")
        wait_for_status(sm, "job-1", "Stopped")
        sm.delete_training_job(TrainingJobName="job-1")
        assert server.jobs() == {}

    def test_missing_job(self, mock_server: MockServer) -> None:
        """Deleting a name that has no job is ResourceNotFound."""
        with pytest.raises(ClientError) as exc:
            client(mock_server).delete_training_job(TrainingJobName="nope")
        assert error_of(exc)[0] == "ResourceNotFound"
