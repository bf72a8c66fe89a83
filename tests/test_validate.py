"""Specification of request validation: the service model, cross-field rules, credentials."""

from __future__ import annotations

import copy
import datetime
import decimal
import functools
import re
from collections.abc import Callable
from typing import Any

import botocore.validate
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from structlog.testing import capture_logs

from sagesweep.redaction.secrets import mask, scan
from sagesweep.validation.model import RequestValidator, Violation, compile_java_pattern, validator

Request = dict[str, Any]
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def realistic_request() -> Request:
    """A complete request of the kind a sweep renders (about 25 fields)."""
    return {
        "TrainingJobName": "xgb-churn-abcdefghij",
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "AlgorithmSpecification": {
            "TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1",
            "TrainingInputMode": "File",
            "MetricDefinitions": [{"Name": "validation:auc", "Regex": "auc:([0-9.]+)"}],
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/xgb-churn/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 30,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600, "MaxWaitTimeInSeconds": 7200},
        "HyperParameters": {
            "objective": "binary:logistic",
            "eta": "0.1",
            "max_depth": "5",
            "subsample": "0.8",
            "booster": "gbtree",
            "num_round": "100",
        },
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {
                        "S3DataType": "S3Prefix",
                        "S3Uri": "s3://data/churn/train/",
                        "S3DataDistributionType": "FullyReplicated",
                    }
                },
                "ContentType": "text/csv",
            },
            {
                "ChannelName": "validation",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://data/churn/val/"}
                },
                "ContentType": "text/csv",
            },
        ],
        "Tags": [
            {"Key": "sagesweep:sweep", "Value": "xgb-churn"},
            {"Key": "sagesweep:digest", "Value": "abcdefghij"},
            {"Key": "team", "Value": "ml-platform"},
        ],
        "CheckpointConfig": {"S3Uri": "s3://bucket/ckpt/xgb-churn-abcdefghij/"},
        "EnableManagedSpotTraining": True,
        "RetryStrategy": {"MaximumRetryAttempts": 3},
        "Environment": {"MODE": "train"},
    }


def errors(violations: list[Violation]) -> list[Violation]:
    return [v for v in violations if v.severity == "error"]


def at(violations: list[Violation], field: str) -> list[Violation]:
    return [v for v in violations if v.field == field]


def edit(change: Callable[[Request], None]) -> Request:
    request = realistic_request()
    change(request)
    return request


@functools.cache
def model_kind(shape: Any, path: str) -> str | None:
    """The botocore model's type at a sweep parameter path, or None if it has none.

    An oracle independent of the validator: it walks botocore's own shape objects.
    """
    for token in re.findall(r"\[\d+\]|[^.\[\]]+", path):
        if shape.type_name == "map" and shape.value.type_name not in ("structure", "list", "map"):
            return str(shape.value.type_name)  # a scalar-valued map: the rest is the key
        if token.startswith("["):
            if shape.type_name != "list":
                return None
            shape = shape.member
        elif shape.type_name == "map":
            shape = shape.value
        elif shape.type_name == "structure" and token in shape.members:
            shape = shape.members[token]
        else:
            return None
    return str(shape.type_name)


def other_validator(operation: str) -> RequestValidator:
    return RequestValidator(operation)


@pytest.fixture(scope="module")
def v() -> RequestValidator:
    return validator()


class TestValidRequest:
    def test_realistic_request_has_no_violations(self, v: RequestValidator) -> None:
        """A complete, sensible request yields nothing at all."""
        assert v.validate(realistic_request()) == []

    def test_realistic_request_passes_botocore(self, v: RequestValidator) -> None:
        """The same request passes botocore's own parameter validation."""
        report = botocore.validate.ParamValidator().validate(realistic_request(), v.input_shape)
        assert not report.has_errors(), report.generate_report()

    def test_minimal_request_is_valid(self, v: RequestValidator) -> None:
        """Only the three required members are needed."""
        request = {
            "TrainingJobName": "j",
            "RoleArn": "arn:aws:iam::123456789012:role/R",
            "OutputDataConfig": {"S3OutputPath": "s3://b/"},
        }
        assert v.validate(request) == []

    def test_validator_is_cached(self) -> None:
        """validator() hands out one process-wide instance."""
        assert validator() is validator()

    def test_repeated_validation_gives_same_answer(self, v: RequestValidator) -> None:
        """Memoised verdicts return the same violations on the second call."""
        request = edit(lambda r: r.update(RoleArn="nope"))
        assert v.validate(request) == v.validate(request)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Request], None]:
    def change(request: Request) -> None:
        node: Any = request
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


