"""`sagesweep clone`: existing jobs as a list sweep that plans back every request (docs/cli.md)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import boto3
import pytest
from botocore.exceptions import ClientError
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sagesweep.aws.client import ClientSettings
from sagesweep.cli import main
from sagesweep.cloning.gather import gather, parse_selection
from sagesweep.cloning.request import clean_hyperparameters, model_facts, recreate
from sagesweep.cloning.split import split
from sagesweep.commands.clone import clone
from sagesweep.commands.parts import Parts
from sagesweep.errors import InputError
from sagesweep.mock import MockConfig, MockServer
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.planning.render import PointApplier
from sagesweep.planning.yamlsafe import dump_yaml, load_yaml
from sagesweep.submitting.pacing import AdaptiveRate, Backoff

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1"
#: Hyperparameter text a careless writer would turn into numbers, booleans or placeholders.
ETAS = ("0.1", "1e-5", "0.30", "010", "yes")
TYPES = ("ml.m5.xlarge", "ml.c5.2xlarge")
FAST = Parts(backoff=Backoff(base=0.01, cap=0.05))


def sagemaker(server: MockServer) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def original(i: int, prefix: str = "orig") -> dict[str, Any]:
    """A CreateTrainingJob request as a console, SDK or script would send it."""
    request: dict[str, Any] = {
        "TrainingJobName": f"{prefix}-{i:02d}",
        "HyperParameters": {
            "eta": ETAS[i % len(ETAS)],
            "max_depth": str(3 + i % 7),
            "objective": "binary:logistic",
            "layers": '{"sizes": [64, 32]}' if i % 4 == 0 else "[64]",
        },
        "AlgorithmSpecification": {
            "TrainingImage": IMAGE,
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:auc", "Regex": "auc=([0-9.]+)"}],
        },
        "RoleArn": ROLE,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://data/d{i % 3}/"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://out/models/"},
        "ResourceConfig": {
            "InstanceType": TYPES[i % 2],
            "InstanceCount": 1 + i % 2,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "Tags": [{"Key": "team", "Value": "ml"}, {"Key": "trial", "Value": str(i)}],
        "EnableNetworkIsolation": False,
        "EnableInterContainerTrafficEncryption": False,
        "EnableManagedSpotTraining": False,
        "Environment": {"MODE": "train"},
        "CheckpointConfig": {"S3Uri": f"s3://ckpt/{prefix}-{i:02d}/"},
    }
    if i % 3 != 1:
        request["VpcConfig"] = {
            "SecurityGroupIds": ["sg-0123456789abcdef0"],
            "Subnets": ["subnet-0a1b2c3d"] + (["subnet-4e5f6a7b"] if i % 2 else []),
        }
    if i % 5 == 0:  # launched by an earlier sweep: its own tag is not the user's
        request["Tags"].append({"Key": "sagesweep:sweep", "Value": "old"})
    return request


def create_all(server: MockServer, requests: list[dict[str, Any]]) -> None:
    client = sagemaker(server)
    for request in requests:
        client.create_training_job(**request)


def as_sent(request: Mapping[str, Any]) -> dict[str, Any]:
    """What a clone must remake: the request without its name and sagesweep's tags."""
    out = {k: v for k, v in request.items() if k != "TrainingJobName"}
    tags = [t for t in out.pop("Tags", []) if not t["Key"].startswith("sagesweep:")]
    if tags:
        out["Tags"] = tags
    return out


def typed(value: Any) -> str:
    """Equality with types: 1, 1.0, True and "1" all differ."""
    return json.dumps(value, sort_keys=True)


def planned(path: Path) -> list[dict[str, Any]]:
    planner = Planner(load_config(path))
    jobs = list(planner.jobs())
    planner.check()
    return [as_sent(job.request) for job in jobs]


def statuses(server: MockServer, names: list[str]) -> dict[str, str]:
    client = sagemaker(server)
    return {n: client.describe_training_job(TrainingJobName=n)["TrainingJobStatus"] for n in names}


