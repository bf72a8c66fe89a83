"""How fast requests are validated, next to botocore's own (weaker) validator.

Three request streams of a realistic ~25-field CreateTrainingJob request:

- ``same``: one request over and over (the memo's best case);
- ``sweep``: a new job name and new swept hyperparameter values every time,
  as the planner produces them (the realistic case);
- ``botocore``: ``botocore.validate.ParamValidator`` on the ``sweep`` stream,
  which checks only types, required members and minimums.

Rounds alternate the streams; the table reports validations per CPU-second and
each stream's ratio to ``botocore`` measured in the same round. Loading the
service model is timed in fresh subprocesses (import + build of the validator).

Usage::

    .venv/bin/python benchmarks/validate_bench.py [--requests 20000] [--rounds 3]

The machine is shared and may have two cores: only the ratios are comparable
between runs; the absolute numbers are context.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "validate_bench.json"

_LOAD_SNIPPET = """
import time
t = time.perf_counter()
from sagesweep.validation.model import RequestValidator
RequestValidator()
print(time.perf_counter() - t)
"""


def base_request() -> dict[str, Any]:
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
                "ChannelName": name,
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://data/churn/{name}/"}
                },
                "ContentType": "text/csv",
            }
            for name in ("train", "validation")
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


def sweep_requests(n: int) -> list[dict[str, Any]]:
    """Requests as a random sweep renders them: new name, digest and swept values."""
    out = []
    base = base_request()
    for i in range(n):
        request = dict(base)
        digest = f"{i:010d}"
        request["TrainingJobName"] = f"xgb-churn-{digest}"
        request["HyperParameters"] = dict(
            base["HyperParameters"],
            eta=repr(0.01 + (i * 0.6180339887) % 0.29),
            max_depth=str(3 + i % 8),
            subsample=repr(0.5 + (i * 0.414213562) % 0.5),
        )
        request["Tags"] = [*base["Tags"][:1], {"Key": "sagesweep:digest", "Value": digest}]
        request["CheckpointConfig"] = {"S3Uri": f"s3://bucket/ckpt/xgb-churn-{digest}/"}
        out.append(request)
    return out


def rate(check: Callable[[dict[str, Any]], object], requests: Iterator[dict[str, Any]]) -> float:
    start = time.process_time()
    n = 0
    for request in requests:
        check(request)
        n += 1
    return n / (time.process_time() - start)


def load_seconds(runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", _LOAD_SNIPPET], capture_output=True, text=True, check=True
        )
        out.append(float(done.stdout.strip()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.rounds = 2000, 1

    import botocore.validate

    from sagesweep.validation.model import validator

    v = validator()
    botocore_validator = botocore.validate.ParamValidator()
    same = base_request()
    sweep = sweep_requests(args.requests)
    assert v.validate(same) == [], v.validate(same)

    def ours(request: dict[str, Any]) -> object:
        return v.validate(request)

    def theirs(request: dict[str, Any]) -> object:
        return botocore_validator.validate(request, v.input_shape)

    rounds = []
    for _ in range(args.rounds):
        # Botocore is ~5x slower: a fifth of the stream keeps rounds short.
        base_rate = rate(theirs, iter(sweep[: max(1, args.requests // 5)]))
        same_rate = rate(ours, (same for _ in range(args.requests)))
        sweep_rate = rate(ours, iter(sweep))
        rounds.append({"botocore": base_rate, "same": same_rate, "sweep": sweep_rate})

    loads = load_seconds(3)
    print(f"{'stream':<10} {'validations/cpu-s':>18} {'x botocore':>11}")
    summary: dict[str, Any] = {}
    for stream in ("same", "sweep", "botocore"):
        rates = [r[stream] for r in rounds]
        ratios = [r[stream] / r["botocore"] for r in rounds]
        summary[stream] = {"rates": rates, "ratios": ratios}
        print(
            f"{stream:<10} {statistics.median(rates):>18,.0f} {statistics.median(ratios):>10.2f}x"
        )
    print(f"model load (import + build, fresh process): median {statistics.median(loads):.3f}s")
    summary["load_seconds"] = loads
    summary["requests"] = args.requests
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
