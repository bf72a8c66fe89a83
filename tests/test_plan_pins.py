"""Pinned job names, digests and requests: planning may get faster, never different.

The expected values below were computed once and are literals on purpose: a job's
name is its idempotency key, so any change to how a sweep file becomes requests
(sampling, rendering, canonical JSON, placeholders) would resubmit every job of
every existing sweep. A failure here means exactly that.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from sagesweep.errors import PlanError
from sagesweep.planning.config import load_config
from sagesweep.planning.planner import Planner
from sagesweep.planning.report import print_plan

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"

#: Every parameter kind, nested paths, string maps, swept tags and placeholders.
MIXED: dict[str, Any] = {
    "sweep": "pin-mixed",
    "method": "random",
    "count": 300,
    "seed": 11,
    "template": {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/{sweep}/train/"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/out/{{literal}}/"},
        "CheckpointConfig": {"S3Uri": "s3://b/ck/{job}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 90000},
        "EnableManagedSpotTraining": True,
        "HyperParameters": {"fixed": 3, "flag": True, "ratio": 0.25, "run": "{sweep}/{digest}"},
        "Environment": {"MODE": "train", "JOB": "{job}"},
        "Tags": [{"Key": "team", "Value": "pins"}, {"Key": "owner", "Value": "x"}],
    },
    "parameters": {
        "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 0.3},
        "HyperParameters.depth": {"distribution": "int_uniform", "min": 2, "max": 12},
        "HyperParameters.sub": {"distribution": "uniform", "min": 0.5, "max": 1.0, "q": 0.05},
        "HyperParameters.noise": {"distribution": "normal", "mu": 0.0, "sigma": 2.0},
        "HyperParameters.mw": {"distribution": "log_uniform", "min": 1, "max": 20, "q": 1},
        "HyperParameters.opt.name": {
            "values": ["adam", "sgd", True, 7, 0.5],
            "probabilities": [0.4, 0.2, 0.1, 0.1, 0.2],
        },
        "HyperParameters.tag": {"values": ["{sweep}-a", "{{b}}", "{job}"]},
        "HyperParameters.steps": {"range": [0.1, 1.0, 0.1]},
        "Environment.SEED": {"distribution": "int_uniform", "min": 0, "max": 1000},
        "ResourceConfig.InstanceType": {"values": ["ml.m5.xlarge", "ml.c5.2xlarge"]},
        "ResourceConfig.VolumeSizeInGB": {"range": [5, 50, 5]},
        "StoppingCondition.MaxRuntimeInSeconds": {
            "distribution": "int_uniform",
            "min": 60,
            "max": 86400,
        },
        "InputDataConfig[0].DataSource.S3DataSource.S3Uri": {
            "values": ["s3://b/{sweep}/a/", "s3://b/{digest}/b/", "s3://b/c/"]
        },
        "Tags[1].Value": {"values": ["ann", "bob"]},
    },
}

#: A small categorical random sweep: most points repeat, so duplicates are dropped.
REPEATS: dict[str, Any] = {
    "sweep": "pin-repeats",
    "method": "random",
    "count": 40,
    "seed": 3,
    "template": {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600},
    },
    "parameters": {
        "HyperParameters.a": {"values": [1, 2]},
        "OutputDataConfig.S3OutputPath": {"values": ["s3://b/{sweep}/", "s3://b/{job}/"]},
    },
}

#: A grid whose swept values are partly invalid: the problems are pinned too.
INVALID: dict[str, Any] = {
    "sweep": "pin-invalid",
    "method": "grid",
    "template": {
        "RoleArn": ROLE,
        "AlgorithmSpecification": {"TrainingImage": "img:1", "TrainingInputMode": "File"},
        "OutputDataConfig": {"S3OutputPath": "s3://b/{sweep}/"},
        "CheckpointConfig": {"S3Uri": "s3://b/ck/{sweep}/"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 5},
        "StoppingCondition": {"MaxRuntimeInSeconds": 600, "MaxWaitTimeInSeconds": 1200},
        "EnableManagedSpotTraining": True,
        "Environment": {"A": "b"},
    },
    "parameters": {
        "ResourceConfig.InstanceType": {"values": ["ml.m5.xlarge", "ml.m5.huge"]},
        "HyperParameters.text": {"values": ["ok", "x" * 2600, "AKIAABCDEFGHIJKLMNOP"]},
        "StoppingCondition.MaxRuntimeInSeconds": {"values": [600, 3600]},
        "Environment.TOKEN": {"values": ["short", "ghp_" + "a1B2" * 9]},
    },
}


def fingerprint(path: Path) -> dict[str, Any]:
    """Count, first names and a hash over every job's name, digest, params and request."""
    planner = Planner(load_config(path))
    names: list[str] = []
    hashed = hashlib.sha256()
    for job in planner.jobs():
        names.append(job.name)
        line = json.dumps(
            [job.name, job.digest, job.index, job.params, job.request], ensure_ascii=False
        )
        hashed.update(line.encode() + b"\n")
    planner.check()
    out = io.StringIO()
    print_plan(path, fmt="jsonl", out=out, err=io.StringIO())
    return {
        "count": len(names),
        "duplicates": planner.stats.duplicates,
        "first": names[:50],
        "jobs_sha256": hashed.hexdigest(),
        "jsonl_sha256": hashlib.sha256(out.getvalue().encode()).hexdigest(),
    }


