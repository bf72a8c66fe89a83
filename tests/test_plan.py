"""Specification of the planner: sweep file -> jobs (docs/naming.md, docs/validation.md)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from sagesweep.errors import InputError, PlanError
from sagesweep.planning import planner as plan_module
from sagesweep.planning.config import load_config
from sagesweep.planning.files import MAX_FILE_BYTES
from sagesweep.planning.naming import DIGEST_TAG, SWEEP_TAG, DigestIndex, digest_of
from sagesweep.planning.planner import JobSpec, Planner
from sagesweep.planning.yamlsafe import MAX_NODES

TEMPLATE: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {
        "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
        "TrainingInputMode": "File",
    },
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/{sweep}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 10},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    "HyperParameters": {"objective": "binary:logistic", "num_round": 100},
    "Tags": [{"Key": "team", "Value": "churn"}],
}


def sweep_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"sweep": "sw", "template": copy.deepcopy(TEMPLATE)}
    doc.update(overrides)
    return doc


class Plans:
    """Writes sweep documents to files and plans them."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.n = 0

    def path(self, doc: dict[str, Any]) -> Path:
        self.n += 1
        path = self.tmp_path / f"sweep{self.n}.json"
        path.write_text(json.dumps(doc))
        return path

    def planner(self, doc: dict[str, Any], **kwargs: Any) -> Planner:
        return Planner(load_config(self.path(doc)), **kwargs)

    def jobs(self, doc: dict[str, Any], **kwargs: Any) -> list[JobSpec]:
        planner = self.planner(doc, **kwargs)
        jobs = list(planner.jobs())
        planner.check()
        return jobs

    def problems(self, doc: dict[str, Any], **kwargs: Any) -> list[str]:
        with pytest.raises(PlanError) as info:
            self.jobs(doc, **kwargs)
        lines = info.value.lines()
        assert all("\n" not in line for line in lines)
        return lines


@pytest.fixture
def plans(tmp_path: Path) -> Plans:
    return Plans(tmp_path)


Axis = dict[str, list[float | str]]
GRID: dict[str, Axis] = {
    "HyperParameters.eta": {"values": [0.05, 0.1, 0.3]},
    "HyperParameters.max_depth": {"values": [4, 6]},
    "ResourceConfig.InstanceType": {"values": ["ml.m5.xlarge", "ml.c5.2xlarge"]},
}


