"""``when:``: a parameter exists only where another has one of the given values; a job
without it has no such member (docs/sweep-file.md#conditional-parameters)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.errors import InputError
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.search.study import planner_for
from tests.sweeps import template

BOOSTER = "HyperParameters.booster"
DROP = "HyperParameters.rate_drop"


def write(tmp_path: Path, method: str = "grid", drop: Any = None, **extra: Any) -> Path:
    doc: dict[str, Any] = {
        "sweep": "cond",
        "template": template(),
        "method": method,
        "parameters": {
            BOOSTER: {"values": ["gbtree", "dart"]},
            DROP: drop or {"values": [0.1, 0.2], "when": {BOOSTER: "dart"}},
            "HyperParameters.eta": {"values": [0.1, 0.3]},
        },
    }
    if method in ("random", "tpe"):
        doc["count"] = 12
        doc["seed"] = 4
    if method == "tpe":
        doc["objective"] = {"metric": "validation:auc", "goal": "maximize"}
    doc.update(extra)
    path = tmp_path / "cond.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


class TestPlanned:
    def test_grid_crosses_the_parameter_only_where_it_applies(self, tmp_path: Path) -> None:
        jobs = list(Planner(load_config(write(tmp_path))).jobs())
        points = [dict(job.params) for job in jobs]
        assert points == [
            {BOOSTER: "gbtree", "HyperParameters.eta": 0.1},
            {BOOSTER: "gbtree", "HyperParameters.eta": 0.3},
            {BOOSTER: "dart", DROP: 0.1, "HyperParameters.eta": 0.1},
            {BOOSTER: "dart", DROP: 0.2, "HyperParameters.eta": 0.1},
            {BOOSTER: "dart", DROP: 0.1, "HyperParameters.eta": 0.3},
            {BOOSTER: "dart", DROP: 0.2, "HyperParameters.eta": 0.3},
        ]
        assert Planner(load_config(write(tmp_path))).space.size() == 6
        for job in jobs:
            hyper = job.request["HyperParameters"]
            assert ("rate_drop" in hyper) == (hyper["booster"] == "dart")
            assert hyper.get("rate_drop") in (None, "0.1", "0.2")

    @pytest.mark.parametrize("method", ["random", "tpe"])
    def test_drawn_points_have_it_only_where_it_applies(self, tmp_path: Path, method: str) -> None:
        drop = {"distribution": "uniform", "min": 0, "max": 0.3, "when": {BOOSTER: ["dart"]}}
        config = load_config(write(tmp_path, method, drop=drop))
        jobs = list(planner_for(config).jobs())
        assert jobs
        kinds = {job.params[BOOSTER] for job in jobs}
        assert kinds == {"gbtree", "dart"}
        for job in jobs:
            assert (DROP in job.params) == (job.params[BOOSTER] == "dart")
            assert ("rate_drop" in job.request["HyperParameters"]) == (DROP in job.params)

    def test_a_sweep_without_when_plans_as_before(self, tmp_path: Path) -> None:
        """The same file without the condition crosses every parameter: 8 jobs, and the
        4 dart jobs' names are the conditional sweep's (their points are the same)."""
        plain = write(tmp_path, drop={"values": [0.1, 0.2]})
        plain_names = {job.name for job in Planner(load_config(plain)).jobs()}
        assert len(plain_names) == 8
        (tmp_path / "c").mkdir()
        conditional = {job.name for job in Planner(load_config(write(tmp_path / "c"))).jobs()}
        assert len(conditional & plain_names) == 4


class TestBadInput:
    @pytest.mark.parametrize(
        ("when", "field", "words"),
        [
            ({"HyperParameters.gamma": "dart"}, "when.HyperParameters.gamma", "not a parameter"),
            ({BOOSTER: "gblinear"}, f"when.{BOOSTER}", "never takes the value 'gblinear'"),
            ({"HyperParameters.eta": [0.2]}, "when.HyperParameters.eta", "never takes the value"),
            ("dart", "when", "must be {PARAMETER_PATH"),
        ],
    )
    def test_one_problem_names_the_parameter_and_field(
        self, tmp_path: Path, when: Any, field: str, words: str
    ) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, drop={"values": [0.1], "when": when}))
        (problem,) = caught.value.problems
        assert (problem.subject, problem.field) == (DROP, field)
        assert words in problem.message

    def test_a_drawn_parameter_cannot_be_a_condition(self, tmp_path: Path) -> None:
        path = write(
            tmp_path,
            "random",
            drop={"values": [0.1], "when": {"HyperParameters.eta": 0.1}},
            parameters={
                "HyperParameters.eta": {"distribution": "uniform", "min": 0, "max": 1},
                DROP: {"values": [0.1], "when": {"HyperParameters.eta": 0.1}},
            },
        )
        with pytest.raises(InputError) as caught:
            load_config(path)
        (problem,) = caught.value.problems
        assert "drawn from a distribution" in problem.message

    def test_the_template_must_not_set_the_member(self, tmp_path: Path) -> None:
        request = template(HyperParameters={"rate_drop": "0.05"})
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, template=request))
        (problem,) = caught.value.problems
        assert (problem.subject, problem.field) == (DROP, "when")
        assert "leave it out of the template" in problem.message

    def test_not_for_a_list_sweep(self, tmp_path: Path) -> None:
        with pytest.raises(InputError) as caught:
            load_config(write(tmp_path, "list", trials=[{"HyperParameters.alpha": 1}]))
        assert any(
            "only for methods grid, random and tpe" in p.message for p in caught.value.problems
        )