def problems(path: Path) -> dict[str, Any]:
    """The problem and warning lines of a plan, and how many jobs were valid and invalid."""
    planner = Planner(load_config(path))
    jobs = sum(1 for _ in planner.jobs())
    with pytest.raises(PlanError) as info:
        planner.check()
    return {
        "lines": [line.replace(str(path), "SWEEP") for line in info.value.lines()],
        "warnings": planner.stats.warnings,
        "jobs": jobs,
        "invalid": planner.stats.invalid,
    }


def write(tmp_path: Path, doc: dict[str, Any]) -> Path:
    path = tmp_path / f"{doc['sweep']}.json"
    path.write_text(json.dumps(doc))
    return path


EXPECTED_CONFIGS: dict[str, dict[str, Any]] = {
    "demo.yaml": {
        "count": 12,
        "duplicates": 0,
        "first": [
            "demo-xgb-ow2gocr2kp",
            "demo-xgb-sozzqmbqck",
            "demo-xgb-u75xrrfcrc",
            "demo-xgb-2hty5obczs",
            "demo-xgb-x6tptpxhkp",
            "demo-xgb-x5cubbv6tw",
            "demo-xgb-pgxbqicxds",
            "demo-xgb-6fm7kuy6pj",
            "demo-xgb-clrkjdvtyg",
            "demo-xgb-gmwh6as4nf",
            "demo-xgb-mqfdhbz574",
            "demo-xgb-unsvdr34dq",
        ],
        "jobs_sha256": "b6b9a148dc2326a9a7d8ad24cdcd43839322c327e98421c6a03197058009eac3",
        "jsonl_sha256": "5d9ac62ea620ad315a5172d1e1c85eabbfc662e64a49e6e0d3a537c8d6bd1580",
    },
    "instance-lr-grid.yaml": {
        "count": 24,
        "duplicates": 0,
        "first": [
            "bert-ft-grid-az3hwnitut",
            "bert-ft-grid-vbk5hnoejw",
            "bert-ft-grid-ybwsjfsafr",
            "bert-ft-grid-uog4ts4t42",
            "bert-ft-grid-etmbfdgwnl",
            "bert-ft-grid-z34kc43jcg",
            "bert-ft-grid-ughqw7zzaa",
            "bert-ft-grid-3267ahwekq",
            "bert-ft-grid-xk3xj4mkp3",
            "bert-ft-grid-mokosfjumx",
            "bert-ft-grid-yc4jc7dtet",
            "bert-ft-grid-4mpf2ivyno",
            "bert-ft-grid-b3yh4gze44",
            "bert-ft-grid-kxq7qr3d6t",
            "bert-ft-grid-eq5fc7avcx",
            "bert-ft-grid-ygf4p274fk",
            "bert-ft-grid-a6is2hhx4q",
            "bert-ft-grid-fiwucz2tlc",
            "bert-ft-grid-zy6we4vybq",
            "bert-ft-grid-ujggaio456",
            "bert-ft-grid-dqkuilghkv",
            "bert-ft-grid-nyqdlysq5j",
            "bert-ft-grid-t23flyvqbd",
            "bert-ft-grid-on5xxcuhll",
        ],
        "jobs_sha256": "c6ed22a6e5ffff4faaeabb1d3f8ff9de10b7a8bfcda534791f0b9fc624fe7603",
        "jsonl_sha256": "1d22c5bcc04432bfafe88bf676141f5fe38da10f706c1833c13b94ca41037ad9",
    },
    "xgb-random-spot.yaml": {
        "count": 200,
        "duplicates": 0,
        "first": [
            "xgb-churn-7xfkxze7lc",
            "xgb-churn-vvfgs6er7r",
            "xgb-churn-rurjwnjro4",
            "xgb-churn-ygghl4sim4",
            "xgb-churn-7vaugi3hj2",
            "xgb-churn-7oz4pvldzj",
            "xgb-churn-x7rrwotgg3",
            "xgb-churn-vpt3vl73wz",
            "xgb-churn-hcapnnvx2b",
            "xgb-churn-wdpnnqhvw2",
            "xgb-churn-25gtycgdro",
            "xgb-churn-aqvzbevr34",
            "xgb-churn-6oinrtzo75",
            "xgb-churn-cy5ic63va7",
            "xgb-churn-lnbukfxy42",
            "xgb-churn-ljyncgba3d",
            "xgb-churn-u6q6u752ep",
            "xgb-churn-mbojk6iohd",
            "xgb-churn-qi67z6e5qg",
            "xgb-churn-d5pda7nqgk",
            "xgb-churn-hnqhe3oxld",
            "xgb-churn-46vdmyjzhq",
            "xgb-churn-4rb5kh4jhp",
            "xgb-churn-xmnrowb4rg",
            "xgb-churn-qg4qy3izdx",
            "xgb-churn-l4mv4g7slc",
            "xgb-churn-ffap5jm6dm",
            "xgb-churn-hbekwr5ra5",
            "xgb-churn-gxj65kfr27",
            "xgb-churn-lq5ehjjxlx",
            "xgb-churn-yv5v2lv4lc",
            "xgb-churn-pnd72ll2qs",
            "xgb-churn-2yemtpb2dj",
            "xgb-churn-6e36txytat",
            "xgb-churn-f5uinociyx",
            "xgb-churn-ar3nol2hi7",
            "xgb-churn-fqshl4noqy",
            "xgb-churn-lhehrr4xhc",
            "xgb-churn-lwmc3b26t6",
            "xgb-churn-evxfqfvqkj",
            "xgb-churn-hv3kl5fo37",
            "xgb-churn-vmaacs4ixo",
            "xgb-churn-a2eks2dl4k",
            "xgb-churn-cyj6vwetam",
            "xgb-churn-4z4el6rgl3",
            "xgb-churn-zu3g53j24a",
            "xgb-churn-knod7yyu66",
            "xgb-churn-wdr2me6uea",
            "xgb-churn-wkz5likq77",
            "xgb-churn-3cbxcauvvm",
        ],
        "jobs_sha256": "b0d6758e11e37e5491c14cd5f39bcf6d8f753aa717da89eb49788078ce2b2c18",
        "jsonl_sha256": "e408758f9c6fec4bdf302d987a8c923808dcc0073eb0b60a97540032103a6237",
    },
}

