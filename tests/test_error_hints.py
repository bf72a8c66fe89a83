"""Bad input points at the fix: each mistake once, where it is, with the likely intent
(docs/validation.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from sagesweep.errors import InputError
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from tests.sweeps import template


def problems(tmp_path: Path, doc: dict[str, Any]) -> list[str]:
    """Every line the plan of ``doc`` refuses it with, the file name left out."""
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc))

    def plan() -> None:
        planner = Planner(load_config(path))
        list(planner.jobs())
        planner.check()

    with pytest.raises(InputError) as caught:
        plan()
    return [line.removeprefix(f"{path}: ") for line in caught.value.lines()]


def sweep(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "sweep": "hints",
        "template": template(),
        "parameters": {"HyperParameters.eta": {"values": [0.1, 0.2, 0.3, 0.4, 0.5]}},
    }
    doc.update(changes)
    return doc


class TestOnceWhereItIs:
    def test_a_template_typo_is_the_templates_once(self, tmp_path: Path) -> None:
        """Not 'job-x: ... (and 4 other jobs)': once, against template."""
        doc = sweep()
        doc["template"]["ResourceConfig"]["InstanceTypo"] = 3
        assert problems(tmp_path, doc) == [
            "template: ResourceConfig.InstanceTypo: unknown member 'InstanceTypo'; "
            "did you mean 'InstanceType'?"
        ]

    def test_a_list_as_a_hyperparameter_is_said_once(self, tmp_path: Path) -> None:
        doc = sweep()
        doc["template"]["HyperParameters"] = {"layers": [1, 2]}
        lines = problems(tmp_path, doc)
        assert len(lines) == 1, lines
        assert lines[0].startswith("template: HyperParameters.layers: must be a string")


class TestLikelyIntent:
    def test_an_instance_type_without_ml_suggests_it_with(self, tmp_path: Path) -> None:
        doc = sweep()
        doc["template"]["ResourceConfig"]["InstanceType"] = "m5.large"
        (line,) = problems(tmp_path, doc)
        assert line.endswith("(got 'm5.large'); did you mean 'ml.m5.large'?")

    @pytest.mark.parametrize(
        ("spec", "hint"),
        [
            pytest.param(
                {"distribution": "loguniform", "min": 0.01, "max": 0.3},
                "(got 'loguniform'); did you mean 'log_uniform'?",
                id="loguniform",
            ),
            pytest.param(
                {"distribution": "uniform", "low": 0.0, "max": 1.0},
                "unknown key 'low' in a uniform spec; did you mean 'min'?",
                id="low",
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0.0, "high": 1.0},
                "unknown key 'high' in a uniform spec; did you mean 'max'?",
                id="high",
            ),
            pytest.param(
                {"distribution": "uniform", "min": 0.0, "max": 1.0, "stepp": 0.1},
                "unknown key 'stepp' in a uniform spec; did you mean 'q'?",
                id="unknown-key",
            ),
        ],
    )
    def test_spec_keys_and_names_get_a_did_you_mean(
        self, tmp_path: Path, spec: dict[str, Any], hint: str
    ) -> None:
        doc = sweep(method="random", count=3, parameters={"HyperParameters.eta": spec})
        (line,) = problems(tmp_path, doc)
        assert line.endswith(hint), line

    def test_a_sweep_name_with_an_underscore_points_at_it(self, tmp_path: Path) -> None:
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(sweep(sweep="xgb_churn")))
        with pytest.raises(InputError) as caught:
            load_config(path)
        (line,) = caught.value.lines()
        assert line.endswith("'_' at position 4 is not allowed; did you mean 'xgb-churn'?")


class TestTagsAreStrings:
    def test_numbers_in_tags_are_written_as_hyperparameters_are(self, tmp_path: Path) -> None:
        """A number as a tag value, in the template or swept: the string a hyperparameter
        would get (Tags are string-valued), not a refusal."""
        doc = sweep(parameters={"Tags[1].Value": {"values": [1, 2.5, True]}})
        doc["template"]["Tags"] = [{"Key": "team", "Value": 7}, {"Key": "n", "Value": 0}]
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(doc))
        jobs = list(Planner(load_config(path)).jobs())
        values = [[t["Value"] for t in job.request["Tags"][:2]] for job in jobs]
        assert values == [["7", "1"], ["7", "2.5"], ["7", "true"]]