def _drop(path: tuple[Any, ...]) -> Callable[[Request], None]:
    def change(request: Request) -> None:
        node: Any = request
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return change


class TestModelConstraints:
    @pytest.mark.parametrize(
        ("change", "field", "expected"),
        [
            pytest.param(
                _set(("HyperParameters",), {f"h{i}": "1" for i in range(101)}),
                "HyperParameters",
                "must have at most 100 entries (got 101)",
                id="map-count",
            ),
            pytest.param(
                _set(("RoleArn",), "arn:aws:iam::1234:role/SageMakerRole"),
                "RoleArn",
                "must match pattern ^arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+$",
                id="pattern",
            ),
            pytest.param(
                _set(("ResourceConfig", "InstanceTyp"), "ml.m5.xlarge"),
                "ResourceConfig.InstanceTyp",
                "unknown member 'InstanceTyp'; did you mean 'InstanceType'?",
                id="typo-nested",
            ),
            pytest.param(
                _set(("HyperParamters",), {}),
                "HyperParamters",
                "did you mean 'HyperParameters'?",
                id="typo-top-level",
            ),
            pytest.param(
                _set(("InputDataConfig", 1, "DataSource", "S3DataSource", "Foo"), 1),
                "InputDataConfig[1].DataSource.S3DataSource.Foo",
                "unknown member 'Foo'; S3DataSource has S3DataType",
                id="unknown-deep-member",
            ),
            pytest.param(
                _set(("AlgorithmSpecification", "TrainingInputMode"), "Files"),
                "AlgorithmSpecification.TrainingInputMode",
                "must be one of Pipe, File, FastFile (got 'Files'); did you mean 'File'?",
                id="enum",
            ),
            pytest.param(
                _set(("ResourceConfig", "InstanceType"), "ml.m5.xlargee"),
                "ResourceConfig.InstanceType",
                "did you mean 'ml.m5.xlarge'?",
                id="long-enum",
            ),
            pytest.param(
                _set(("TrainingJobName",), "x" * 64),
                "TrainingJobName",
                "must be at most 63 characters (got 64)",
                id="string-too-long",
            ),
            pytest.param(
                _set(("InputDataConfig", 0, "ChannelName"), ""),
                "InputDataConfig[0].ChannelName",
                "must be at least 1 character (got 0)",
                id="string-too-short",
            ),
            pytest.param(
                _set(("RetryStrategy", "MaximumRetryAttempts"), 31),
                "RetryStrategy.MaximumRetryAttempts",
                "must be at most 30 (got 31)",
                id="int-above-max",
            ),
            pytest.param(
                _set(("StoppingCondition", "MaxPendingTimeInSeconds"), 60),
                "StoppingCondition.MaxPendingTimeInSeconds",
                "must be at least 1800 (got 60)",
                id="int-below-min",
            ),
            pytest.param(
                _set(("ResourceConfig", "VolumeSizeInGB"), 2**31),
                "ResourceConfig.VolumeSizeInGB",
                "must be at most 2147483647",
                id="int32-overflow",
            ),
            pytest.param(
                _set(("ResourceConfig", "InstanceCount"), "1"),
                "ResourceConfig.InstanceCount",
                "must be an integer (got str)",
                id="wrong-type",
            ),
            pytest.param(
                _set(("ResourceConfig", "InstanceCount"), True),
                "ResourceConfig.InstanceCount",
                "must be an integer (got bool)",
                id="bool-is-not-int",
            ),
            pytest.param(
                _set(("ResourceConfig", "InstanceCount"), 1.0),
                "ResourceConfig.InstanceCount",
                "must be an integer (got float)",
                id="float-is-not-int",
            ),
            pytest.param(
                _set(("EnableNetworkIsolation",), 1),
                "EnableNetworkIsolation",
                "must be a boolean (got int)",
                id="int-is-not-bool",
            ),
            pytest.param(
                _set(("HyperParameters", "eta"), 0.1),
                "HyperParameters.eta",
                "must be a string (got float)",
                id="map-value-type",
            ),
            pytest.param(
                _drop(("OutputDataConfig", "S3OutputPath")),
                "OutputDataConfig.S3OutputPath",
                "required member missing",
                id="required-nested",
            ),
            pytest.param(
                _drop(("RoleArn",)),
                "RoleArn",
                "required member missing",
                id="required-top-level",
            ),
            pytest.param(
                _set(("Tags",), [{"Key": f"k{i}", "Value": "v"} for i in range(51)]),
                "Tags",
                "must have at most 50 items (got 51)",
                id="list-count",
            ),
            pytest.param(
                _set(("InputDataConfig",), []),
                "InputDataConfig",
                "must have at least 1 item (got 0)",
                id="list-min",
            ),
            pytest.param(
                _set(("ResourceConfig",), "ml.m5.xlarge"),
                "ResourceConfig",
                "must be a mapping (got str)",
                id="scalar-for-structure",
            ),
            pytest.param(
                _set(("Tags",), {"Key": "a", "Value": "b"}),
                "Tags",
                "must be a list (got dict)",
                id="dict-for-list",
            ),
            pytest.param(
                _set(("Environment",), {"1BAD": "x"}),
                "Environment.1BAD",
                "key must match pattern ^[a-zA-Z_][a-zA-Z0-9_]*$",
                id="map-key-pattern",
            ),
            pytest.param(
                _set(("RoleArn",), None),
                "RoleArn",
                "must be a string (got None)",
                id="none-value",
            ),
        ],
    )
    def test_broken_variant_is_caught(
        self, v: RequestValidator, change: Callable[[Request], None], field: str, expected: str
    ) -> None:
        """Each broken variant of the realistic request is reported at its field."""
        found = at(errors(v.validate(edit(change))), field)
        assert found, v.validate(edit(change))
        assert any(expected in f.message for f in found), found

    def test_all_problems_reported_at_once(self, v: RequestValidator) -> None:
        """Several problems in one request are all reported."""

        def change(r: Request) -> None:
            r["RoleArn"] = "bad"
            r["ResourceConfig"]["InstanceCount"] = -1
            r["Tags"][0]["Key"] = "a!"

        fields = {x.field for x in v.validate(edit(change))}
        assert {"RoleArn", "ResourceConfig.InstanceCount", "Tags[0].Key"} <= fields