class TestRoundTrip:
    async def test_failed_jobs_plan_back_field_by_field(self, tmp_path: Path) -> None:
        """30 jobs, some failed: the clone of the failed ones plans each request exactly."""
        requests = [original(i) for i in range(30)]
        out = tmp_path / "again.yaml"
        with MockServer(MockConfig(fail_rate=0.3, seed=1)) as server:
            create_all(server, requests)
            truth = statuses(server, [r["TrainingJobName"] for r in requests])
            cloned = await clone(
                "again",
                out,
                name_contains="orig-",
                statuses=["Failed"],
                endpoint_url=server.url,
                parts=FAST,
            )
        failed = [r for r in requests if truth[r["TrainingJobName"]] == "Failed"]
        assert 3 <= len(failed) < 30
        assert {r["ResourceConfig"]["InstanceType"] for r in failed} == set(TYPES)
        assert 0 < sum("VpcConfig" in r for r in failed) < len(failed)
        assert cloned.jobs == tuple(r["TrainingJobName"] for r in failed)
        assert (cloned.problems, cloned.duplicates, cloned.exit_code) == ((), 0, 0)
        got = planned(out)
        assert len(got) == len(failed)
        for request, plan in zip(failed, got, strict=True):
            expected = as_sent(request)
            assert sorted(plan) == sorted(expected), request["TrainingJobName"]
            for field in expected:
                assert typed(plan[field]) == typed(expected[field]), field

    def test_the_cli_writes_json_that_plan_turns_into_the_same_requests(
        self, tmp_path: Path
    ) -> None:
        """clone -o FILE.json, then `plan FILE --format jsonl`: every request, new names."""
        requests = [original(i) for i in range(6)]
        for request in requests:
            del request["Environment"]  # plan prints Environment values masked
        out = tmp_path / "again.json"
        with MockServer(MockConfig()) as server:
            create_all(server, requests)
            result = CliRunner().invoke(
                main,
                [
                    "clone",
                    "--endpoint-url",
                    server.url,
                    *[a for r in requests[::-1] for a in ("--name", r["TrainingJobName"])],
                    "--sweep",
                    "again",
                    "-o",
                    str(out),
                ],
            )
        assert result.exit_code == 0, result.stderr
        assert "wrote 6 job(s)" in result.stderr
        lines = CliRunner().invoke(main, ["plan", str(out), "--format", "jsonl"]).stdout
        jobs = [json.loads(line) for line in lines.splitlines()]
        assert [typed(as_sent(j["request"])) for j in jobs] == [
            typed(as_sent(r)) for r in requests[::-1]
        ]
        assert all(j["name"].startswith("again-") for j in jobs)
        document = json.loads(out.read_text())
        assert (document["method"], document["max_jobs"]) == ("list", 6)
        assert "ResourceConfig.InstanceType" in document["trials"][0]

    async def test_created_after_filters_listed_and_named_jobs_alike(self, tmp_path: Path) -> None:
        """--created-after: sent as CreationTimeAfter when listing, applied by hand to names."""
        with MockServer(MockConfig()) as server:
            create_all(server, [original(i, "early") for i in range(3)])
            await anyio.sleep(1.1)
            cut = datetime.now(UTC)
            await anyio.sleep(1.1)
            create_all(server, [original(i, "late") for i in range(3)])
            listed = await clone(
                "after",
                tmp_path / "listed.yaml",
                name_contains="-0",
                created_after=cut.isoformat(),
                endpoint_url=server.url,
            )
            named = await clone(
                "after",
                tmp_path / "named.yaml",
                names=["early-00", "late-01", "late-02"],
                created_after=cut,
                endpoint_url=server.url,
            )
        assert listed.jobs == ("late-00", "late-01", "late-02")
        assert named.jobs == ("late-01", "late-02")

    async def test_reads_slow_down_under_throttling_instead_of_failing(
        self, tmp_path: Path
    ) -> None:
        """A read bucket far below --rate: calls are throttled, paced down, and all succeed."""
        requests = [original(i) for i in range(12)]
        with MockServer(MockConfig(read_rate=20, read_burst=2)) as server:
            create_all(server, requests)
            cloned = await clone(
                "slow",
                tmp_path / "slow.yaml",
                name_contains="orig",
                read_rate=200,
                endpoint_url=server.url,
                parts=FAST,
            )
            throttled = server.stats().throttled
        assert throttled > 0
        assert len(cloned.jobs) == 12
        assert planned(tmp_path / "slow.yaml") == [as_sent(r) for r in requests]

    async def test_identical_requests_are_cloned_and_counted(self, tmp_path: Path) -> None:
        """Two jobs with one request (a rerun): both listed, planned once, said so."""
        first, second = original(7, "twin"), original(7, "twin")
        second["TrainingJobName"] = "twin-rerun"
        with MockServer(MockConfig()) as server:
            create_all(server, [first, second])
            cloned = await clone(
                "twin", tmp_path / "t.yaml", name_contains="twin", endpoint_url=server.url
            )
        assert cloned.duplicates == 1
        assert planned(tmp_path / "t.yaml") == [as_sent(first)]

    async def test_what_plan_refuses_is_reported_and_the_file_kept(self, tmp_path: Path) -> None:
        """Jobs sharing a checkpoint URI: the file is written, plan's refusal returned, exit 1."""
        requests = [original(i, "shared") for i in range(2)]
        for request in requests:
            request["CheckpointConfig"] = {"S3Uri": "s3://ckpt/common/"}
        with MockServer(MockConfig()) as server:
            create_all(server, requests)
            cloned = await clone(
                "shared", tmp_path / "s.yaml", name_contains="shared", endpoint_url=server.url
            )
        assert cloned.exit_code == 1
        assert any("CheckpointConfig.S3Uri" in line for line in cloned.problems)
        assert (tmp_path / "s.yaml").stat().st_size > 0


