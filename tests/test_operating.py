"""Operating a launched sweep against a scripted client: membership, cost, status, results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sagesweep.errors import InputError
from sagesweep.ledger.members import SweepMembers, read_members
from sagesweep.operating.calls import PacedCalls
from sagesweep.operating.observe import NOT_FOUND, observe
from sagesweep.operating.results import default_goal, tabulate
from sagesweep.operating.select import parse_where
from sagesweep.operating.status import build_status
from sagesweep.operating.stop import stop_jobs
from sagesweep.submitting.pacing import AdaptiveRate, Backoff


def error(code: str, message: str = "no") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": "req-1",
                "HostId": "",
                "HTTPStatusCode": 400,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        },
        "Op",
    )


class FakeSageMaker:
    """Jobs by name, each with its tags; Search on one tag, paged like SageMaker."""

    def __init__(self, search_allowed: bool = True, lag: frozenset[str] = frozenset()) -> None:
        self.jobs: dict[str, dict[str, Any]] = {}
        self.search_allowed = search_allowed
        self.lag = lag  # jobs Search does not return yet (its index lags)
        self.calls: dict[str, int] = {}

    def add(self, name: str, sweep: str, status: str = "InProgress", **extra: Any) -> None:
        self.jobs[name] = {
            "TrainingJobName": name,
            "TrainingJobStatus": status,
            "ResourceConfig": {"InstanceCount": 2},
            "Tags": [{"Key": "sagesweep:sweep", "Value": sweep}],
            **extra,
        }

    def _count(self, op: str) -> None:
        self.calls[op] = self.calls.get(op, 0) + 1

    async def search(self, **kw: Any) -> dict[str, Any]:
        self._count("search")
        if not self.search_allowed:
            raise error("AccessDeniedException", "not authorized to perform: sagemaker:Search")
        (flt,) = kw["SearchExpression"]["Filters"]
        key = flt["Name"].removeprefix("Tags.")
        hits = [
            j
            for n, j in sorted(self.jobs.items())
            if n not in self.lag and {"Key": key, "Value": flt["Value"]} in j["Tags"]
        ]
        start = int(kw.get("NextToken", "0"))
        page = hits[start : start + kw["MaxResults"]]
        out: dict[str, Any] = {"Results": [{"TrainingJob": j} for j in page]}
        if start + kw["MaxResults"] < len(hits):
            out["NextToken"] = str(start + kw["MaxResults"])
        return out

    async def describe_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        self._count("describe")
        if TrainingJobName not in self.jobs:
            raise error("ValidationException", "Requested resource not found.")
        return self.jobs[TrainingJobName]

    async def stop_training_job(self, TrainingJobName: str) -> dict[str, Any]:
        self._count("stop")
        self.jobs[TrainingJobName]["TrainingJobStatus"] = "Stopping"
        return {}


def write_ledger(path: Path, sweep: str, jobs: list[tuple[str, str, dict[str, Any]]]) -> Path:
    lines: list[dict[str, Any]] = [{"event": "run", "phase": "start", "sweep": sweep}]
    for name, status, params in jobs:
        lines.append(
            {
                "event": "job",
                "name": name,
                "digest": name[-4:],
                "status": status,
                "arn": None,
                "attempts": 1,
                "params": params,
                "error": None,
            }
        )
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def calls() -> PacedCalls:
    return PacedCalls(
        AdaptiveRate(rate=100_000, burst=100_000), backoff=Backoff(base=0.001, cap=0.002)
    )


def members_of(tmp_path: Path, sweep: str, n: int, status: str = "submitted") -> SweepMembers:
    jobs = [(f"{sweep}-j{i:05d}", status, {"HyperParameters.eta": i / 10}) for i in range(n)]
    return read_members(write_ledger(tmp_path / "l.jsonl", sweep, jobs), sweep)


class TestMembership:
    async def test_a_sweep_whose_name_extends_ours_is_never_counted(self, tmp_path: Path) -> None:
        """Jobs of `xgb-2` (and a decoy tagged `xgb` by hand) never enter `xgb`'s status."""
        members = members_of(tmp_path, "xgb", 3)
        client: Any = FakeSageMaker()
        for name in members.jobs:
            client.add(name, "xgb")
        client.add("xgb-2-j00000", "xgb-2")
        client.add("xgb-decoy", "xgb")  # carries our tag, is not in our ledger
        states = await observe(client, calls(), "xgb", members.observable())
        assert set(states) == set(members.jobs)
        assert build_status(members, states).counts["InProgress"] == 3

    def test_a_missing_ledger_is_bad_input(self, tmp_path: Path) -> None:
        """No ledger: one line saying to submit first."""
        with pytest.raises(InputError, match="no ledger here"):
            read_members(tmp_path / "nope.jsonl", "s")

    def test_a_ledger_of_another_sweep_is_bad_input(self, tmp_path: Path) -> None:
        """The sweep file and the ledger disagree: refused."""
        path = write_ledger(tmp_path / "l.jsonl", "other", [])
        with pytest.raises(InputError, match="belongs to sweep 'other'"):
            read_members(path, "s")