class TestOtherShapeTypes:
    """Types CreateTrainingJob does not use, checked through other operations."""

    @pytest.mark.parametrize(
        ("weight", "expected"),
        [
            pytest.param(0.5, None, id="float"),
            pytest.param(1, None, id="int-is-a-number"),
            pytest.param(decimal.Decimal("0.5"), None, id="decimal"),
            pytest.param(-1.0, "must be at least 0 (got -1.0)", id="below-min"),
            pytest.param(float("nan"), "must be a finite number", id="nan"),
            pytest.param(decimal.Decimal("sNaN"), "must be a finite number", id="signaling-nan"),
            pytest.param(True, "must be a number (got bool)", id="bool"),
            pytest.param("0.5", "must be a number (got str)", id="string"),
        ],
    )
    def test_float(self, weight: object, expected: str | None) -> None:
        """Float members take int, float and Decimal, within the model's range."""
        v = other_validator("CreateEndpointConfig")
        request = {
            "EndpointConfigName": "x",
            "ProductionVariants": [{"VariantName": "a", "InitialVariantWeight": weight}],
        }
        found = v.validate(request)
        if expected is None:
            assert found == []
        else:
            assert [f.field for f in found] == ["ProductionVariants[0].InitialVariantWeight"]
            assert expected in found[0].message

    @pytest.mark.parametrize(
        ("when", "ok"),
        [
            pytest.param(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC), True, id="datetime"),
            pytest.param("2024-01-01T00:00:00Z", True, id="iso-string"),
            pytest.param("yesterday", False, id="not-a-time"),
            pytest.param([2024], False, id="list"),
        ],
    )
    def test_timestamp(self, when: object, ok: bool) -> None:
        """Timestamps take what botocore can serialise."""
        v = other_validator("ListTrainingJobs")
        assert (v.validate({"CreationTimeAfter": when}) == []) is ok