class StubSageMaker:
    """A SageMaker client answering from canned pages and recording every call."""

    class meta:
        region_name = "us-east-1"

    def __init__(
        self,
        listing: Mapping[str, Mapping[str, Any]],
        jobs: Mapping[str, Mapping[str, Any]],
        tags: Mapping[str, Mapping[str, Mapping[str, Any]]],
    ) -> None:
        self.listing, self.jobs, self.tags = listing, jobs, tags
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def list_training_jobs_for_hyper_parameter_tuning_job(
        self, **query: Any
    ) -> Mapping[str, Any]:
        self.calls.append(("ListTrainingJobsForHyperParameterTuningJob", query))
        if query["HyperParameterTuningJobName"] != "tune-1":
            raise ClientError(
                {"Error": {"Code": "ResourceNotFound", "Message": "Amazon SageMaker can't find"}},
                "ListTrainingJobsForHyperParameterTuningJob",
            )
        return self.listing[query.get("NextToken", "")]

    async def list_training_jobs(self, **query: Any) -> Mapping[str, Any]:
        self.calls.append(("ListTrainingJobs", query))
        return self.listing[query.get("NextToken", "")]

    async def describe_training_job(self, TrainingJobName: str) -> Mapping[str, Any]:
        self.calls.append(("DescribeTrainingJob", {"TrainingJobName": TrainingJobName}))
        if TrainingJobName not in self.jobs:
            raise ClientError(
                {
                    "Error": {
                        "Code": "ValidationException",
                        "Message": "Requested resource not found.",
                    }
                },
                "DescribeTrainingJob",
            )
        return {**self.jobs[TrainingJobName], "ResponseMetadata": {"HTTPStatusCode": 200}}

    async def list_tags(self, **query: Any) -> Mapping[str, Any]:
        self.calls.append(("ListTags", query))
        return self.tags[query["ResourceArn"]][query.get("NextToken", "")]

    def called(self, operation: str) -> list[dict[str, Any]]:
        return [query for name, query in self.calls if name == operation]


