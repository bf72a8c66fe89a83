"""Specification of `sagesweep plan` (docs/cli.md), through click and as a real process."""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.session import get_session
from botocore.validate import ParamValidator
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from sagesweep.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = sorted((ROOT / "configs").glob("*.yaml"))
SAGESWEEP = Path(sys.executable).parent / "sagesweep"
NAME_RE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")

VALID: dict[str, Any] = {
    "sweep": "broken",
    "template": {
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "AlgorithmSpecification": {
            "TrainingImage": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1",
            "TrainingInputMode": "File",
        },
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/{sweep}/"},
        "ResourceConfig": {
            "InstanceType": "ml.m5.xlarge",
            "InstanceCount": 1,
            "VolumeSizeInGB": 10,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        "HyperParameters": {"objective": "binary:logistic"},
    },
    "parameters": {"HyperParameters.eta": {"values": [0.1, 0.2, 0.3]}},
}


def plan(*args: str | Path) -> Result:
    return CliRunner().invoke(main, ["plan", *map(str, args)])


@functools.cache
def planned(config: Path) -> Result:
    """The jsonl plan of a shipped config, computed once per test session."""
    return plan(config, "--format", "jsonl")


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def write_yaml(tmp_path: Path, doc: dict[str, Any], name: str = "sweep.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def create_training_job_shape() -> Any:
    model = get_session().get_service_model("sagemaker")
    return model.operation_model("CreateTrainingJob").input_shape


@pytest.mark.parametrize("config", [pytest.param(p, id=p.name) for p in CONFIGS])
class TestShippedConfigs:
    def test_plans_cleanly(self, config: Path) -> None:
        """Every shipped sweep file plans with exit code 0; the summary goes to stderr."""
        result = planned(config)
        assert result.exit_code == 0, result.stderr
        jobs = jsonl(result.stdout)
        assert jobs
        assert "jobs planned" in result.stderr
        assert "jobs planned" not in result.stdout

    def test_names_are_valid_and_unique(self, config: Path) -> None:
        """Every name matches the SageMaker pattern, fits 51 chars, and is unique."""
        jobs = jsonl(planned(config).stdout)
        names = [job["name"] for job in jobs]
        assert all(NAME_RE.fullmatch(n) and len(n) <= 51 for n in names)
        assert len(set(names)) == len(names)
        for job in jobs:
            assert set(job) == {"name", "digest", "params", "request"}
            assert job["request"]["TrainingJobName"] == job["name"]
            assert job["name"].endswith("-" + job["digest"])

    def test_requests_pass_botocores_own_validator(
        self, config: Path, create_training_job_shape: Any
    ) -> None:
        """Every planned request passes botocore's ParamValidator for CreateTrainingJob."""
        validator = ParamValidator()
        for job in jsonl(planned(config).stdout):
            report = validator.validate(job["request"], create_training_job_shape)
            assert not report.has_errors(), report.generate_report()

    def test_table(self, config: Path) -> None:
        """The table format prints the summary and a preview of the first jobs."""
        result = plan(config)
        assert result.exit_code == 0, result.stderr
        assert "jobs planned" in result.stdout
        first = jsonl(planned(config).stdout)[0]["name"]
        assert first in result.stdout


class TestOptions:
    def test_limit_jsonl(self) -> None:
        """--limit N prints the first N jobs of the full plan."""
        config = ROOT / "configs" / "demo.yaml"
        everything = planned(config).stdout.splitlines()
        result = plan(config, "--format", "jsonl", "--limit", "3")
        assert result.exit_code == 0
        assert result.stdout.splitlines() == everything[:3]
        assert f"{len(everything)} jobs planned" in result.stderr

    def test_limit_table(self) -> None:
        """--limit N bounds the table preview."""
        config = ROOT / "configs" / "demo.yaml"
        names = [j["name"] for j in jsonl(planned(config).stdout)]
        result = plan(config, "--limit", "2")
        assert result.exit_code == 0
        assert names[0] in result.stdout
        assert names[1] in result.stdout
        assert names[2] not in result.stdout
        assert "first 2 of 12" in result.stdout

    def test_a_preview_value_is_never_folded(self, tmp_path: Path) -> None:
        """Each job is one line of the table, its values whole, however many columns."""
        doc = copy.deepcopy(VALID)
        doc["method"], doc["count"] = "random", 4
        doc["parameters"] = {
            f"HyperParameters.p{i}": {"distribution": "uniform", "min": 0.1, "max": 0.9}
            for i in range(8)
        }
        path = tmp_path / "wide.json"
        path.write_text(json.dumps(doc))
        result = plan(path)
        assert result.exit_code == 0, result.output
        for job in jsonl(plan(path, "--format", "jsonl").stdout):
            (line,) = [row for row in result.stdout.splitlines() if job["name"] in row]
            for value in job["request"]["HyperParameters"].values():
                if value != "binary:logistic":
                    assert f" {value} " in line

    def test_max_jobs_option(self) -> None:
        """--max-jobs below the plan's size refuses it with exit code 2."""
        result = plan(ROOT / "configs" / "demo.yaml", "--max-jobs", "5")
        assert result.exit_code == 2
        assert "more than max_jobs 5" in result.stderr

    @pytest.mark.parametrize(
        "args",
        [
            pytest.param(["--format", "xml"], id="bad-format"),
            pytest.param(["--limit", "-1"], id="negative-limit"),
            pytest.param(["--max-jobs", "0"], id="zero-max-jobs"),
        ],
    )
    def test_bad_options_are_usage_errors(self, args: list[str]) -> None:
        """Bad options exit 2."""
        assert plan(ROOT / "configs" / "demo.yaml", *args).exit_code == 2

    def test_missing_file(self, tmp_path: Path) -> None:
        """A sweep file that does not exist: exit 2 and one line."""
        result = plan(tmp_path / "nope.yaml")
        assert result.exit_code == 2
        assert result.stderr.strip().endswith("file not found: " + str(tmp_path / "nope.yaml"))


def _broken(mutate: Any) -> dict[str, Any]:
    doc = copy.deepcopy(VALID)
    mutate(doc)
    return doc


def _many_hyperparameters(doc: dict[str, Any]) -> None:
    doc["template"]["HyperParameters"] = {f"h{i}": str(i) for i in range(100)}


def _access_key(doc: dict[str, Any]) -> None:
    doc["template"]["HyperParameters"]["aws_key"] = "AKIA" + "ABCDEFGHIJKLMNOP"


def _bad_role(doc: dict[str, Any]) -> None:
    doc["template"]["RoleArn"] = "SageMakerRole"


def _spot_no_wait(doc: dict[str, Any]) -> None:
    doc["template"]["EnableManagedSpotTraining"] = True


def _typo_parameter(doc: dict[str, Any]) -> None:
    doc["parameters"]["ResourceConfig.InstanceTyp"] = {"values": ["ml.c5.xlarge"]}


def _typo_template(doc: dict[str, Any]) -> None:
    doc["template"]["ResourceConfig"]["InstanceTyp"] = "ml.c5.xlarge"


def _shared_checkpoint(doc: dict[str, Any]) -> None:
    doc["template"]["CheckpointConfig"] = {"S3Uri": "s3://bucket/ckpt/"}


def _tiny_q(doc: dict[str, Any]) -> None:
    doc["method"], doc["count"] = "random", 3
    doc["parameters"] = {
        "HyperParameters.eta": {"distribution": "uniform", "min": 0.1, "max": 0.3, "q": 1e-320}
    }


BROKEN = [
    pytest.param(_many_hyperparameters, ["HyperParameters", "101"], id="101-hyperparameters"),
    pytest.param(_access_key, ["HyperParameters.aws_key", "AKIA****"], id="access-key"),
    pytest.param(_bad_role, ["RoleArn"], id="bad-role-arn"),
    pytest.param(
        _spot_no_wait, ["StoppingCondition.MaxWaitTimeInSeconds"], id="spot-without-max-wait"
    ),
    pytest.param(_typo_parameter, ["InstanceTyp", "did you mean"], id="typo-in-parameters"),
    pytest.param(_typo_template, ["InstanceTyp", "did you mean"], id="typo-in-template"),
    pytest.param(_shared_checkpoint, ["CheckpointConfig.S3Uri", "shared"], id="shared-checkpoint"),
    pytest.param(_tiny_q, ["HyperParameters.eta", "q 1e-320 is too small"], id="tiny-q"),
]


class TestBrokenSweepFiles:
    @pytest.mark.parametrize(("mutate", "needles"), BROKEN)
    def test_exit_2_with_one_line_errors(
        self, tmp_path: Path, mutate: Any, needles: list[str]
    ) -> None:
        """A broken sweep file exits 2 with one-line errors naming the problem."""
        path = write_yaml(tmp_path, _broken(mutate))
        for fmt in ("jsonl", "table"):
            result = plan(path, "--format", fmt)
            assert result.exit_code == 2, (result.stdout, result.stderr)
            assert "Traceback" not in result.stdout + result.stderr
            assert result.exception is None or isinstance(result.exception, SystemExit)
            errors = [x for x in result.stderr.splitlines() if not x.startswith("warning")]
            assert errors
            assert all(line.startswith(f"{path}: ") for line in errors), errors
            for needle in needles:
                assert any(needle in line for line in errors), (needle, errors)

    def test_secret_value_is_masked(self, tmp_path: Path) -> None:
        """The refused credential is never echoed in full."""
        result = plan(write_yaml(tmp_path, _broken(_access_key)))
        assert "AKIA" + "ABCDEFGHIJKLMNOP" not in result.stdout + result.stderr

    def test_yaml_syntax_error(self, tmp_path: Path) -> None:
        """A YAML syntax error: exit 2, one line with the file, line and column."""
        path = tmp_path / "sweep.yaml"
        path.write_text("sweep: s\ntemplate: {RoleArn: [\n")
        result = plan(path)
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"{path}: invalid YAML: line ")
        assert "Traceback" not in result.stderr

    def test_all_problems_at_once(self, tmp_path: Path) -> None:
        """Several different problems are reported together."""

        def everything(doc: dict[str, Any]) -> None:
            _bad_role(doc)
            _spot_no_wait(doc)
            _access_key(doc)

        result = plan(write_yaml(tmp_path, _broken(everything)))
        assert result.exit_code == 2
        text = result.stderr
        assert "RoleArn" in text
        assert "MaxWaitTimeInSeconds" in text
        assert "aws_key" in text


def run_cli(*args: str, hashseed: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    return subprocess.run(
        [str(SAGESWEEP), *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


class TestRealProcess:
    def test_output_is_byte_identical_across_hash_seeds(self) -> None:
        """Two runs with different PYTHONHASHSEED print byte-identical plans."""
        configs = [str(p) for p in CONFIGS]
        # One process per run, each planning every shipped config.
        script = "; ".join(
            ["from sagesweep.planning.report import print_plan", "from pathlib import Path"]
            + [f"print_plan(Path({c!r}), fmt='jsonl')" for c in configs]
        )
        runs = [
            subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
                timeout=60,
                check=True,
            )
            for seed in ("1", "4242")
        ]
        assert runs[0].stdout
        assert runs[0].stdout == runs[1].stdout

    def test_installed_command(self, tmp_path: Path) -> None:
        """The installed `sagesweep` plans (exit 0) and refuses a broken file (exit 2)."""
        ok = run_cli("plan", str(ROOT / "configs" / "demo.yaml"), "--format", "jsonl", hashseed="7")
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout == planned(ROOT / "configs" / "demo.yaml").stdout
        broken = write_yaml(tmp_path, _broken(_shared_checkpoint))
        bad = run_cli("plan", str(broken), hashseed="0")
        assert bad.returncode == 2
        assert "Traceback" not in bad.stderr
        assert bad.stderr.startswith(f"{broken}: ")

    @pytest.mark.parametrize("fmt", [pytest.param("jsonl"), pytest.param("table")])
    def test_reader_that_leaves_early(self, fmt: str) -> None:
        """`sagesweep plan ... | head -1` exits 0, without a traceback, in either format."""
        config = ROOT / "configs" / "xgb-random-spot.yaml"
        proc = subprocess.Popen(
            [str(SAGESWEEP), "plan", str(config), "--format", fmt],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdout is not None
        proc.stdout.readline()
        proc.stdout.close()
        _, err = proc.communicate(timeout=60)
        assert b"Traceback" not in err
        assert proc.returncode == 0, err


SWEEP_KEYS = ["sweep", "template", "method", "count", "seed", "max_jobs", "parameters", "trials"]
CLI_GARBAGE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=15),
    st.lists(st.integers(-3, 3), max_size=3),
    st.dictionaries(st.sampled_from(["values", "range", "distribution", "x"]), st.integers()),
)


class TestFuzzedCommandLine:
    @settings(max_examples=40, deadline=None)
    @given(
        drop=st.sets(st.sampled_from(SWEEP_KEYS)),
        replace=st.dictionaries(st.sampled_from(SWEEP_KEYS), CLI_GARBAGE, max_size=2),
        fmt=st.sampled_from(["jsonl", "table"]),
    )
    def test_exit_code_is_0_or_2(self, drop: set[str], replace: dict[str, Any], fmt: str) -> None:
        """Whatever the sweep file holds, `plan` exits 0 or 2 and never shows a traceback."""
        doc = {k: v for k, v in copy.deepcopy(VALID).items() if k not in drop}
        doc.update(replace)
        with tempfile.TemporaryDirectory() as tmp:
            path = write_yaml(Path(tmp), doc)
            result = plan(path, "--format", fmt, "--max-jobs", "50")
        assert result.exit_code in (0, 2), (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.stdout + result.stderr
        if result.exit_code == 2:
            assert result.stderr.startswith(f"{path}: ")