class TestJavaPatterns:
    @pytest.mark.parametrize(
        ("key", "ok"),
        [
            pytest.param("Größe", True, id="unicode-letters"),
            pytest.param("コスト", True, id="cjk-letters"),
            pytest.param("cost center:42", True, id="space-and-digits"),
            pytest.param("a!", False, id="punctuation-outside-class"),
            pytest.param("a\nb", False, id="newline"),
        ],
    )
    def test_tag_key_unicode_classes(self, v: RequestValidator, key: str, ok: bool) -> None:
        """TagKey's \\p{L}\\p{Z}\\p{N} pattern from the model is honoured."""
        request = edit(lambda r: r["Tags"].append({"Key": key, "Value": "v"}))
        assert (at(v.validate(request), "Tags[3].Key") == []) is ok

    def test_alnum_is_ascii_as_in_java(self) -> None:
        """\\p{Alnum} means [a-zA-Z0-9] in Java, not every Unicode letter."""
        pattern = compile_java_pattern(r"[\p{Alnum}\-]+")
        assert pattern is not None
        assert pattern.fullmatch("us-east-1")
        assert pattern.fullmatch("é") is None

    def test_patterns_match_the_whole_value(self) -> None:
        """A pattern must match all of the value, not a prefix of it."""
        pattern = compile_java_pattern("[a-z]+")
        assert pattern is not None
        assert pattern.fullmatch("abc")
        assert pattern.fullmatch("abc1") is None

    @pytest.mark.parametrize(
        "field",
        [
            pytest.param("RoleArn", id="role-arn"),
            pytest.param("TrainingJobName", id="job-name"),
        ],
    )
    def test_a_trailing_newline_breaks_the_pattern(self, v: RequestValidator, field: str) -> None:
        """Java's matches() is whole-input: a '$' pattern does not allow a final newline."""
        request = edit(lambda r: r.update({field: r[field] + "\n"}))
        (found,) = at(v.validate(request), field)
        assert found.message.startswith("must match pattern ^")
        assert found.message.endswith("(it contains a line break)")

    def test_dot_stops_at_java_line_terminators(self) -> None:
        """Java's '.' matches neither '\\r' nor '\\u2028'."""
        pattern = compile_java_pattern(".*")
        assert pattern is not None
        assert pattern.fullmatch("anything at all")
        assert pattern.fullmatch("a\rb") is None
        assert pattern.fullmatch("a\u2028b") is None

    def test_digit_shorthand_is_ascii(self) -> None:
        """Java's \\d is [0-9]: Arabic-Indic digits do not count."""
        pattern = compile_java_pattern(r"\d+")
        assert pattern is not None
        assert pattern.fullmatch("0123")
        assert pattern.fullmatch("\u0663") is None

    def test_surrogate_pair_ranges_become_astral_ranges(self) -> None:
        """UTF-16 surrogate ranges in a Java pattern cover characters beyond the BMP."""
        pattern = compile_java_pattern("[\\u0020-\\uD7FF\\uD800\\uDC00-\\uDBFF\\uDFFF]*")
        assert pattern is not None
        assert pattern.fullmatch("ok \U0001f600")

    def test_every_pattern_in_the_model_compiles(self, v: RequestValidator) -> None:
        """All patterns reachable from CreateTrainingJobRequest compile."""
        seen: set[str] = set()
        patterns: set[str] = set()

        def walk(shape: Any) -> None:
            if shape.name in seen:
                return
            seen.add(shape.name)
            if "pattern" in shape.metadata:
                patterns.add(shape.metadata["pattern"])
            for child in getattr(shape, "members", {}).values():
                walk(child)
            for attr in ("member", "key", "value"):
                if hasattr(shape, attr):
                    walk(getattr(shape, attr))

        walk(v.input_shape)
        assert patterns
        assert [p for p in patterns if compile_java_pattern(p) is None] == []