def tuned_job(i: int, status: str) -> dict[str, Any]:
    """A job as Describe shows one that a tuning job started with the SageMaker SDK."""
    name = f"tune-1-{i:03d}-abcd{i}"
    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"{ARN}:training-job/{name}",
        "TuningJobArn": f"{ARN}:hyper-parameter-tuning-job/tune-1",
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "FailureReason": "AlgorithmError: boom" if status == "Failed" else None,
        "CreationTime": datetime(2024, 5, 1, tzinfo=UTC) + timedelta(minutes=i),
        "ModelArtifacts": {"S3ModelArtifacts": f"s3://out/{name}/output/model.tar.gz"},
        "FinalMetricDataList": [{"MetricName": "validation:auc", "Value": 0.5}],
        "BillableTimeInSeconds": 60,
        "HyperParameters": {
            "_tuning_objective_metric": "validation:auc",
            "sagemaker_job_name": '"pytorch-training-2024-05-01-00-00-00-000"',
            "sagemaker_estimator_class_name": '"PyTorch"',
            "sagemaker_estimator_module": '"sagemaker.pytorch.estimator"',
            "sagemaker_program": '"train.py"',
            "sagemaker_submit_directory": '"s3://code/tune-1/source/sourcedir.tar.gz"',
            "lr": str(0.001 * (i + 1)),
        },
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://out/"},
        "ResourceConfig": {
            "InstanceType": "ml.g5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def summary(job: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("TrainingJobName", "TrainingJobArn", "CreationTime", "TrainingJobStatus")
    return {k: job[k] for k in keys}


@pytest.fixture
def tuning() -> StubSageMaker:
    jobs = [tuned_job(i, "Failed" if i % 2 else "Completed") for i in range(5)]
    # Pages come back newest first, one of them empty: the listing order is not kept.
    listing: dict[str, Any] = {
        "": {"TrainingJobSummaries": [summary(j) for j in jobs[:1:-1]], "NextToken": "p2"},
        "p2": {"TrainingJobSummaries": [], "NextToken": "p3"},
        "p3": {"TrainingJobSummaries": [summary(j) for j in jobs[1::-1]]},
    }
    tags: dict[str, Any] = {
        str(j["TrainingJobArn"]): {
            "": {
                "Tags": [
                    {"Key": "aws:tuning-job", "Value": "tune-1"},
                    {"Key": "team", "Value": "x"},
                ],
                "NextToken": "t2",
            },
            "t2": {
                "Tags": [{"Key": "sagesweep:sweep", "Value": "s"}, {"Key": "cost", "Value": "7"}]
            },
        }
        for j in jobs
    }
    return StubSageMaker(listing, {str(j["TrainingJobName"]): j for j in jobs}, tags)


def stub_parts(client: StubSageMaker) -> Parts:
    @asynccontextmanager
    async def open_client(settings: ClientSettings) -> AsyncIterator[Any]:
        yield client

    return Parts(open_client=open_client, backoff=Backoff(base=0.001, cap=0.002))


class TestTuningJob:
    """moto (and so the mock) has no ListTrainingJobsForHyperParameterTuningJob: a stub plays it."""

    async def test_the_tuning_jobs_jobs_are_cloned_without_what_tuning_added(
        self, tmp_path: Path, tuning: StubSageMaker
    ) -> None:
        """Every page is read; tuning's and the launch's own hyperparameters and tags go."""
        out = tmp_path / "t.yaml"
        cloned = await clone(
            "retune", out, tuning_job="tune-1", statuses=["Failed"], parts=stub_parts(tuning)
        )
        assert cloned.jobs == ("tune-1-001-abcd1", "tune-1-003-abcd3")
        pages = sorted(q.get("NextToken") or "" for q in tuning.called("ListTags"))
        assert pages == ["", "", "t2", "t2"]
        queries = tuning.called("ListTrainingJobsForHyperParameterTuningJob")
        assert [q.get("NextToken") for q in queries] == [None, "p2", "p3"]
        assert {q["StatusEquals"] for q in queries} == {"Failed"}
        assert cloned.removed == {"_tuning_objective_metric": 2, "sagemaker_job_name": 2}
        got = planned(out)
        assert [r["HyperParameters"] for r in got] == [
            {
                "sagemaker_estimator_class_name": '"PyTorch"',
                "sagemaker_estimator_module": '"sagemaker.pytorch.estimator"',
                "sagemaker_program": '"train.py"',
                "sagemaker_submit_directory": '"s3://code/tune-1/source/sourcedir.tar.gz"',
                "lr": lr,
            }
            for lr in ("0.002", "0.004")
        ]
        assert all(
            r["Tags"] == [{"Key": "team", "Value": "x"}, {"Key": "cost", "Value": "7"}] for r in got
        )
        assert not {"TuningJobArn", "FailureReason", "ModelArtifacts"} & set(got[0])

    async def test_several_statuses_and_a_time_are_filtered_by_hand(
        self, tmp_path: Path, tuning: StubSageMaker
    ) -> None:
        """Two statuses and --created-after: not sent (the API has no such filters), applied."""
        cloned = await clone(
            "retune",
            tmp_path / "t.yaml",
            tuning_job="tune-1",
            statuses=["Failed,Completed"],
            created_after="2024-05-01T00:01:30",
            parts=stub_parts(tuning),
        )
        assert cloned.jobs == ("tune-1-002-abcd2", "tune-1-003-abcd3", "tune-1-004-abcd4")
        queries = tuning.called("ListTrainingJobsForHyperParameterTuningJob")
        assert not any("StatusEquals" in q or "CreationTimeAfter" in q for q in queries)
        described = [q["TrainingJobName"] for q in tuning.called("DescribeTrainingJob")]
        assert sorted(described) == list(cloned.jobs)

    async def test_an_unknown_tuning_job_is_bad_input(
        self, tmp_path: Path, tuning: StubSageMaker
    ) -> None:
        """A tuning job that does not exist: one line, exit code 2."""
        with pytest.raises(InputError, match="no tuning job of that name") as exc:
            await clone("x", tmp_path / "t.yaml", tuning_job="nope", parts=stub_parts(tuning))
        assert (exc.value.exit_code, len(exc.value.lines())) == (2, 1)

    def test_an_unknown_tuning_job_on_the_mock_is_one_line_and_exit_2(
        self, tmp_path: Path, mock_server: MockServer
    ) -> None:
        """Against the mock, as against SageMaker: ResourceNotFound, so exit 2 in one line."""
        result = CliRunner().invoke(
            main,
            [
                *("clone", "--endpoint-url", mock_server.url, "--tuning-job", "no-such"),
                *("--sweep", "x", "-o", str(tmp_path / "x.yaml")),
            ],
        )
        assert result.exit_code == 2, result.output
        assert result.stderr.strip().splitlines() == [
            "<cli>: no-such: --tuning-job: no tuning job of that name"
        ]

    def test_a_tuning_job_of_the_mock_lists_its_training_jobs(
        self, mock_server: MockServer
    ) -> None:
        """A tuning job moto holds is found; the mock's training jobs are none of its."""
        sm = boto3.client(
            "sagemaker",
            endpoint_url=mock_server.url,
            region_name="us-east-1",
            aws_access_key_id="t",
            aws_secret_access_key="t",
        )
        sm.create_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="tune-1",
            HyperParameterTuningJobConfig={
                "Strategy": "Bayesian",
                "ResourceLimits": {"MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1},
            },
        )
        found = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName="tune-1"
        )
        assert found["TrainingJobSummaries"] == []
        with pytest.raises(ClientError) as caught:
            sm.list_training_jobs_for_hyper_parameter_tuning_job(
                HyperParameterTuningJobName="tune-2"
            )
        assert caught.value.response["Error"]["Code"] == "ResourceNotFound"


