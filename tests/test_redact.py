"""Secrets are masked wherever sagesweep prints or records a request (docs: redact module).

Token-shaped test values are assembled at run time so that no file of this repository
holds something a secret scanner would flag.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from typing import Any

import pytest
import structlog
import yaml
from click.testing import CliRunner
from structlog.testing import capture_logs

from sagesweep.cli import main
from sagesweep.commands.submit import submit
from sagesweep.errors import Problem
from sagesweep.ledger import Ledger
from sagesweep.logs import LogFormat, configure_logging
from sagesweep.mock import MockServer
from sagesweep.planning.planner import JobSpec
from sagesweep.redaction.redact import MASK, redact_params, redact_request, secret_values
from sagesweep.redaction.secrets import redact_text, scan
from sagesweep.submitting.engine import Engine, EngineSettings
from sagesweep.submitting.pacing import AdaptiveRate, Backoff

GITHUB = "gh" + "p_" + "Zq3x" * 9
GITHUB_OAUTH = "gh" + "o_" + "Lm9T" * 9
GITHUB_SERVER = "gh" + "s_" + "Wd2K" * 9
GITHUB_PAT = "github" + "_pat_" + "11AAAAAAA0" + "x" * 12 + "_" + "Yb7Q" * 15
SLACK = "xo" + "xb-" + "1234567890" + "-" + "AbCdEfGhIjKl"
SLACK_USER = "xo" + "xp-" + "1234567890" + "-" + "9876543210-QwErTy"
JWT = "ey" + "JhbGciOiJIUzI1NiJ9" + ".ey" + "JzdWIiOiIxMjM0In0" + "." + "c2lnbmF0dXJlLWJ5dGVz"
PRIVATE_KEY = (
    "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA7b\n-----END RSA PRIVATE KEY-----"
)
PASSWORD = "Hunter2Hunter2xyz"  # no shape: a secret only because of where it is
ENV_TOKEN = "tok3n-Zx81Qw77LmN0"
SECRETS = (GITHUB, SLACK, JWT, PASSWORD, ENV_TOKEN)

TEMPLATE: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
    "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    "HyperParameters": {"objective": "binary:logistic"},
    "Environment": {"DB_PASSWORD": PASSWORD, "MODE": "fast"},
    "Tags": [{"Key": "db_password", "Value": "placeholder"}, {"Key": "team", "Value": "churn"}],
}


def secret_sweep(tmp_path: Path) -> Path:
    """Secrets in the template's Environment, a swept Environment value, swept tag values."""
    doc = {
        "sweep": "sec",
        "template": TEMPLATE,
        "parameters": {
            "Environment.API_TOKEN": {"values": [ENV_TOKEN]},
            "Tags[0].Value": {"values": [PASSWORD]},
            "Tags[1].Value": {"values": [GITHUB, SLACK, JWT]},
            "HyperParameters.eta": {"values": [0.1]},
        },
    }
    path = tmp_path / "sec.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, secret


class TestTokenShapes:
    @pytest.mark.parametrize(
        ("value", "kind"),
        [
            pytest.param(GITHUB, "GitHub token", id="ghp"),
            pytest.param(GITHUB_OAUTH, "GitHub token", id="gho"),
            pytest.param(GITHUB_SERVER, "GitHub token", id="ghs"),
            pytest.param(GITHUB_PAT, "GitHub token", id="github-pat"),
            pytest.param(f"--auth {GITHUB}", "GitHub token", id="ghp-embedded"),
            pytest.param(SLACK, "Slack token", id="xoxb"),
            pytest.param(SLACK_USER, "Slack token", id="xoxp"),
            pytest.param(JWT, "JSON Web Token", id="jwt"),
            pytest.param(f"Bearer {JWT}", "JSON Web Token", id="bearer-jwt"),
            pytest.param(PRIVATE_KEY, "private key", id="private-key"),
        ],
    )
    def test_found_under_any_key(self, value: str, kind: str) -> None:
        """Common token shapes are flagged whatever the key is called, and masked."""
        (finding,) = scan("opts", value)
        assert kind in finding.kind
        assert value not in finding.masked

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param("gh" + "p_short", id="short-ghp"),
            pytest.param("gh_pages_branch_name_that_is_long", id="gh-pages"),
            pytest.param("xoxo-hugs-and-kisses-forever", id="xoxo"),
            pytest.param("eyJ-not-a-token-at-all", id="eyJ-word"),
            pytest.param("eyJhbGciOiJIUzI1NiJ9", id="jwt-header-only"),
        ],
    )
    def test_lookalikes_are_not_flagged(self, value: str) -> None:
        """Near misses of the shapes are ordinary values."""
        assert scan("opts", value) == []