class TestCost:
    async def test_five_thousand_jobs_in_fifty_searches(self, tmp_path: Path) -> None:
        """A 5,000-job sweep is read in 50 Search pages and no Describe."""
        members = members_of(tmp_path, "big", 5000)
        client: Any = FakeSageMaker()
        for name in members.jobs:
            client.add(name, "big")
        paced = calls()
        states = await observe(client, paced, "big", members.observable())
        assert len(states) == 5000
        assert client.calls == {"search": 50}
        assert paced.counts.total == 50

    async def test_jobs_search_does_not_return_yet_are_described(self, tmp_path: Path) -> None:
        """Search lags behind creates: the missing jobs are asked for by name."""
        members = members_of(tmp_path, "s", 5)
        names = sorted(members.jobs)
        client: Any = FakeSageMaker(lag=frozenset(names[:2]))
        for name in names:
            client.add(name, "s")
        states = await observe(client, calls(), "s", members.observable())
        assert {s.status for s in states.values()} == {"InProgress"}
        assert client.calls == {"search": 1, "describe": 2}

    async def test_without_search_permission_every_job_is_described(self, tmp_path: Path) -> None:
        """AccessDenied on Search: a warning, then Describe per job."""
        members = members_of(tmp_path, "s", 4)
        client: Any = FakeSageMaker(search_allowed=False)
        for name in list(members.jobs)[:3]:
            client.add(name, "s")
        states = await observe(client, calls(), "s", members.observable())
        assert sorted(s.status for s in states.values()) == ["InProgress"] * 3 + [NOT_FOUND]
        assert client.calls == {"search": 1, "describe": 4}


class TestStatus:
    async def test_counts_reasons_and_billable_time(self, tmp_path: Path) -> None:
        """Counts per status, reasons grouped, billable seconds x instance count."""
        members = members_of(tmp_path, "s", 4)
        names = sorted(members.jobs)
        client: Any = FakeSageMaker()
        client.add(names[0], "s", "Completed", BillableTimeInSeconds=100)
        client.add(names[1], "s", "Failed", FailureReason="CapacityError: no capacity")
        client.add(names[2], "s", "Failed", FailureReason="CapacityError: no capacity")
        states = await observe(client, calls(), "s", members.observable())
        status = build_status(members, states)
        assert status.counts["Completed"] == 1
        assert status.counts["Failed"] == 2
        assert status.counts[NOT_FOUND] == 1
        assert status.billable_instance_seconds == 200
        assert status.failure_reasons() == [("CapacityError: no capacity", 2)]
        assert not status.done

    async def test_jobs_never_created_are_not_submitted(self, tmp_path: Path) -> None:
        """A ledger `failed` job is NotSubmitted, and costs no call."""
        members = members_of(tmp_path, "s", 2, status="failed")
        client: Any = FakeSageMaker()
        states = await observe(client, calls(), "s", members.observable())
        assert build_status(members, states).counts["NotSubmitted"] == 2
        assert client.calls == {}