class TestListing:
    async def test_short_and_empty_pages_are_followed_to_the_end(self) -> None:
        """ListTrainingJobs filters after cutting a page: a NextToken is followed regardless."""
        jobs = [tuned_job(i, "Failed") for i in range(3)]
        listing: dict[str, Any] = {
            "": {"TrainingJobSummaries": [], "NextToken": "a"},
            "a": {"TrainingJobSummaries": [summary(jobs[0])], "NextToken": "b"},
            "b": {"TrainingJobSummaries": [], "NextToken": "c"},
            "c": {"TrainingJobSummaries": [summary(j) for j in jobs[1:]]},
        }
        tags: dict[str, Any] = {str(j["TrainingJobArn"]): {"": {"Tags": []}} for j in jobs}
        client: Any = StubSageMaker(listing, {str(j["TrainingJobName"]): j for j in jobs}, tags)
        calls = PacedCalls(AdaptiveRate(rate=100_000, burst=100_000))
        selection = parse_selection(name_contains="tune", statuses=["Failed"])
        found = await gather(client, calls, selection)
        assert [job.name for job in found] == [str(j["TrainingJobName"]) for j in jobs]
        queries = client.called("ListTrainingJobs")
        assert [q.get("NextToken") for q in queries] == [None, "a", "b", "c"]
        assert all(q["NameContains"] == "tune" and q["StatusEquals"] == "Failed" for q in queries)

    async def test_an_aws_error_ends_the_clone_as_itself(self, tmp_path: Path) -> None:
        """A Describe the service refuses: AwsCallError (one line, exit 1), no file."""
        job = tuned_job(0, "Failed")
        listing = {"": {"TrainingJobSummaries": [summary(job)]}}
        client = StubSageMaker(listing, {}, {})

        async def refused(**query: Any) -> Mapping[str, Any]:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}},
                "DescribeTrainingJob",
            )

        client.describe_training_job = refused  # type: ignore[method-assign, assignment]
        with pytest.raises(AwsCallError, match="AccessDeniedException") as exc:
            await clone("x", tmp_path / "x.yaml", name_contains="tune", parts=stub_parts(client))
        assert exc.value.exit_code == 1
        assert not (tmp_path / "x.yaml").exists()