class TestRedactText:
    @pytest.mark.parametrize(
        "secret",
        [
            pytest.param(GITHUB, id="github"),
            pytest.param(SLACK, id="slack"),
            pytest.param(JWT, id="jwt"),
            pytest.param("AKIA" + "IOSFODNN7EXAMPLE", id="access-key-id"),
        ],
    )
    def test_token_shapes_in_free_text_are_masked(self, secret: str) -> None:
        """A token inside a sentence is masked; the sentence stays."""
        text = redact_text(f"Value '{secret}' at 'hyperParameters' failed to satisfy")
        assert secret not in text
        assert text.startswith("Value '")
        assert text.endswith("' failed to satisfy")

    def test_private_key_body_is_masked(self) -> None:
        """A private key block keeps its armour lines; its body is hidden."""
        text = redact_text(f"key: {PRIVATE_KEY}")
        assert "MIIEowIBAAKCAQEA7b" not in text
        assert "-----BEGIN RSA PRIVATE KEY-----" in text

    def test_assignments_are_masked(self) -> None:
        """`password=...` in free text keeps its name and hides its value."""
        text = redact_text("connect with password=hunter2xyz now")
        assert "hunter2xyz" not in text
        assert "password=" in text

    def test_known_secrets_are_masked(self) -> None:
        """Values known to be secret are masked wherever they appear; trivial ones are not."""
        text = redact_text(f"env {PASSWORD} and mode fast", known=(PASSWORD, "fast"))
        assert PASSWORD not in text
        assert text.endswith("mode fast")

    def test_ordinary_text_is_unchanged(self) -> None:
        """Text without secrets comes back as it was."""
        text = "ValidationException: 1 validation error detected: RoleArn"
        assert redact_text(text) == text


class TestRedactRequest:
    def test_the_rule(self) -> None:
        """Environment values always; flagged hyperparameter and tag values; nothing else."""
        request: dict[str, Any] = {
            "RoleArn": "arn:aws:iam::1:role/R",
            "Environment": {"DB_PASSWORD": PASSWORD, "MODE": "fast"},
            "HyperParameters": {"eta": "0.1", "auth": GITHUB},
            "Tags": [
                {"Key": "db_password", "Value": PASSWORD},
                {"Key": "team", "Value": "churn"},
                {"Key": "ci", "Value": SLACK},
            ],
        }
        assert redact_request(request) == {
            "RoleArn": "arn:aws:iam::1:role/R",
            "Environment": {"DB_PASSWORD": MASK, "MODE": MASK},
            "HyperParameters": {"eta": "0.1", "auth": MASK},
            "Tags": [
                {"Key": "db_password", "Value": MASK},
                {"Key": "team", "Value": "churn"},
                {"Key": "ci", "Value": MASK},
            ],
        }
        assert request["Environment"]["DB_PASSWORD"] == PASSWORD  # the original is untouched

    def test_nothing_to_mask_is_the_same_object(self) -> None:
        """A request without secrets is returned as is (no copy per job)."""
        request = {"HyperParameters": {"eta": "0.1"}, "Tags": [{"Key": "a", "Value": "b"}]}
        assert redact_request(request) is request

    def test_secret_values(self) -> None:
        """The secret strings of a request, for masking free text about it."""
        request = {"Environment": {"A": PASSWORD}, "Tags": [{"Key": "ci", "Value": SLACK}]}
        assert set(secret_values(request)) == {PASSWORD, SLACK}