class TestJobs:
    def test_grid_jobs(self, plans: Plans) -> None:
        """A 3x2x2 grid gives 12 distinct, valid jobs with their params."""
        jobs = plans.jobs(sweep_doc(parameters=GRID))
        assert len(jobs) == 12
        assert len({j.name for j in jobs}) == 12
        assert [j.index for j in jobs] == list(range(12))
        first = jobs[0]
        assert first.params == {
            "HyperParameters.eta": 0.05,
            "HyperParameters.max_depth": 4,
            "ResourceConfig.InstanceType": "ml.m5.xlarge",
        }
        assert first.request["HyperParameters"]["eta"] == "0.05"
        assert first.request["HyperParameters"]["num_round"] == "100"
        assert first.instance_type == "ml.m5.xlarge"

    def test_name_is_sweep_and_digest(self, plans: Plans) -> None:
        """Each job is named {sweep}-{digest}; the request carries the name."""
        for job in plans.jobs(sweep_doc(parameters=GRID)):
            assert job.name == f"sw-{job.digest}"
            assert job.request["TrainingJobName"] == job.name

    def test_own_tags(self, plans: Plans) -> None:
        """Every request has the sweep and digest tags, after the user's own."""
        for job in plans.jobs(sweep_doc(parameters=GRID)):
            assert job.request["Tags"] == [
                {"Key": "team", "Value": "churn"},
                {"Key": SWEEP_TAG, "Value": "sw"},
                {"Key": DIGEST_TAG, "Value": job.digest},
            ]

    def test_digest_is_of_the_request_before_placeholders(self, plans: Plans) -> None:
        """The digest covers the request with {job} unfilled, name and own tags removed."""
        doc = sweep_doc(parameters=GRID)
        doc["template"]["CheckpointConfig"] = {"S3Uri": "s3://bucket/ckpt/{job}/"}
        for job in plans.jobs(doc):
            assert job.request["CheckpointConfig"]["S3Uri"] == f"s3://bucket/ckpt/{job.name}/"
            unfilled = copy.deepcopy(dict(job.request))
            unfilled["CheckpointConfig"]["S3Uri"] = "s3://bucket/ckpt/{job}/"
            unfilled["OutputDataConfig"]["S3OutputPath"] = "s3://bucket/{sweep}/"
            unfilled["Tags"] = [{"Key": "team", "Value": "churn"}]
            del unfilled["TrainingJobName"]
            assert digest_of(unfilled) == job.digest

    def test_jobs_are_frozen(self, plans: Plans) -> None:
        """A JobSpec is an immutable value."""
        job = plans.jobs(sweep_doc())[0]
        with pytest.raises(dataclasses.FrozenInstanceError):
            job.name = "x"  # type: ignore[misc]

    def test_types_kept_outside_string_maps(self, plans: Plans) -> None:
        """InstanceCount swept as ints stays an int in the request."""
        doc = sweep_doc(parameters={"ResourceConfig.InstanceCount": {"values": [1, 2]}})
        counts = [j.request["ResourceConfig"]["InstanceCount"] for j in plans.jobs(doc)]
        assert counts == [1, 2]
        assert all(type(c) is int for c in counts)

    def test_list_method(self, plans: Plans) -> None:
        """method: list plans exactly the trials."""
        doc = sweep_doc(
            method="list",
            trials=[
                {"HyperParameters.eta": 0.1},
                {"HyperParameters.eta": 0.2, "ResourceConfig.InstanceCount": 2},
            ],
        )
        jobs = plans.jobs(doc)
        assert [j.request["HyperParameters"]["eta"] for j in jobs] == ["0.1", "0.2"]
        assert jobs[1].request["ResourceConfig"]["InstanceCount"] == 2

    def test_a_list_crossed_with_parameters_is_the_trials_written_out(self, plans: Plans) -> None:
        """Crossing is shorthand: the same jobs, under the same names, as the cross
        product written out as trials; the count says trials x grid points."""
        trials = [{"HyperParameters.eta": 0.1}, {"HyperParameters.eta": 0.2}]
        seeds = [1, 2, 3]
        crossed = plans.planner(
            sweep_doc(
                method="list",
                trials=trials,
                parameters={"HyperParameters.seed": {"values": seeds}},
            )
        )
        jobs = list(crossed.jobs())
        written = plans.jobs(
            sweep_doc(
                method="list",
                trials=[{**t, "HyperParameters.seed": s} for t in trials for s in seeds],
            )
        )
        assert [j.name for j in jobs] == [j.name for j in written]
        assert len(jobs) == 6
        assert crossed.space.size() == 6
        assert crossed.space.grid_size() == 3

    def test_random_is_reproducible(self, plans: Plans) -> None:
        """The same random sweep file gives the same names, every time."""
        doc = sweep_doc(
            method="random",
            count=30,
            seed=4,
            parameters={
                "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.01, "max": 0.3},
                "HyperParameters.depth": {"distribution": "int_uniform", "min": 3, "max": 10},
            },
        )
        first = [j.name for j in plans.jobs(doc)]
        assert first == [j.name for j in plans.jobs(doc)]
        assert first != [j.name for j in plans.jobs({**doc, "seed": 5})]

    def test_streams_lazily(self, plans: Plans, monkeypatch: pytest.MonkeyPatch) -> None:
        """A billion-job plan yields its first jobs without expanding or reserving for all."""
        capacities: list[int] = []

        def bounded_index(capacity: int) -> DigestIndex:
            capacities.append(capacity)
            assert capacity <= 1 << 20, "would reserve memory for every planned job up front"
            return DigestIndex(capacity)

        monkeypatch.setattr(plan_module, "DigestIndex", bounded_index)
        axis = {"range": [0, 1000, 1]}
        doc = sweep_doc(
            max_jobs=10**9,
            parameters={f"HyperParameters.p{i}": axis for i in range(3)},
        )
        planner = plans.planner(doc)
        assert planner.size == 10**9
        assert len(list(itertools.islice(planner.jobs(), 3))) == 3
        assert len(capacities) == 1