class TestSplit:
    def test_identical_requests_are_all_template(self) -> None:
        """Nothing differs: the template is the request, every trial empty."""
        request = {"RoleArn": ROLE, "HyperParameters": {"a": "1"}}
        parts = split([request, dict(request)])
        assert parts.template == request
        assert parts.trials == ({}, {})

    @pytest.mark.parametrize(
        ("requests", "template", "trials"),
        [
            pytest.param(
                [
                    {"HyperParameters": {"a": "1", "b": "x"}},
                    {"HyperParameters": {"a": "2", "b": "x"}},
                ],
                {"HyperParameters": {"b": "x"}},
                [{"HyperParameters.a": "1"}, {"HyperParameters.a": "2"}],
                id="string-map-key",
            ),
            pytest.param(
                [{"HyperParameters": {"m.lr": "1"}}, {"HyperParameters": {"m.lr": "2"}}],
                {"HyperParameters": {}},
                [{"HyperParameters.m.lr": "1"}, {"HyperParameters.m.lr": "2"}],
                id="dotted-hyperparameter",
            ),
            pytest.param(
                [{"HyperParameters": {"a": "1"}}, {"HyperParameters": {"a": "1", "extra": "y"}}],
                {"HyperParameters": {"a": "1"}},
                [{}, {"HyperParameters.extra": "y"}],
                id="key-in-one-only",
            ),
            pytest.param(
                [{"R": 1}, {"VpcConfig": {"Subnets": ["s"], "SecurityGroupIds": ["g"]}, "R": 1}],
                {"R": 1},
                [{}, {"VpcConfig.Subnets": ["s"], "VpcConfig.SecurityGroupIds": ["g"]}],
                id="member-in-one-only-spelled-to-leaves",
            ),
            pytest.param(
                [
                    {"In": [{"Name": "train", "Uri": "s3://a/"}]},
                    {"In": [{"Name": "train", "Uri": "s3://b/"}]},
                ],
                {"In": [{"Name": "train"}]},
                [{"In[0].Uri": "s3://a/"}, {"In[0].Uri": "s3://b/"}],
                id="indexed-channel",
            ),
            pytest.param(
                [{"In": [{"Name": "a"}]}, {"In": [{"Name": "a"}, {"Name": "b"}]}],
                {},
                [{"In": [{"Name": "a"}]}, {"In": [{"Name": "a"}, {"Name": "b"}]}],
                id="lengths-differ-whole-list",
            ),
            pytest.param(
                [{"S": ["a", "b"]}, {"S": ["a", "c"]}],
                {},
                [{"S": ["a", "b"]}, {"S": ["a", "c"]}],
                id="scalar-list-whole",
            ),
            pytest.param(
                [{"In": [{"K": "a"}]}, {"In": [{"K": "b"}]}],
                {},
                [{"In": [{"K": "a"}]}, {"In": [{"K": "b"}]}],
                id="nothing-shared-in-item-whole-list",
            ),
            pytest.param(
                [{"N": 1}, {"N": 1.0}, {"N": True}, {"N": "1"}],
                {},
                [{"N": 1}, {"N": 1.0}, {"N": True}, {"N": "1"}],
                id="types-differ",
            ),
            pytest.param(
                [{"P": {"a.b": "1", "c": "x"}}, {"P": {"a.b": "2", "c": "x"}}],
                {},
                [{"P": {"a.b": "1", "c": "x"}}, {"P": {"a.b": "2", "c": "x"}}],
                id="unspellable-key-whole-map",
            ),
        ],
    )
    def test_shared_part_and_trials(
        self, requests: list[dict[str, Any]], template: dict[str, Any], trials: list[dict[str, Any]]
    ) -> None:
        """The template holds what all share; each trial the rest, at a path plan accepts."""
        parts = split(requests)
        assert parts.template == template
        assert [typed(t) for t in parts.trials] == [typed(t) for t in trials]

    def test_paths_are_listed_once_in_first_seen_order(self) -> None:
        """Split.paths: the union of the trials' paths."""
        parts = split([{"A": 1, "B": 1}, {"A": 2, "B": 1}, {"A": 3, "B": 2}])
        assert parts.paths == ("A", "B")

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.integers(0, 2**31), min_size=1, max_size=6))
    def test_every_trial_on_the_template_is_its_request(self, seeds: list[int]) -> None:
        """Rendering each trial onto the template gives back its request exactly."""
        requests = [_request_from(seed) for seed in seeds]
        parts = split(requests)
        applier = PointApplier(parts.template)
        for request, trial in zip(requests, parts.trials, strict=True):
            assert typed(applier.apply(trial).body) == typed(request)