class TestRedactParams:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            pytest.param(
                {"Environment.MODE": "fast"}, {"Environment.MODE": MASK}, id="environment"
            ),
            pytest.param(
                {"HyperParameters.db_password": PASSWORD},
                {"HyperParameters.db_password": MASK},
                id="named-hyperparameter",
            ),
            pytest.param(
                {"HyperParameters.auth": GITHUB}, {"HyperParameters.auth": MASK}, id="token"
            ),
            pytest.param({"Tags[2].Value": JWT}, {"Tags[2].Value": MASK}, id="tag-shape"),
            pytest.param(
                {"Tags": [{"Key": "api_key", "Value": PASSWORD}]},
                {"Tags": [{"Key": "api_key", "Value": MASK}]},
                id="whole-tags",
            ),
            pytest.param(
                {"HyperParameters.eta": 0.1, "ResourceConfig.InstanceType": "ml.c5.xlarge"},
                {"HyperParameters.eta": 0.1, "ResourceConfig.InstanceType": "ml.c5.xlarge"},
                id="ordinary",
            ),
        ],
    )
    def test_without_the_request(self, params: dict[str, Any], expected: dict[str, Any]) -> None:
        """From the params alone: Environment, and whatever the scan flags by key or shape."""
        assert redact_params(params) == expected

    def test_a_tag_value_is_judged_by_its_key_in_the_request(self) -> None:
        """A swept tag value is a secret when the tag's Key (in the template) says so."""
        request = {"Tags": [{"Key": "db_password", "Value": PASSWORD}]}
        assert redact_params({"Tags[0].Value": PASSWORD}) == {"Tags[0].Value": PASSWORD}
        assert redact_params({"Tags[0].Value": PASSWORD}, request) == {"Tags[0].Value": MASK}