class TestSecondPass:
    def test_unvalidated_pass_yields_the_same_jobs(self, plans: Plans) -> None:
        """A second pass with validate=False renders exactly the jobs the first pass checked."""
        doc = sweep_doc(
            method="random",
            count=40,
            seed=3,
            parameters={
                "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.01, "max": 0.3},
                "HyperParameters.max_depth": {"values": [3, 4]},
            },
        )
        checked = plans.jobs(doc)
        second = list(plans.planner(doc).jobs(validate=False))
        assert [(j.name, j.request) for j in second] == [(j.name, j.request) for j in checked]

    def test_unvalidated_pass_skips_the_service_model(self, plans: Plans) -> None:
        """validate=False does not check requests: it relies on a clean first pass."""
        doc = sweep_doc(parameters={"ResourceConfig.InstanceCount": {"values": [1, 0, -5]}})
        planner = plans.planner(doc)
        assert len(list(planner.jobs(validate=False))) == 3
        planner.check()
        with pytest.raises(PlanError):
            plans.jobs(doc)


class TestAllProblemsAtOnce:
    def test_a_bad_path_does_not_hide_template_problems(self, plans: Plans) -> None:
        """A typo'd parameter path and a bad template field are reported in one run."""
        doc = sweep_doc(parameters={"ResourceConfig.InstanceTyp": {"values": ["ml.m5.xlarge"]}})
        doc["template"]["RoleArn"] = "arn:aws:iam::12:role/x"
        lines = plans.problems(doc)
        assert any("InstanceTyp" in line and "did you mean" in line for line in lines)
        assert any(": template: RoleArn: " in line for line in lines)

    def test_template_problems_under_a_swept_path_are_left_to_the_jobs(self, plans: Plans) -> None:
        """A template value a parameter replaces is not reported against the template."""
        doc = sweep_doc(
            parameters={
                "ResourceConfig.InstanceType": {"values": ["ml.m5.xlarge"]},
                "HyperParameters.nope.x": {"values": [1]},
                "ResourceConfig.Bogus": {"values": [1]},
            }
        )
        doc["template"]["ResourceConfig"]["InstanceType"] = "ml.nope"
        lines = plans.problems(doc)
        assert not any("template: ResourceConfig.InstanceType" in line for line in lines)