class TestResults:
    async def test_sorted_best_first_with_the_guessed_direction(self, tmp_path: Path) -> None:
        """auc is maximised, loss minimised; jobs without the metric go last."""
        members = members_of(tmp_path, "s", 3)
        names = sorted(members.jobs)
        client: Any = FakeSageMaker()
        for name, auc in zip(names, [0.7, 0.9, None], strict=True):
            metrics = [] if auc is None else [{"MetricName": "validation:auc", "Value": auc}]
            client.add(name, "s", "Completed", FinalMetricDataList=metrics)
        states = await observe(client, calls(), "s", members.observable())
        table = tabulate(
            build_status(members, states), ["HyperParameters.eta"], sort="validation:auc"
        )
        assert [r.name for r in table.rows] == [names[1], names[0], names[2]]
        assert table.goal == "maximize"
        assert table.columns[-2:] == ["validation:auc", "billable_seconds"]
        assert default_goal("train:loss") == "minimize"

    async def test_a_metric_no_job_reports_names_the_ones_seen(self, tmp_path: Path) -> None:
        """--sort on an unknown metric: bad input listing what jobs do report."""
        members = members_of(tmp_path, "s", 1)
        client: Any = FakeSageMaker()
        client.add(
            next(iter(members.jobs)),
            "s",
            "Completed",
            FinalMetricDataList=[{"MetricName": "validation:auc", "Value": 0.5}],
        )
        states = await observe(client, calls(), "s", members.observable())
        with pytest.raises(InputError, match=r"'val:acc' \(reported: validation:auc\)"):
            tabulate(build_status(members, states), [], sort="val:acc")


class TestStop:
    async def test_only_in_progress_matching_jobs_are_stopped_once(self, tmp_path: Path) -> None:
        """--where selects by value; ended jobs are counted, not called; a rerun stops none."""
        members = members_of(tmp_path, "s", 4)
        names = sorted(members.jobs)
        client: Any = FakeSageMaker()
        for name in names[:3]:
            client.add(name, "s")
        client.add(names[3], "s", "Completed")
        where = parse_where(["HyperParameters.eta=0.1"], members.swept_paths())
        states = await observe(client, calls(), "s", members.observable())
        report = await stop_jobs(client, calls(), members, states, where)
        assert report.stopped == (names[1],)
        states = await observe(client, calls(), "s", members.observable())
        everything = await stop_jobs(client, calls(), members, states)
        assert set(everything.stopped) == {names[0], names[2]}
        assert everything.already == {"Stopping": 1, "Completed": 1}
        assert client.calls["stop"] == 3

    def test_where_on_a_path_that_is_not_swept_is_bad_input(self) -> None:
        """--where names a parameter the sweep does not vary: one line, the swept ones listed."""
        with pytest.raises(InputError, match=r"'Foo\.bar' is not swept"):
            parse_where(["Foo.bar=1"], ["HyperParameters.eta"])


class TestMetricDirection:
    @pytest.mark.parametrize(
        ("metric", "goal"),
        [
            pytest.param("validation:auc", "maximize", id="auc"),
            pytest.param("train:accuracy", "maximize", id="accuracy"),
            pytest.param("val_f1", "maximize", id="f1"),
            pytest.param("validation:map", "maximize", id="map"),
            pytest.param("validation:mape", "minimize", id="mape-is-an-error"),
            pytest.param("validation:rmse", "minimize", id="rmse"),
            pytest.param("train:loss", "minimize", id="loss"),
        ],
    )
    def test_scores_are_maximised_by_word(self, metric: str, goal: str) -> None:
        """A word of the name decides; a word that only starts like a score does not."""
        assert default_goal(metric) == goal