class TestEveryOutput:
    def test_plan_table(self, tmp_path: Path) -> None:
        """The plan table and its warnings show no secret; masked cells say ***."""
        result = CliRunner().invoke(main, ["plan", str(secret_sweep(tmp_path))])
        assert result.exit_code == 0, result.stderr
        assert_no_secret(result.stdout + result.stderr)
        assert MASK in result.stdout
        assert "0.1" in result.stdout  # ordinary values are still shown

    def test_plan_jsonl(self, tmp_path: Path) -> None:
        """jsonl masks Environment values and flagged tags in params and request alike."""
        result = CliRunner().invoke(
            main, ["plan", str(secret_sweep(tmp_path)), "--format", "jsonl"]
        )
        assert result.exit_code == 0, result.stderr
        assert_no_secret(result.stdout + result.stderr)
        first = json.loads(result.stdout.splitlines()[0])
        assert first["request"]["Environment"] == {
            "DB_PASSWORD": MASK,
            "MODE": MASK,
            "API_TOKEN": MASK,
        }
        assert first["params"]["Environment.API_TOKEN"] == MASK
        assert first["request"]["Tags"][0] == {"Key": "db_password", "Value": MASK}
        assert first["request"]["HyperParameters"]["eta"] == "0.1"

    def test_tag_values_are_warned_about(self, tmp_path: Path) -> None:
        """A credential in a tag value is a warning naming the tag's field."""
        result = CliRunner().invoke(main, ["plan", str(secret_sweep(tmp_path))])
        assert "Tags[0].Value: looks like a credential" in result.stderr
        assert "Tags[1].Value: looks like a GitHub token" in result.stderr

    @pytest.mark.parametrize("log_format", [pytest.param("json"), pytest.param("console")])
    def test_submit_logs_and_ledger(
        self, tmp_path: Path, mock_server: MockServer, log_format: str
    ) -> None:
        """Submitting prints and records no secret: logs (both formats) and the ledger."""
        sweep = secret_sweep(tmp_path)
        ledger = tmp_path / "sec.ledger.jsonl"
        args = ["submit", str(sweep), "--endpoint-url", mock_server.url, "--ledger", str(ledger)]
        result = CliRunner().invoke(main, [*args, "--log-format", log_format])
        assert result.exit_code == 0, result.stderr
        assert_no_secret(result.stdout + result.stderr)
        assert_no_secret(ledger.read_text())
        records = [json.loads(line) for line in ledger.read_text().splitlines()]
        jobs = [r for r in records if r["event"] == "job"]
        assert len(jobs) == 3
        assert {r["params"]["Tags[0].Value"] for r in jobs} == {MASK}
        assert {r["params"]["Tags[1].Value"] for r in jobs} == {MASK}

    async def test_an_aws_error_that_echoes_a_secret(self, tmp_path: Path) -> None:
        """An AWS message quoting the request is masked in the log event and the ledger."""
        from botocore.exceptions import ClientError

        request = {"TrainingJobName": "t-1", "Environment": {"DB_PASSWORD": PASSWORD}}
        spec = JobSpec("t-1", "d1", {"Environment.DB_PASSWORD": PASSWORD}, request, 0)

        class Refusing:
            async def create_training_job(self, **_: Any) -> dict[str, Any]:
                message = f"Value {PASSWORD} with {GITHUB} failed to satisfy constraint"
                raise ClientError(
                    {"Error": {"Code": "ValidationException", "Message": message}},
                    "CreateTrainingJob",
                )

        ledger_path = tmp_path / "l.jsonl"
        with capture_logs() as logs:
            async with Ledger.open(ledger_path, sweep="t", tool_version="x") as book:
                engine = Engine(
                    Refusing(),  # type: ignore[arg-type]
                    book,
                    limiter=AdaptiveRate(rate=1000, burst=1000),
                    settings=EngineSettings(concurrency=1),
                    backoff=Backoff(base=0.001, cap=0.002),
                    rng=random.Random(1),
                )
                await engine.run(iter([spec]))
        (failed,) = [e for e in logs if e["event"] == "engine.job_failed"]
        assert_no_secret(json.dumps(failed))
        assert "failed to satisfy constraint" in failed["message"]
        assert_no_secret(ledger_path.read_text())

    @pytest.mark.parametrize("fmt", [pytest.param("json"), pytest.param("console")])
    def test_log_events_mask_token_shapes(self, fmt: LogFormat) -> None:
        """Whatever an event carries, its rendered line holds no token."""
        stream = io.StringIO()
        configure_logging(fmt, stream=stream)
        try:
            structlog.get_logger("t").warning("t.event", detail=f"auth {GITHUB} / {JWT}")
        finally:
            configure_logging()
        assert "t.event" in stream.getvalue()
        assert_no_secret(stream.getvalue())

    def test_error_lines(self, tmp_path: Path) -> None:
        """Error lines never echo a secret: not a token, not an Environment value."""
        doc = {
            "sweep": "sec",
            "template": {**TEMPLATE, "HyperParameters": {"auth": GITHUB}},
            "parameters": {"Environment.DB_PASSWORD": PASSWORD, "HyperParameters.x": SLACK},
        }
        path = tmp_path / "bad.yaml"
        path.write_text(yaml.safe_dump(doc))
        result = CliRunner().invoke(main, ["plan", str(path)])
        assert result.exit_code == 2
        assert_no_secret(result.stdout + result.stderr)
        assert "Environment.DB_PASSWORD: a bare value" in result.stderr

    def test_problem_lines_mask_quoted_values_of_secret_fields(self) -> None:
        """A problem about an Environment value shows '***' for any quoted value in it."""
        line = str(Problem("s.yaml", "Environment.DB_PASSWORD", "", f"bad value {PASSWORD!r}"))
        assert line == "s.yaml: Environment.DB_PASSWORD: bad value '***'"

    async def test_python_api_summary_warnings(self, tmp_path: Path) -> None:
        """The API's Summary carries the same masked warnings."""
        summary = await submit(secret_sweep(tmp_path), mock=True, rate=500)
        assert summary.warnings
        assert_no_secret("\n".join(summary.warnings))
