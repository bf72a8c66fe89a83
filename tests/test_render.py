"""Specification of rendering: paths, canonical values, placeholders (docs/sweep-file.md)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from sagesweep.planning.naming import DIGEST_TAG, SWEEP_TAG
from sagesweep.planning.render import (
    PointApplier,
    RenderError,
    canonical_template,
    canonical_value,
    fill_placeholders,
    parse_path,
    placeholder_problems,
)

TEMPLATE: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/R",
    "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/out/"},
    "CheckpointConfig": {"S3Uri": "s3://b/ckpt/{job}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1},
    "InputDataConfig": [
        {"ChannelName": "train", "DataSource": {"S3DataSource": {"S3Uri": "s3://d/a/"}}},
        {"ChannelName": "test", "DataSource": {"S3DataSource": {"S3Uri": "s3://d/t/"}}},
    ],
    "HyperParameters": {"objective": "binary:logistic", "rounds": 100, "flag": True},
    "Environment": {"LITERAL": "{{not-a-placeholder}}"},
    "Tags": [{"Key": "team", "Value": "{sweep}"}],
}


class TestParsePath:
    @pytest.mark.parametrize(
        ("path", "keys"),
        [
            pytest.param("RoleArn", ("RoleArn",), id="member"),
            pytest.param(
                "ResourceConfig.InstanceType", ("ResourceConfig", "InstanceType"), id="dot"
            ),
            pytest.param(
                "InputDataConfig[1].DataSource.S3DataSource.S3Uri",
                ("InputDataConfig", 1, "DataSource", "S3DataSource", "S3Uri"),
                id="index",
            ),
            pytest.param("Tags[0]", ("Tags", 0), id="trailing-index"),
            pytest.param("HyperParameters.eta", ("HyperParameters", "eta"), id="hyperparameter"),
            pytest.param(
                "HyperParameters.model.lr[0]",
                ("HyperParameters", "model.lr[0]"),
                id="hyperparameter-key-with-dots",
            ),
            pytest.param("Environment.A_B", ("Environment", "A_B"), id="environment"),
        ],
    )
    def test_parses(self, path: str, keys: tuple[Any, ...]) -> None:
        """Dotted keys and [n] indexes; inside a string map the rest is one key."""
        assert parse_path(path) == keys

    @pytest.mark.parametrize(
        "path",
        [
            pytest.param("", id="empty"),
            pytest.param(".A", id="leading-dot"),
            pytest.param("A..B", id="double-dot"),
            pytest.param("[0].A", id="starts-with-index"),
            pytest.param("A[x]", id="non-numeric-index"),
            pytest.param("HyperParameters", id="bare-string-map"),
            pytest.param("HyperParameters.", id="string-map-empty-key"),
        ],
    )
    def test_malformed(self, path: str) -> None:
        """A malformed path is a RenderError that names it."""
        with pytest.raises(RenderError) as info:
            parse_path(path)
        assert info.value.field == path


class TestCanonicalValue:
    @pytest.mark.parametrize(
        ("value", "text"),
        [
            pytest.param(True, "true", id="true"),
            pytest.param(False, "false", id="false"),
            pytest.param(7, "7", id="int"),
            pytest.param(-12, "-12", id="negative-int"),
            pytest.param(10**20, "100000000000000000000", id="big-int"),
            pytest.param(0.001, "0.001", id="float"),
            pytest.param(1e-06, "1e-06", id="tiny-float"),
            pytest.param(0.1 + 0.2, "0.30000000000000004", id="shortest-round-trip"),
            pytest.param(2.0, "2.0", id="integral-float"),
            pytest.param("gbtree", "gbtree", id="string"),
        ],
    )
    def test_canonical_strings(self, value: Any, text: str) -> None:
        """bool -> true/false, int -> decimal, float -> shortest round-trip repr."""
        assert canonical_value(value, "HyperParameters.x") == text

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(float("nan"), id="nan"),
            pytest.param(float("inf"), id="inf"),
            pytest.param(None, id="null"),
            pytest.param([1], id="list"),
            pytest.param({"a": 1}, id="map"),
        ],
    )
    def test_not_renderable(self, value: Any) -> None:
        """Values that have no canonical string are a RenderError naming the field."""
        with pytest.raises(RenderError) as info:
            canonical_value(value, "HyperParameters.x")
        assert info.value.field == "HyperParameters.x"

    def test_template_string_maps_are_canonical(self) -> None:
        """Template HyperParameters become strings; other members keep their types."""
        template, problems = canonical_template(TEMPLATE)
        assert problems == []
        assert template["HyperParameters"] == {
            "objective": "binary:logistic",
            "rounds": "100",
            "flag": "true",
        }
        assert template["ResourceConfig"]["InstanceCount"] == 1


class TestPlaceholders:
    @pytest.mark.parametrize(
        ("text", "filled"),
        [
            pytest.param("s3://b/{sweep}/", "s3://b/sw/", id="sweep"),
            pytest.param("s3://b/{job}/", "s3://b/sw-abc/", id="job"),
            pytest.param("{digest}", "abc", id="digest"),
            pytest.param("{{job}}", "{job}", id="escaped"),
            pytest.param("{{{job}}}", "{sw-abc}", id="escaped-around-placeholder"),
            pytest.param("a}}b{{c", "a}b{c", id="reversed-escapes"),
            pytest.param("plain", "plain", id="none"),
        ],
    )
    def test_fill(self, text: str, filled: str) -> None:
        """{sweep}, {job}, {digest} are filled; {{ and }} are literal braces."""
        values = {"sweep": "sw", "job": "sw-abc", "digest": "abc"}
        assert fill_placeholders(text, values) == filled

    @pytest.mark.parametrize(
        ("text", "needle"),
        [
            pytest.param("{jobname}", "unknown placeholder {jobname}", id="unknown"),
            pytest.param("{}", "unknown placeholder {}", id="empty"),
            pytest.param("a{b", "unmatched", id="open-brace"),
            pytest.param("a}b", "unmatched", id="close-brace"),
        ],
    )
    def test_bad_placeholder(self, text: str, needle: str) -> None:
        """An unknown placeholder or a lone brace is an error naming the field."""
        with pytest.raises(RenderError, match=needle) as info:
            fill_placeholders({"A": [text]}, {"sweep": "s", "job": "j", "digest": "d"})
        assert info.value.field == "A[0]"

    def test_template_problems_found_up_front(self) -> None:
        """Every bad placeholder of a template is listed before any job is rendered."""
        problems = placeholder_problems({"A": "{x}", "B": {"C": ["{y}", "{job}"]}})
        assert [p.field for p in problems] == ["A", "B.C[0]"]

    def test_unchanged_subtrees_are_shared(self) -> None:
        """Filling copies only what changes."""
        template = {"A": {"B": "plain"}, "C": {"D": "{job}"}}
        out = fill_placeholders(template, {"sweep": "s", "job": "j", "digest": "d"})
        assert out["A"] is template["A"]
        assert out["C"] == {"D": "j"}
        assert template["C"] == {"D": "{job}"}


class TestPointApplier:
    def render(self, point: dict[str, Any], template: dict[str, Any] | None = None) -> Any:
        canonical, problems = canonical_template(template or TEMPLATE)
        assert problems == []
        applier = PointApplier(canonical)
        rendered = applier.apply(point)
        return rendered, rendered.finish("sw", "sw-abc", "abc")

    def test_point_values_are_set(self) -> None:
        """Swept values land at their paths; string-map values become canonical strings."""
        _, request = self.render(
            {
                "HyperParameters.eta": 1e-06,
                "HyperParameters.new": False,
                "ResourceConfig.InstanceCount": 2,
                "InputDataConfig[1].DataSource.S3DataSource.S3Uri": "s3://d/b/",
            }
        )
        assert request["HyperParameters"]["eta"] == "1e-06"
        assert request["HyperParameters"]["new"] == "false"
        assert request["ResourceConfig"]["InstanceCount"] == 2
        assert request["InputDataConfig"][1]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://d/b/"
        assert request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] == "s3://d/a/"

    def test_missing_members_are_created(self) -> None:
        """A path into a member the template lacks creates it."""
        _, request = self.render({"VpcConfig.Subnets": ["subnet-1"]})
        assert request["VpcConfig"] == {"Subnets": ["subnet-1"]}

    def test_placeholders_filled_after_digest_input(self) -> None:
        """The digest input keeps {job}; the final request has the job name."""
        rendered, request = self.render({"HyperParameters.out": "s3://b/{job}/"})
        assert rendered.body["CheckpointConfig"]["S3Uri"] == "s3://b/ckpt/{job}/"
        assert rendered.body["HyperParameters"]["out"] == "s3://b/{job}/"
        assert request["CheckpointConfig"]["S3Uri"] == "s3://b/ckpt/sw-abc/"
        assert request["HyperParameters"]["out"] == "s3://b/sw-abc/"
        assert request["OutputDataConfig"]["S3OutputPath"] == "s3://b/sw/out/"
        assert request["Environment"]["LITERAL"] == "{not-a-placeholder}"

    def test_swept_subtree_with_placeholders(self) -> None:
        """A swept structure holding placeholders is filled too."""
        _, request = self.render({"CheckpointConfig": {"S3Uri": "s3://x/{digest}/"}})
        assert request["CheckpointConfig"] == {"S3Uri": "s3://x/abc/"}

    def test_name_and_own_tags(self) -> None:
        """The request gets TrainingJobName and the two sagesweep tags, after the user's."""
        _, request = self.render({})
        assert request["TrainingJobName"] == "sw-abc"
        assert request["Tags"] == [
            {"Key": "team", "Value": "sw"},
            {"Key": SWEEP_TAG, "Value": "sw"},
            {"Key": DIGEST_TAG, "Value": "abc"},
        ]

    def test_template_is_never_mutated(self) -> None:
        """Rendering many points leaves the template (and its nested parts) untouched."""
        template = copy.deepcopy(TEMPLATE)
        canonical, _ = canonical_template(template)
        frozen = copy.deepcopy(canonical)
        applier = PointApplier(canonical)
        for i in range(3):
            rendered = applier.apply(
                {
                    "HyperParameters.eta": i / 10,
                    "InputDataConfig[0].DataSource.S3DataSource.S3Uri": f"s3://d/{i}/",
                    "CheckpointConfig.S3Uri": "s3://c/{job}/",
                }
            )
            rendered.finish("sw", f"sw-{i}", str(i))
        assert canonical == frozen
        assert template == TEMPLATE

    @pytest.mark.parametrize(
        ("point", "field"),
        [
            pytest.param({"InputDataConfig[5].ChannelName": "x"}, "InputDataConfig[5]", id="index"),
            pytest.param({"RoleArn.Sub": "x"}, "RoleArn.Sub", id="into-a-string"),
            pytest.param({"HyperParameters.x": {"a": 1}}, "HyperParameters.x", id="map-value"),
        ],
    )
    def test_unrenderable_point(self, point: dict[str, Any], field: str) -> None:
        """A point that cannot be set is a RenderError naming its path."""
        canonical, _ = canonical_template(TEMPLATE)
        with pytest.raises(RenderError) as info:
            PointApplier(canonical).apply(point)
        assert info.value.field.startswith(field.split("[")[0])
