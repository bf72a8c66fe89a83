"""How much the realism layer costs: CreateTrainingJob calls/s, mock vs plain moto.

Each server runs in its own subprocess (so it does not share a GIL with the load
generator), started fresh for every round; rounds alternate moto/mock and the
table reports each round's ratio plus the median. Both servers run werkzeug's
threaded server with request logging off; werkzeug 3 closes the connection after
every response whatever the protocol version, so both pay one TCP connect per call.

Usage::

    .venv/bin/python benchmarks/mock_bench.py [--calls 2000] [--threads 8] [--rounds 3]

The machine may have few cores: the load generator and the server compete for
them, so only the ratio measured in the same run means anything.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

RESULTS = Path(__file__).parent / "results" / "mock_bench.json"

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:latest", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}


def serve(kind: str) -> None:
    """Child process: run one server, print its port, wait for stdin to close."""
    if kind == "moto":
        from moto.server import ThreadedMotoServer

        # Same footing as the mock, which does not log every request.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        print(server.get_host_and_port()[1], flush=True)
        sys.stdin.read()
        server.stop()
    else:
        from sagesweep.mock import MockConfig, MockServer

        with MockServer(MockConfig()) as mock:
            print(mock.port, flush=True)
            sys.stdin.read()


def run_round(kind: str, calls: int, threads: int) -> float:
    """Start a fresh server of ``kind``, fire ``calls`` creates, return calls/s."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        port = int(child.stdout.readline())
        client = boto3.client(
            "sagemaker",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="bench",
            aws_secret_access_key="bench",
            config=Config(retries={"total_max_attempts": 1}, max_pool_connections=threads),
        )
        prefix = uuid.uuid4().hex[:8]
        names = [f"bench-{prefix}-{i}" for i in range(calls)]
        client.list_training_jobs(MaxResults=1)  # warm up: imports, app creation
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(
                lambda n: client.create_training_job(TrainingJobName=n, **REQUEST), names
            ):
                pass
        elapsed = time.perf_counter() - start
        return calls / elapsed
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--serve", choices=["moto", "mock"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    rows = []
    for round_no in range(1, args.rounds + 1):
        moto_rate = run_round("moto", args.calls, args.threads)
        mock_rate = run_round("mock", args.calls, args.threads)
        rows.append(
            {
                "round": round_no,
                "moto": moto_rate,
                "mock": mock_rate,
                "ratio": mock_rate / moto_rate,
            }
        )

    cores = os.cpu_count()
    print(f"CreateTrainingJob, {args.calls} calls x {args.threads} boto3 threads, {cores} cores")
    print(f"{'round':>5} {'moto calls/s':>13} {'mock calls/s':>13} {'mock/moto':>10}")
    for row in rows:
        print(f"{row['round']:>5} {row['moto']:>13.0f} {row['mock']:>13.0f} {row['ratio']:>10.2f}")
    median = statistics.median(row["ratio"] for row in rows)
    print(f"{'median':>5} {'':>13} {'':>13} {median:>10.2f}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "mock_bench",
        "calls": args.calls,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "rounds": rows,
        "median_ratio": median,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