class TestManagedSpot:
    def test_spot_without_max_wait(self, v: RequestValidator) -> None:
        """Managed spot needs MaxWaitTimeInSeconds."""
        request = edit(_drop(("StoppingCondition", "MaxWaitTimeInSeconds")))
        found = at(v.validate(request), "StoppingCondition.MaxWaitTimeInSeconds")
        assert [f.message for f in found] == ["required when EnableManagedSpotTraining is true"]

    def test_max_wait_below_max_runtime(self, v: RequestValidator) -> None:
        """MaxWaitTimeInSeconds must be at least MaxRuntimeInSeconds under managed spot."""
        request = edit(_set(("StoppingCondition", "MaxWaitTimeInSeconds"), 1800))
        found = at(v.validate(request), "StoppingCondition.MaxWaitTimeInSeconds")
        assert len(found) == 1
        assert "must be at least MaxRuntimeInSeconds (3600)" in found[0].message
        assert "(got 1800)" in found[0].message

    def test_equal_wait_and_runtime_is_fine(self, v: RequestValidator) -> None:
        """MaxWait equal to MaxRuntime is allowed."""
        request = edit(_set(("StoppingCondition", "MaxWaitTimeInSeconds"), 3600))
        assert v.validate(request) == []

    def test_rule_is_off_without_spot(self, v: RequestValidator) -> None:
        """Without managed spot, MaxWaitTimeInSeconds is not required."""

        def change(r: Request) -> None:
            r["EnableManagedSpotTraining"] = False
            del r["StoppingCondition"]["MaxWaitTimeInSeconds"]

        assert v.validate(edit(change)) == []

    def test_spot_without_stopping_condition(self, v: RequestValidator) -> None:
        """Managed spot without any StoppingCondition is reported, not crashed on."""
        request = edit(_drop(("StoppingCondition",)))
        assert at(v.validate(request), "StoppingCondition.MaxWaitTimeInSeconds")


class TestServiceRules:
    def test_a_single_type_needs_an_instance(self, v: RequestValidator) -> None:
        """The model allows InstanceCount 0 (for instance groups); SageMaker does not
        with one InstanceType, and the planner says so before anything is sent."""
        request = edit(_set(("ResourceConfig", "InstanceCount"), 0))
        found = at(v.validate(request), "ResourceConfig.InstanceCount")
        assert [f.message for f in found] == [
            "must be at least 1 with ResourceConfig.InstanceType (got 0)"
        ]
        assert at(v.spot_problems(request), "ResourceConfig.InstanceCount") == found

    def test_model_violations_carry_the_service_wording(self, v: RequestValidator) -> None:
        request = edit(_set(("ResourceConfig", "InstanceType"), "ml.bogus.huge"))
        (found,) = at(v.validate(request), "ResourceConfig.InstanceType")
        assert found.constraint.startswith("Member must satisfy enum value set: [")
        request = edit(_drop(("RoleArn",)))
        (found,) = at(v.validate(request), "RoleArn")
        assert found.constraint == "Member must not be null"