EXPECTED_SWEEPS: dict[str, dict[str, Any]] = {
    "pin-mixed": {
        "count": 300,
        "duplicates": 0,
        "first": [
            "pin-mixed-k4thpdpxfd",
            "pin-mixed-nbpk4jbto5",
            "pin-mixed-7tf3tfozks",
            "pin-mixed-j7btuuqkg7",
            "pin-mixed-osgk2ftwtq",
            "pin-mixed-cacamtk4zq",
            "pin-mixed-6zne3gi4zn",
            "pin-mixed-cthwmf5sud",
            "pin-mixed-b4jnnfg6rb",
            "pin-mixed-2mu2fsxkbd",
            "pin-mixed-laes53z5tl",
            "pin-mixed-ilzei5baqg",
            "pin-mixed-4ffjcqg3pi",
            "pin-mixed-uuysafrgrz",
            "pin-mixed-tcywj3ca5b",
            "pin-mixed-tg5txxao4j",
            "pin-mixed-7wkqcxwcqz",
            "pin-mixed-zlrh5cmiiz",
            "pin-mixed-tdvcbk3dqg",
            "pin-mixed-eqv5ku4ooe",
            "pin-mixed-m4w3anl2hb",
            "pin-mixed-h73jzp6x7l",
            "pin-mixed-kgjqd3piv7",
            "pin-mixed-nb6nrfljmy",
            "pin-mixed-ynsu64jsot",
            "pin-mixed-tmauagwuk2",
            "pin-mixed-hajt7nziap",
            "pin-mixed-vphnm3ecmk",
            "pin-mixed-vknj5big2u",
            "pin-mixed-36l7jfle5u",
            "pin-mixed-773a6ubqbx",
            "pin-mixed-hefpou3amt",
            "pin-mixed-ej6eavsd6h",
            "pin-mixed-5xw46ksye6",
            "pin-mixed-tes3nvnalx",
            "pin-mixed-t6xfcvrnot",
            "pin-mixed-ntiuq6mwio",
            "pin-mixed-liqr3m7k4e",
            "pin-mixed-7pvjmtg3fd",
            "pin-mixed-qdv3r7ugrq",
            "pin-mixed-ennhrfbgne",
            "pin-mixed-kj5z4mzwrv",
            "pin-mixed-jadqpw5ef3",
            "pin-mixed-43gw3iro2v",
            "pin-mixed-7ytfgdhhtx",
            "pin-mixed-2fsszo6of2",
            "pin-mixed-rimdl7ahkm",
            "pin-mixed-6yo5ucdw2o",
            "pin-mixed-al3elwlcww",
            "pin-mixed-3fbvkpju3d",
        ],
        "jobs_sha256": "26fc56f179d02918f2dba831813cb25a933ffb38ae018a8111839597cf456d4e",
        "jsonl_sha256": "e10d8006a2fce80e1c6234ab2a51f1b660d3d1c188e864f84286f301b394f7d7",
    },
    "pin-repeats": {
        "count": 4,
        "duplicates": 36,
        "first": [
            "pin-repeats-w3mav4si54",
            "pin-repeats-2v5uhiozvg",
            "pin-repeats-w2wbnjrnlo",
            "pin-repeats-riqoansp2p",
        ],
        "jobs_sha256": "0d44b900884ff57b35cc2de69f5fb6bd5d479cbeb36ba1744e68688d92cccd5b",
        "jsonl_sha256": "135476a0024dece063c0408f1215e2659789b59a29173f0195b759c5ce210703",
    },
}