def _request_from(seed: int) -> dict[str, Any]:
    """A request-shaped value whose members come and go and vary with ``seed``."""
    bits = [(seed >> i) & 1 for i in range(31)]
    request: dict[str, Any] = {"RoleArn": ROLE}
    values = {k: str(seed % (3 + i)) for i, k in enumerate("ab.c") if bits[1 + i]}
    if bits[0] and values:  # recreate() leaves an empty map out
        request["HyperParameters"] = values
    if bits[5]:
        request["VpcConfig"] = {"Subnets": ["s"] * (1 + bits[6]), "SecurityGroupIds": ["g"]}
    channels = [{"ChannelName": "train", "Uri": f"s3://d/{bits[7]}/"}]
    if bits[8]:
        channels.append({"ChannelName": "val", "Uri": "s3://v/", "Mode": "Pipe"[: 4 * bits[9]]})
    request["InputDataConfig"] = channels
    request["ResourceConfig"] = {"InstanceCount": 1 + bits[10], "InstanceType": TYPES[bits[11]]}
    if bits[12]:
        request["ResourceConfig"]["VolumeSizeInGB"] = 30 if bits[13] else 30.0
    if bits[14]:
        request["Flag"] = bool(bits[15])
    return request


class TestYamlWriting:
    @settings(max_examples=300, deadline=None)
    @given(
        st.dictionaries(
            st.text(min_size=1, max_size=8),
            st.one_of(
                st.text(max_size=12),
                st.sampled_from(["1e-5", "0o17", "010", "yes", "NO", "~", ".inf", "2024-05-01"]),
                st.integers(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
            ),
            max_size=6,
        )
    )
    def test_what_is_written_reads_back_as_it_was(self, data: dict[str, Any]) -> None:
        """dump_yaml then load_yaml: the same values, types included (1e-5 stays text)."""
        assert typed(load_yaml(dump_yaml(data)).data or {}) == typed(data)


class TestRecreate:
    def test_output_only_members_come_from_the_service_model(self) -> None:
        """Describe members CreateTrainingJob lacks are output only; request members are kept."""
        facts = model_facts()
        expected = {
            "TrainingJobStatus",
            "FailureReason",
            "ModelArtifacts",
            "FinalMetricDataList",
            "SecondaryStatusTransitions",
            "BillableTimeInSeconds",
            "CreationTime",
            "TrainingJobArn",
            "TuningJobArn",
        }
        assert expected <= facts.output_only
        assert not {"HyperParameters", "ResourceConfig", "VpcConfig"} & facts.output_only
        assert "InProgress" in facts.statuses

    def test_a_description_becomes_its_request(self) -> None:
        """Output-only members, ResponseMetadata, the name go; tags join, less aws:/sagesweep:."""
        job = tuned_job(1, "Failed")
        tags = [
            {"Key": "aws:cloudformation:stack-name", "Value": "s"},
            {"Key": "sagesweep:digest", "Value": "d"},
            {"Key": "team", "Value": "ml"},
        ]
        copy = recreate({**job, "ResponseMetadata": {}}, tags)
        assert copy.name == job["TrainingJobName"]
        assert set(copy.request) == {
            "HyperParameters",
            "AlgorithmSpecification",
            "RoleArn",
            "OutputDataConfig",
            "ResourceConfig",
            "StoppingCondition",
            "Tags",
        }
        assert copy.request["Tags"] == [{"Key": "team", "Value": "ml"}]

    def test_hyperparameters_left_empty_are_left_out(self) -> None:
        """Only launch-specific hyperparameters: the request has none (an empty map says so)."""
        job = {**tuned_job(1, "Failed"), "HyperParameters": {"sagemaker_job_name": '"x"'}}
        copy = recreate(job, [])
        assert "HyperParameters" not in copy.request
        assert copy.removed == ("sagemaker_job_name",)

    @pytest.mark.parametrize(
        ("hyperparameters", "tuning", "kept"),
        [
            pytest.param(
                {"_tuning_objective_metric": "validation:auc", "eta": "0.1"},
                "tune-1",
                {"eta": "0.1"},
                id="tuning-objective-from-tuning",
            ),
            pytest.param(
                {"_tuning_objective_metric": "validation:auc", "eta": "0.1"},
                None,
                {"_tuning_objective_metric": "validation:auc", "eta": "0.1"},
                id="tuning-objective-set-by-hand-kept",
            ),
            pytest.param(
                {"sagemaker_job_name": '"pytorch-2024-05-01"', "sagemaker_program": '"t.py"'},
                None,
                {"sagemaker_program": '"t.py"'},
                id="sdk-job-name",
            ),
            pytest.param(
                {"sagemaker_run": '"job-1"', "sagemaker_parent": "tune-1", "sagemaker_x": "job"},
                "tune-1",
                {"sagemaker_x": "job"},
                id="values-echoing-names",
            ),
            pytest.param(
                {
                    "sagemaker_estimator_class_name": '"PyTorch"',
                    "sagemaker_estimator_module": '"sagemaker.pytorch.estimator"',
                    "run_name": "job-1",
                },
                "tune-1",
                {
                    "sagemaker_estimator_class_name": '"PyTorch"',
                    "sagemaker_estimator_module": '"sagemaker.pytorch.estimator"',
                    "run_name": "job-1",
                },
                id="sdk-settings-and-user-values-kept",
            ),
        ],
    )
    def test_launch_specific_hyperparameters_go(
        self, hyperparameters: dict[str, str], tuning: str | None, kept: dict[str, str]
    ) -> None:
        """Tuning's objective (when tuned), the SDK's job name and name echoes are removed."""
        assert clean_hyperparameters(hyperparameters, job="job-1", tuning_job=tuning) == kept


def run_clone(*args: str) -> Any:
    return CliRunner().invoke(main, ["clone", *args])


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(MockConfig()) as started:
        create_all(started, [original(i) for i in range(3)])
        yield started


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(
                ["--name-contains", "nothing-like-it"],
                "no training job whose name",
                id="none-match",
            ),
            pytest.param(
                ["--name-contains", "orig", "--status", "Stopped"],
                "no training job",
                id="none-in-status",
            ),
            pytest.param(
                ["--name", "orig-01", "--name-contains", "orig"], "one way", id="two-selectors"
            ),
            pytest.param([], "choose the jobs one way", id="no-selector"),
            pytest.param(
                ["--name-contains", "orig", "--status", "Faild"],
                "unknown status Faild",
                id="status",
            ),
            pytest.param(
                ["--name-contains", "orig", "--created-after", "May 1st"], "ISO 8601", id="time"
            ),
            pytest.param(
                ["--name", "orig-01", "--name", "gone-1"],
                "gone-1: --name: no training job",
                id="missing",
            ),
            pytest.param(["--name", "not a name"], "not a training job name", id="bad-name"),
        ],
    )
    def test_bad_selections_are_one_line_and_exit_2(
        self, tmp_path: Path, server: MockServer, args: list[str], message: str
    ) -> None:
        """Nothing matches, conflicting or unknown options: one line, exit 2, no file."""
        out = tmp_path / "c.yaml"
        result = run_clone("--endpoint-url", server.url, *args, "--sweep", "c", "-o", str(out))
        assert result.exit_code == 2, result.stderr
        assert len(result.stderr.splitlines()) == 1, result.stderr
        assert message in result.stderr
        assert not out.exists()

    def test_a_file_that_holds_something_is_never_replaced(
        self, tmp_path: Path, server: MockServer
    ) -> None:
        """-o naming a non-empty file: refused before any AWS call; an empty one is used."""
        taken, empty = tmp_path / "taken.yaml", tmp_path / "empty.yaml"
        taken.write_text("sweep: mine\n")
        empty.touch()
        before = server.stats().describe_calls
        refused = run_clone(
            "--endpoint-url",
            server.url,
            "--name-contains",
            "orig",
            "--sweep",
            "c",
            "-o",
            str(taken),
        )
        assert refused.exit_code == 2
        assert len(refused.stderr.splitlines()) == 1
        assert "never replaced" in refused.stderr
        assert taken.read_text() == "sweep: mine\n"
        assert server.stats().describe_calls == before
        used = run_clone(
            "--endpoint-url",
            server.url,
            "--name-contains",
            "orig",
            "--sweep",
            "c",
            "-o",
            str(empty),
        )
        assert used.exit_code == 0, used.stderr
        assert load_config(empty).trials

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            pytest.param(["--sweep", "bad_name", "-o", "c.yaml"], "--sweep", id="sweep-name"),
            pytest.param(["--sweep", "c", "-o", "c.toml"], ".yaml, .yml or .json", id="suffix"),
        ],
    )
    def test_a_bad_sweep_name_or_file_kind_is_refused(
        self, tmp_path: Path, server: MockServer, args: list[str], message: str
    ) -> None:
        """An invalid --sweep, a -o that is not YAML or JSON: one line, exit 2."""
        args = [str(tmp_path / a) if a.startswith("c.") else a for a in args]
        result = run_clone("--endpoint-url", server.url, "--name-contains", "orig", *args)
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1
        assert message in result.stderr

    def test_mock_is_refused_with_the_way_to_a_mock(self, tmp_path: Path) -> None:
        """--mock would clone an empty account: exit 2, pointing at --endpoint-url."""
        result = run_clone("--mock", "--name", "a", "--sweep", "c", "-o", str(tmp_path / "c.yaml"))
        assert result.exit_code == 2
        assert "--endpoint-url" in result.stderr