class TestCredentials:
    def test_access_key_id_in_hyperparameters_is_an_error(self, v: RequestValidator) -> None:
        """An access key id in a hyperparameter is refused, masked, at the key's field."""
        request = edit(_set(("HyperParameters", "aws_key"), ACCESS_KEY_ID))
        found = at(v.validate(request), "HyperParameters.aws_key")
        assert len(found) == 1
        assert found[0].severity == "error"
        assert "looks like an AWS access key id (AKIA************MPLE)" in found[0].message
        assert "SageMaker rejects credentials in hyperparameters" in found[0].message
        assert ACCESS_KEY_ID not in found[0].message

    def test_access_key_id_in_environment_is_a_warning(self, v: RequestValidator) -> None:
        """The same finding in Environment is a warning."""
        request = edit(_set(("Environment", "AWS_ACCESS_KEY_ID"), ACCESS_KEY_ID))
        found = at(v.validate(request), "Environment.AWS_ACCESS_KEY_ID")
        assert [f.severity for f in found] == ["warning"]
        assert errors(v.validate(request)) == []

    @pytest.mark.parametrize(
        ("key", "value", "kind"),
        [
            pytest.param("creds", SECRET_ACCESS_KEY, "AWS secret access key", id="secret-key"),
            pytest.param(
                "aws_secret_access_key",
                "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY12",
                "AWS secret access key",
                id="secret-key-no-symbols-named",
            ),
            pytest.param(
                "key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow...", "private key", id="pem"
            ),
            pytest.param(
                "key",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blb...",
                "private key",
                id="openssh-pem",
            ),
            pytest.param("args", "--user bob password=hunter2xyz", "'password='", id="password"),
            pytest.param("url", "db?user=x&token=abcdef123456", "'token='", id="token"),
            pytest.param("db_password", "hunter2xyz", "credential", id="named-password"),
            pytest.param("hf_token", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz", "credential", id="hf"),
            pytest.param("embedded", f"id={ACCESS_KEY_ID};", "access key id", id="embedded"),
        ],
    )
    def test_credential_shapes_are_found(self, key: str, value: str, kind: str) -> None:
        """Each credential shape is recognised and its message hides the value."""
        found = scan(key, value)
        assert found, (key, value)
        assert kind in found[0].kind
        assert value not in found[0].masked

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            pytest.param("sha", "da39a3ee5e6b4b0d3255bfef95601890afd80709", id="sha1-hex"),
            pytest.param("uuid", "123e4567-e89b-12d3-a456-426614174000", id="uuid"),
            pytest.param("data", "s3://mybucket/Data2023/TrainSetImages/abcdefgh", id="s3-uri"),
            pytest.param("path", "s3://bucket/TrainingData2023/Images/Part0001/x.csv", id="s3-key"),
            pytest.param("name", "ThisIsAVeryLongCamelCaseIdentifierName12", id="camel-case"),
            pytest.param("b64", "U29tZSBvcmRpbmFyeSB0ZXh0IGhlcmUgb2sgeWVz", id="plain-base64"),
            pytest.param("max_token", "max_token=512", id="numeric-token-setting"),
            pytest.param("pad_token", "<|begin_of_text|>", id="tokenizer-token"),
            pytest.param(
                "secret", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db", id="arn"
            ),
            pytest.param("use_secret", "true", id="boolean-flag"),
            pytest.param("objective", "binary:logistic", id="objective"),
            pytest.param("eta", "0.1", id="number"),
            pytest.param("image", "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1", id="ecr"),
        ],
    )
    def test_ordinary_values_are_not_flagged(self, key: str, value: str) -> None:
        """Hashes, URIs, identifiers and settings are not mistaken for credentials."""
        assert scan(key, value) == []

    @pytest.mark.parametrize(
        ("secret", "masked"),
        [
            pytest.param(ACCESS_KEY_ID, "AKIA************MPLE", id="long"),
            pytest.param("hunter2xyz", "hu******yz", id="medium"),
            pytest.param("short", "*****", id="short"),
        ],
    )
    def test_mask_shows_at_most_four_each_side(self, secret: str, masked: str) -> None:
        """Masking keeps at most the first and last four characters."""
        assert mask(secret) == masked