class TestIdentity:
    def test_identical_points_dropped_and_counted(self, plans: Plans) -> None:
        """Points that render to the same request become one job; the rest are counted."""
        doc = sweep_doc(
            parameters={
                "HyperParameters.x": {"values": ["1", 1, "2"]},
                "HyperParameters.y": {"values": [True, "true"]},
            }
        )
        planner = plans.planner(doc)
        jobs = list(planner.jobs())
        planner.check()
        assert len(jobs) == 2
        assert planner.stats.points == 6
        assert planner.stats.duplicates == 4
        assert planner.stats.jobs == 2

    def test_template_value_equal_to_swept_value(self, plans: Plans) -> None:
        """Sweeping a value equal to the template's is the same job as not sweeping it."""
        plain = plans.jobs(sweep_doc())
        swept = plans.jobs(sweep_doc(parameters={"HyperParameters.num_round": {"values": [100]}}))
        assert [j.name for j in swept] == [j.name for j in plain]

    @pytest.mark.parametrize(
        "grow",
        [
            pytest.param(lambda v: [*v, 0.7], id="append"),
            pytest.param(lambda v: [0.01, *v], id="prepend"),
            pytest.param(lambda v: [v[0], 0.2, *v[1:]], id="insert"),
        ],
    )
    def test_adding_a_grid_value_keeps_every_name(
        self, plans: Plans, grow: Callable[[list[float | str]], list[float | str]]
    ) -> None:
        """Adding a value to an axis adds jobs and renames none."""
        before = {j.name for j in plans.jobs(sweep_doc(parameters=GRID))}
        grown = copy.deepcopy(GRID)
        grown["HyperParameters.eta"]["values"] = grow(GRID["HyperParameters.eta"]["values"])
        after = {j.name for j in plans.jobs(sweep_doc(parameters=grown))}
        assert before < after
        assert len(after) == len(before) // 3 * 4

    def test_order_of_keys_and_axes_does_not_matter(self, plans: Plans) -> None:
        """Reordering template keys or parameters changes no name."""
        names = {j.name for j in plans.jobs(sweep_doc(parameters=GRID))}
        reversed_template = dict(reversed(list(TEMPLATE.items())))
        reversed_grid = dict(reversed(list(GRID.items())))
        doc = {"parameters": reversed_grid, "template": reversed_template, "sweep": "sw"}
        assert {j.name for j in plans.jobs(doc)} == names

    def test_true_collision_is_an_error(
        self, plans: Plans, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Two different requests on one digest are reported, never silently merged."""

        class Colliding(DigestIndex):
            """Every job's digest shares its first 8 bytes: distinct jobs collide."""

            def add(self, full: bytes) -> Any:
                return super().add(b"\x00" * 8 + full[8:])

        monkeypatch.setattr(plan_module, "DigestIndex", Colliding)
        lines = plans.problems(sweep_doc(parameters=GRID))
        # Twelve jobs on one index key: the first is planned, each other one is refused.
        assert len(lines) == 11
        assert all("collides with a different job" in line for line in lines)


class TestCheckpoints:
    def doc(self, uri: Any) -> dict[str, Any]:
        doc = sweep_doc(parameters=GRID)
        doc["template"]["CheckpointConfig"] = {"S3Uri": uri}
        return doc

    def test_shared_checkpoint_is_an_error(self, plans: Plans) -> None:
        """A checkpoint URI without {job}/{digest} shared by the sweep's jobs is refused."""
        lines = plans.problems(self.doc("s3://bucket/ckpt/{sweep}/"))
        assert len(lines) == 1
        assert "CheckpointConfig.S3Uri: s3://bucket/ckpt/sw/ is shared with sw-" in lines[0]
        assert "{job}" in lines[0]
        assert "(and 10 other jobs)" in lines[0]

    @pytest.mark.parametrize(
        "uri",
        [
            pytest.param("s3://bucket/ckpt/{job}/", id="job"),
            pytest.param("s3://bucket/{sweep}/{digest}/", id="digest"),
            pytest.param("s3://bucket/{{x}}/{job}/", id="job-beside-escaped-braces"),
        ],
    )
    def test_unique_checkpoint_is_fine(self, plans: Plans, uri: str) -> None:
        """{job} or {digest} in the URI makes it unique per job."""
        jobs = plans.jobs(self.doc(uri))
        assert len({j.request["CheckpointConfig"]["S3Uri"] for j in jobs}) == 12

    def test_escaped_job_is_not_a_placeholder(self, plans: Plans) -> None:
        """{{job}} is the literal text {job}: the URI is shared, and that is an error."""
        lines = plans.problems(self.doc("s3://bucket/{{job}}/"))
        assert "is shared with" in lines[0]

    def test_swept_distinct_checkpoints_are_fine(self, plans: Plans) -> None:
        """Distinct fixed URIs, one per job, share nothing."""
        doc = sweep_doc(
            parameters={"CheckpointConfig.S3Uri": {"values": ["s3://b/one/", "s3://b/two/"]}}
        )
        assert len(plans.jobs(doc)) == 2

    def test_single_job_may_use_a_fixed_uri(self, plans: Plans) -> None:
        """One job cannot collide with itself."""
        doc = sweep_doc()
        doc["template"]["CheckpointConfig"] = {"S3Uri": "s3://bucket/ckpt/"}
        assert len(plans.jobs(doc)) == 1

    def test_checkpoint_config_of_the_wrong_type(self, plans: Plans) -> None:
        """A CheckpointConfig that is not a structure is a validation problem, not a crash."""
        doc = sweep_doc(parameters=GRID)
        doc["template"]["CheckpointConfig"] = "s3://bucket/ckpt/"
        lines = plans.problems(doc)
        assert any("CheckpointConfig" in line for line in lines)


class TestRefusals:
    def test_max_jobs_refused_up_front(self, plans: Plans) -> None:
        """More jobs than max_jobs is refused before any job is rendered."""
        with pytest.raises(PlanError) as info:
            plans.planner(sweep_doc(parameters=GRID, max_jobs=11))
        (line,) = info.value.lines()
        assert "max_jobs: the plan has 12 jobs, more than max_jobs 11" in line
        assert "--max-jobs" in line

    def test_max_jobs_override(self, plans: Plans) -> None:
        """The CLI's --max-jobs (max_jobs=) overrides the sweep file either way."""
        assert len(plans.jobs(sweep_doc(parameters=GRID, max_jobs=11), max_jobs=12)) == 12
        with pytest.raises(PlanError, match="more than max_jobs 5"):
            plans.planner(sweep_doc(parameters=GRID), max_jobs=5)

    def test_problems_folded_across_jobs(self, plans: Plans) -> None:
        """One problem shared by many jobs is one line ending 'and N other jobs'."""
        doc = sweep_doc(
            parameters={
                "StoppingCondition.MaxRuntimeInSeconds": {"values": [0]},
                "HyperParameters.eta": {"values": [0.1, 0.2, 0.3, 0.4]},
            }
        )
        lines = plans.problems(doc)
        assert len(lines) == 1
        assert "StoppingCondition.MaxRuntimeInSeconds" in lines[0]
        assert lines[0].endswith("(and 3 other jobs)")

    def test_one_other_job_is_singular(self, plans: Plans) -> None:
        """Folding two jobs says 'and 1 other job'."""
        doc = sweep_doc(
            parameters={
                "StoppingCondition.MaxRuntimeInSeconds": {"values": [0]},
                "HyperParameters.eta": {"values": [0.1, 0.2]},
            }
        )
        assert plans.problems(doc)[0].endswith("(and 1 other job)")

    def test_good_jobs_still_stream_when_some_are_bad(self, plans: Plans) -> None:
        """Valid jobs are yielded; check() then raises for the invalid ones."""
        types = ["ml.m5.xlarge", "ml.bogus", "ml.c5.xlarge"]
        doc = sweep_doc(parameters={"ResourceConfig.InstanceType": {"values": types}})
        planner = plans.planner(doc)
        assert [j.instance_type for j in planner.jobs()] == ["ml.m5.xlarge", "ml.c5.xlarge"]
        assert planner.stats.invalid == 1
        with pytest.raises(PlanError, match=r"ResourceConfig\.InstanceType"):
            planner.check()

    @pytest.mark.parametrize(
        ("parameters", "needle"),
        [
            pytest.param(
                {"ResourceConfig.InstanceTyp": {"values": ["ml.m5.xlarge"]}},
                "did you mean",
                id="typo-path",
            ),
            pytest.param(
                {"HyperParameters": {"values": [{"a": "1"}]}},
                "name a key inside HyperParameters",
                id="bare-string-map",
            ),
            pytest.param({"A..B": {"values": [1]}}, "malformed", id="malformed-path"),
        ],
    )
    def test_bad_paths_refused_up_front(
        self, plans: Plans, parameters: dict[str, Any], needle: str
    ) -> None:
        """A parameter path the request cannot have is refused at construction."""
        with pytest.raises(PlanError) as info:
            plans.planner(sweep_doc(parameters=parameters))
        assert any(needle in line for line in info.value.lines()), info.value.lines()

    def test_unknown_template_placeholder_refused_up_front(self, plans: Plans) -> None:
        """An unknown placeholder in the template is refused before any job."""
        doc = sweep_doc()
        doc["template"]["OutputDataConfig"]["S3OutputPath"] = "s3://b/{name}/"
        with pytest.raises(PlanError, match=r"unknown placeholder \{name\}"):
            plans.planner(doc)

    def test_unrenderable_point_reported(self, plans: Plans) -> None:
        """A swept value a string map cannot hold is reported with its path."""
        doc = sweep_doc(parameters={"HyperParameters.x": {"values": [[1, 2]]}})
        lines = plans.problems(doc)
        assert any("HyperParameters.x: must be a string, number or boolean" in x for x in lines)

    def test_spot_without_max_wait(self, plans: Plans) -> None:
        """Managed spot without MaxWaitTimeInSeconds is refused (docs/validation.md)."""
        doc = sweep_doc(EnableManagedSpotTraining=True)
        doc["template"]["EnableManagedSpotTraining"] = True
        del doc["EnableManagedSpotTraining"]
        lines = plans.problems(doc)
        assert any("MaxWaitTimeInSeconds" in line for line in lines)

    def test_plan_error_is_an_input_error(self) -> None:
        """PlanError exits with code 2 like every input problem."""
        assert issubclass(PlanError, InputError)
        assert PlanError([]).exit_code == 2


# --- malformed sweep files ----------------------------------------------------------

GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**400),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["{job}", "{nope}", "{", "}}", "ml.bogus", "1e-3", "nan", "inf", "-"]),
    st.lists(st.integers(-5, 5), max_size=4),
    st.lists(st.floats(), max_size=4),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    st.sampled_from(
        [
            {"values": []},
            {"values": [[1], {"a": 1}]},
            {"range": [0, 10**30, 1]},
            {"range": [0, 1, 0]},
            {"range": ["a", "b", "c"]},
            {"distribution": "normal", "mu": 0, "sigma": 1, "q": 10**300},
            {"distribution": "log_uniform", "min": 1e-300, "max": 1e300},
            {"distribution": "int_uniform", "min": -(10**15), "max": 10**15},
            {"distribution": "uniform", "min": 0, "max": 1, "q": 1e-300},
            {"values": [1, 2], "probabilities": [1, 0]},
        ]
    ),
)
JSON_DOCS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["sweep", "template", "method", "count", "parameters", "trials", "x"])
            | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=25,
)