EXPECTED_INVALID: dict[str, Any] = {
    "lines": [
        "SWEEP: pin-invalid-q4xupoftva: CheckpointConfig.S3Uri: s3://b/ck/pin-invalid/ is "
        "shared with pin-invalid-mtgjwg7lce: the jobs would overwrite each other's "
        "checkpoints; put {job} in the URI (and 22 other jobs)",
        "SWEEP: pin-invalid-slluvwlim2: StoppingCondition.MaxWaitTimeInSeconds: must be at "
        "least MaxRuntimeInSeconds (3600) when EnableManagedSpotTraining is true (got "
        "1200) (and 11 other jobs)",
        "SWEEP: pin-invalid-uef3fzutbm: HyperParameters.text: must be at most 2500 "
        "characters (got 2600) (and 7 other jobs)",
        "SWEEP: pin-invalid-k4hzjvkrax: HyperParameters.text: looks like an AWS access key "
        "id (AKIA************MNOP); SageMaker rejects credentials in hyperparameters: pass "
        "it through a secret store or an IAM role (and 7 other jobs)",
        "SWEEP: pin-invalid-6xzcbgoiru: ResourceConfig.InstanceType: must be one of 225 "
        "TrainingInstanceType values such as ml.m4.xlarge, ml.m4.2xlarge, ml.m4.4xlarge "
        "(got 'ml.m5.huge'); did you mean 'ml.m5.large'? (and 11 other jobs)",
    ],
    "warnings": [
        "pin-invalid-q4xupoftva: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-l4ly4xkc7h: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-bmkjrndhjx: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-r5gr4a5znm: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-g3oj2tamgf: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-njli3lv52m: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-ugzzbz6tew: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-dkar2awqnb: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-vxwxa6cved: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-i3ahrthtcn: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-3b6x62cnvq: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
        "pin-invalid-vgnlt3l4io: Environment.TOKEN: looks like a GitHub token "
        "(ghp_************a1B2); environment values are readable by anyone who can "
        "describe the job: pass it through a secret store or an IAM role",
    ],
    "jobs": 1,
    "invalid": 23,
}


class TestShippedConfigs:
    """Every sweep file shipped in configs/ plans the very same jobs, forever."""

    @pytest.mark.parametrize("name", [pytest.param(n, id=n) for n in EXPECTED_CONFIGS])
    def test_jobs_are_pinned(self, name: str) -> None:
        """Count, first names, and every name, digest, params and request are unchanged."""
        assert fingerprint(CONFIGS / name) == EXPECTED_CONFIGS[name]

    def test_every_config_is_pinned(self) -> None:
        """A new config in configs/ gets pinned here too."""
        assert sorted(p.name for p in CONFIGS.glob("*.yaml")) == sorted(EXPECTED_CONFIGS)


class TestPinnedSweeps:
    """Random sweeps over every parameter kind keep their digests byte for byte."""

    @pytest.mark.parametrize(
        "doc", [pytest.param(MIXED, id="mixed-kinds"), pytest.param(REPEATS, id="repeats")]
    )
    def test_jobs_are_pinned(self, tmp_path: Path, doc: dict[str, Any]) -> None:
        """Names, digests, requests and the jsonl output match the recorded values."""
        assert fingerprint(write(tmp_path, doc)) == EXPECTED_SWEEPS[doc["sweep"]]

    def test_problems_are_pinned(self, tmp_path: Path) -> None:
        """Invalid swept values give the same problem and warning lines, in the same order."""
        assert problems(write(tmp_path, INVALID)) == EXPECTED_INVALID