class TestCheckPath:
    @pytest.mark.parametrize(
        ("path", "kind"),
        [
            pytest.param("HyperParameters.eta", "string", id="map-key"),
            pytest.param("HyperParameters.model.lr", "string", id="map-key-with-dot"),
            pytest.param("ResourceConfig.InstanceType", "string", id="member"),
            pytest.param("ResourceConfig.InstanceCount", "integer", id="integer"),
            pytest.param(
                "InputDataConfig[0].DataSource.S3DataSource.S3Uri", "string", id="list-index"
            ),
            pytest.param("EnableManagedSpotTraining", "boolean", id="boolean"),
            pytest.param("Tags[3]", "structure", id="structure"),
            pytest.param("ShuffleConfig", None, id="not-top-level"),
        ],
    )
    def test_model_kind(self, v: RequestValidator, path: str, kind: str | None) -> None:
        """A path the model types is accepted; a path it does not type is refused."""
        assert model_kind(v.input_shape, path) == kind
        assert (v.check_path(path) is None) is (kind is not None)

    @pytest.mark.parametrize(
        ("path", "expected"),
        [
            pytest.param(
                "ResourceConfig.InstanceTyp",
                "unknown member 'ResourceConfig.InstanceTyp'; did you mean 'InstanceType'?",
                id="typo",
            ),
            pytest.param(
                "Resourceconfig.InstanceType",
                "unknown member 'Resourceconfig'; did you mean 'ResourceConfig'?",
                id="case-typo",
            ),
            pytest.param("ResourceConfig[0].InstanceType", "not a list", id="index-on-structure"),
            pytest.param("HyperParameters[0]", None, id="index-inside-map-key"),
            pytest.param("InputDataConfig[20].ChannelName", "out of range", id="index-too-big"),
            pytest.param(
                "InputDataConfig.ChannelName", "InputDataConfig[0].ChannelName", id="no-index"
            ),
            pytest.param("InputDataConfig[x]", "malformed index", id="bad-index"),
            pytest.param("RoleArn.Foo", "is a string: it has no member 'Foo'", id="past-leaf"),
            pytest.param("", "empty", id="empty"),
            pytest.param("ResourceConfig.Zzz", "ResourceConfig has InstanceType", id="no-match"),
        ],
    )
    def test_problems(self, v: RequestValidator, path: str, expected: str | None) -> None:
        """A path the model does not allow gets a one-line reason."""
        problem = v.check_path(path)
        if expected is None:
            assert problem is None
        else:
            assert problem is not None
            assert expected in problem
            assert "\n" not in problem


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=50)
    | st.binary(max_size=10),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=20), children, max_size=5)
    ),
    max_leaves=30,
)
member_names = st.sampled_from(
    [
        "TrainingJobName",
        "RoleArn",
        "HyperParameters",
        "Environment",
        "ResourceConfig",
        "StoppingCondition",
        "EnableManagedSpotTraining",
        "InputDataConfig",
        "Tags",
        "AlgorithmSpecification",
        "Unknown",
    ]
)