BASES: list[dict[str, Any]] = [
    sweep_doc(parameters=GRID),
    sweep_doc(
        method="random",
        count=5,
        seed=3,
        parameters={
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.01, "max": 0.3},
            "HyperParameters.depth": {"distribution": "int_uniform", "min": 3, "max": 10},
            "HyperParameters.sub": {"distribution": "uniform", "min": 0.5, "max": 1, "q": 0.05},
            "HyperParameters.booster": {"values": ["a", "b"], "probabilities": [0.7, 0.3]},
            "ResourceConfig.InstanceCount": {"range": [1, 4, 1]},
        },
    ),
    sweep_doc(
        method="list",
        trials=[{"HyperParameters.eta": 0.1}, {"ResourceConfig.InstanceType": "ml.c5.xlarge"}],
    ),
]
for _base in BASES:
    _base["template"]["CheckpointConfig"] = {"S3Uri": "s3://bucket/{sweep}/{job}/"}
    _base["template"]["InputDataConfig"] = [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://d/t/"}}}
    ]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, child in node.items():
            found.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found.extend(_paths(child, (*prefix, i)))
    return found


def _mutate(doc: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    doc = copy.deepcopy(doc)
    for _ in range(data.draw(st.integers(1, 3))):
        paths = _paths(doc)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent: Any = doc
        for key in path[:-1]:
            parent = parent[key]
        op = data.draw(st.sampled_from(["delete", "replace", "wrap", "stringify"]))
        last = path[-1]
        if op == "delete":
            del parent[last]
        elif op == "replace":
            parent[last] = copy.deepcopy(data.draw(GARBAGE))
        elif op == "wrap":
            parent[last] = [parent[last]]
        else:
            parent[last] = str(parent[last])
    return doc


def plan_everything(path: Path) -> list[str]:
    """load + plan + check; only InputError may come out. Its lines, or ["(no error)"]."""
    lines = ["(no error)"]
    try:
        planner = Planner(load_config(path), max_jobs=50)
        for _ in planner.jobs():
            pass
        planner.check()
    except InputError as exc:
        lines = exc.lines()
    assert lines
    assert all(line and "\n" not in line for line in lines)
    return lines


class TestMalformedSweepFiles:
    @settings(max_examples=150, deadline=None)
    @given(base=st.sampled_from(BASES), data=st.data())
    def test_mutated_sweeps_give_input_errors_only(
        self, base: dict[str, Any], data: st.DataObject
    ) -> None:
        """Deleted keys, wrong types, garbage values: an InputError, never anything else."""
        doc = _mutate(base, data)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "sweep.json"
            try:
                path.write_text(json.dumps(doc))
            except ValueError:  # an int too long for json to write
                return
            plan_everything(path)
            path = Path(tmp) / "sweep.yaml"
            path.write_text(yaml.safe_dump(doc))
            plan_everything(path)

    @settings(max_examples=100, deadline=None)
    @given(doc=JSON_DOCS, suffix=st.sampled_from([".json", ".yaml", ".toml"]))
    def test_random_documents_give_input_errors_only(self, doc: Any, suffix: str) -> None:
        """Any JSON/YAML document as a sweep file: an InputError, never anything else."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"sweep{suffix}"
            text = json.dumps(doc) if suffix != ".yaml" else yaml.safe_dump(doc)
            path.write_text(text)
            plan_everything(path)

    @settings(max_examples=100, deadline=None)
    @given(
        text=st.text(alphabet=st.sampled_from(list("{}[]:,-&*!|>'\"#\n .01aKtnu@%?")), max_size=60),
        suffix=st.sampled_from([".json", ".yaml", ".toml"]),
    )
    def test_random_text_gives_input_errors_only(self, text: str, suffix: str) -> None:
        """Random text in a sweep file: an InputError, never a parser's exception."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"sweep{suffix}"
            path.write_text(text)
            plan_everything(path)


# --- aliases, duplicate keys, files that are not files -------------------------------


@st.composite
def alias_documents(draw: st.DrawFn) -> tuple[str, int, bool]:
    """A sweep file whose template nests anchors that alias earlier ones (or themselves).

    Returns the text, the number of values the whole document expands to (every key and
    value counts), and whether an anchor uses itself.
    """
    levels = draw(st.integers(1, 9))
    looped = draw(st.none() | st.integers(1, levels))  # the level whose anchor uses itself
    lines = ["sweep: al", "template:", "  RoleArn: arn:aws:iam::123456789012:role/R"]
    lines.append("  Tree:")
    lines.append("    l0: &l0 [x]")
    size = 2  # a list and its one string
    tree = 1 + 1 + size  # the Tree map, then each level's key and value
    for level in range(1, levels + 1):
        fanout = draw(st.sampled_from([1, 2, 3, 5, 9]))
        refs = [f"*l{level - 1}"] * fanout
        if level == looped:
            refs.insert(draw(st.integers(0, fanout)), f"*l{level}")
        lines.append(f"    l{level}: &l{level} [{', '.join(refs)}]")
        size = 1 + fanout * size
        tree += 1 + size
    recursive = looped is not None
    # The root map, "sweep" and its value, "template" and its map, whose RoleArn key and
    # value and Tree key come before the Tree itself.
    whole = 8 + tree
    return "\n".join(lines) + "\n", whole, recursive


def _dump_with_duplicate(node: Any, target: int, counter: list[int]) -> str:
    """JSON text of ``node``; the ``target``-th map (depth-first) repeats its first key."""
    if isinstance(node, dict):
        index = counter[0]
        counter[0] += 1
        items = [
            f"{json.dumps(k)}: {_dump_with_duplicate(v, target, counter)}" for k, v in node.items()
        ]
        if index == target and node:
            first = next(iter(node))
            items.append(f"{json.dumps(first)}: {json.dumps(node[first])}")
        return "{" + ", ".join(items) + "}"
    if isinstance(node, list):
        return "[" + ", ".join(_dump_with_duplicate(v, target, counter) for v in node) + "]"
    return json.dumps(node)


def _maps(node: Any) -> int:
    if isinstance(node, dict):
        return 1 + sum(_maps(v) for v in node.values())
    if isinstance(node, list):
        return sum(_maps(v) for v in node)
    return 0


def _not_a_file(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind in ("dev-zero", "dev-null"):
        path.symlink_to("/dev/zero" if kind == "dev-zero" else "/dev/null")
    else:  # too big: sparse, so it costs no disk
        with path.open("wb") as f:
            f.truncate(MAX_FILE_BYTES + 1)


class TestHostileSweepFiles:
    @settings(max_examples=40, deadline=None)
    @given(document=alias_documents(), suffix=st.sampled_from([".yaml", ".yml"]))
    def test_aliases_expand_within_the_bound_or_are_refused(
        self, document: tuple[str, int, bool], suffix: str
    ) -> None:
        """Aliases: refused if recursive or past MAX_NODES values, read as written otherwise."""
        text, size, recursive = document
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"sweep{suffix}"
            path.write_text(text)
            lines = plan_everything(path)
        joined = "\n".join(lines)
        if recursive and size > MAX_NODES:
            # Both are true; the walk says whichever it meets first.
            assert "a recursive alias" in joined or "once its aliases are expanded" in joined
        elif recursive:
            assert "a recursive alias" in joined, lines
        elif size > MAX_NODES:
            assert "once its aliases are expanded" in joined, lines
        else:
            assert "alias" not in joined, lines
            assert "Tree: unknown member" in joined, lines  # read whole, then validated

    @settings(max_examples=60, deadline=None)
    @given(
        base=st.sampled_from(BASES),
        data=st.data(),
        suffix=st.sampled_from([".json", ".yaml"]),
    )
    def test_a_repeated_key_anywhere_is_refused(
        self, base: dict[str, Any], data: st.DataObject, suffix: str
    ) -> None:
        """Any map of a sweep file with a key written twice: refused, naming that key."""
        target = data.draw(st.integers(0, _maps(base) - 1))
        text = _dump_with_duplicate(base, target, [0])  # JSON is YAML 1.2 too
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"sweep{suffix}"
            path.write_text(text)
            lines = plan_everything(path)
        assert any("duplicate key" in line for line in lines), lines

    @settings(max_examples=20, deadline=None)
    @given(
        kind=st.sampled_from(["fifo", "directory", "dev-zero", "dev-null", "too-big"]),
        role=st.sampled_from(["sweep", "template_file"]),
        suffix=st.sampled_from([".json", ".yaml", ".toml"]),
    )
    @pytest.mark.timeout(60)
    def test_files_that_are_not_sweep_files_are_refused(
        self, kind: str, role: str, suffix: str
    ) -> None:
        """FIFOs, directories, devices and oversized files: one line each, never a hang."""
        with tempfile.TemporaryDirectory() as tmp:
            odd = Path(tmp) / f"odd{suffix}"
            _not_a_file(kind, odd)
            if role == "sweep":
                path = odd
            else:
                path = Path(tmp) / "sweep.json"
                path.write_text(json.dumps({**BASES[0], "template_file": odd.name}))
            lines = plan_everything(path)
        assert lines != ["(no error)"]
        assert any(str(odd) in line for line in lines), lines