class TestRobustness:
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.one_of(json_values, st.dictionaries(member_names, json_values, max_size=8)))
    def test_never_raises(self, request_like: Any) -> None:
        """Any JSON-like input yields one-line Violations, never an exception nor a crash."""
        with capture_logs() as logs:
            found = validator().validate(request_like)
            if isinstance(request_like, dict):
                validator().valid_members(request_like)
        # validate() turns any exception into a problem: a crash shows only as that one.
        assert not [e for e in logs if e["event"] == "validate.internal_error"]
        assert not [v for v in found if v.field == "" and "cannot be validated" in v.message]
        assert isinstance(found, list)
        for violation in found:
            assert isinstance(violation, Violation)
            assert "\n" not in violation.message
            assert "\r" not in violation.message
            assert "\n" not in violation.field

    @settings(max_examples=200, deadline=None)
    @given(st.text(max_size=60))
    def test_check_path_never_raises(self, path: str) -> None:
        """check_path answers None or one line for any text."""
        problem = validator().check_path(path)
        assert problem is None or "\n" not in problem

    def test_every_message_is_one_line(self, v: RequestValidator) -> None:
        """A request broken in every way still reports one line per problem."""

        def change(r: Request) -> None:
            loose: dict[Any, Any] = r
            loose["RoleArn"] = "x\ny"
            loose["Weird\nKey"] = 1
            loose[7] = "int key"
            r["HyperParameters"] = {
                "multi\nline": "-----BEGIN RSA PRIVATE KEY-----\nabc",
                "k": ACCESS_KEY_ID,
                3: "x",
            }
            r["Environment"] = {"A": SECRET_ACCESS_KEY, "bad key\n": "v"}
            r["ResourceConfig"]["InstanceType"] = "ml.\nbogus"
            r["Tags"] = "not a list"
            r["StoppingCondition"] = {"MaxRuntimeInSeconds": float("nan")}

        found = v.validate(edit(change))
        assert len(found) >= 8
        for violation in found:
            assert "\n" not in violation.message, violation
            assert "\n" not in violation.field, violation

    def test_exotic_mapping_does_not_raise(self, v: RequestValidator) -> None:
        """A mapping that fails while being read is reported, not raised."""

        class Broken(dict[str, Any]):
            def items(self) -> Any:
                raise RuntimeError("boom")

        found = v.validate(Broken(RoleArn="x"))
        assert found
        assert "cannot be validated" in found[-1].message

    def test_a_failure_inside_the_validator_is_reported_and_logged(
        self, v: RequestValidator
    ) -> None:
        """The catch-all says the validator failed, and logs the exception's type."""

        class Broken(dict[str, Any]):
            def items(self) -> Any:
                raise RuntimeError("boom")

        with capture_logs() as logs:
            found = v.validate(Broken(RoleArn="x"))
        assert found[-1].field == ""
        assert "internal error" in found[-1].message
        assert "RuntimeError('boom')" in found[-1].message
        events = [e for e in logs if e["event"] == "validate.internal_error"]
        assert [e["error"] for e in events] == ["RuntimeError"]

    def test_a_member_that_fails_to_check_is_logged(self, v: RequestValidator) -> None:
        """valid_members leaves a failing member to validate(), but not silently."""

        class Broken(dict[str, Any]):
            def items(self) -> Any:
                raise RuntimeError("boom")

        with capture_logs() as logs:
            role = realistic_request()["RoleArn"]
            known = v.valid_members({"RoleArn": role, "HyperParameters": Broken(a="1")})
        assert set(known) == {"RoleArn"}
        events = [e for e in logs if e["event"] == "validate.internal_error"]
        assert [(e["member"], e["error"]) for e in events] == [("HyperParameters", "RuntimeError")]

    def test_input_is_not_modified(self, v: RequestValidator) -> None:
        """Validation never changes the request it is given."""
        request = edit(_set(("RoleArn",), "bad"))
        before = copy.deepcopy(request)
        v.validate(request)
        assert request == before


class TestKnownMembers:
    def test_valid_members_lists_only_members_valid_on_their_own(self, v: RequestValidator) -> None:
        """A member with a violation is not offered for skipping."""
        request = realistic_request()
        request["ResourceConfig"] = {**request["ResourceConfig"], "InstanceType": "ml.nope"}
        known = v.valid_members(request)
        assert "ResourceConfig" not in known
        assert known["RoleArn"] is request["RoleArn"]

    def test_known_member_objects_are_skipped_and_equal_copies_are_not(
        self, v: RequestValidator
    ) -> None:
        """Skipping is by identity: a copy of a known object is checked again."""
        request = realistic_request()
        bad = {**request["ResourceConfig"], "InstanceType": "ml.nope"}
        request["ResourceConfig"] = bad
        assert (
            at(v.validate(request, known={"ResourceConfig": bad}), "ResourceConfig.InstanceType")
            == []
        )
        copied = dict(bad)
        request["ResourceConfig"] = copied
        found = v.validate(request, known={"ResourceConfig": bad})
        assert at(found, "ResourceConfig.InstanceType")
