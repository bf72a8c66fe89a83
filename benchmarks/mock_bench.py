"""How much the realism layer costs: CreateTrainingJob calls/s, mock vs plain moto.

Each server runs in its own subprocess (so it does not share a GIL with the load
generator), started fresh for every round; rounds take the servers in turn and the
table reports each round's rate relative to moto, plus the median. The servers:

* ``moto``: moto's own threaded server;
* ``mock``: the mock, account in memory;
* ``mock-state``: the mock with a state file (every create fsynced before its reply);
* ``base``: the mock of another source tree (``--baseline-src``, e.g. an older commit
  exported with ``git archive``), to compare a change in the same run.

All run werkzeug's threaded server with request logging off; werkzeug 3 closes the
connection after every response whatever the protocol version, so each pays one TCP
connect per call.

Usage::

    .venv/bin/python benchmarks/mock_bench.py [--calls 2000] [--threads 8] [--rounds 3]
        [--baseline-src /tmp/old/src]

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
import tempfile
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
        return
    from sagesweep.mock import MockConfig, MockServer

    with tempfile.TemporaryDirectory() as directory:
        config = (
            MockConfig(state_file=Path(directory) / "state.json")
            if kind == "mock-state"
            else MockConfig()
        )
        with MockServer(config) as mock:
            print(mock.port, flush=True)
            sys.stdin.read()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_round(
    kind: str, calls: int, threads: int, baseline_src: Path | None
) -> tuple[float, float]:
    """Start a fresh server of ``kind``, fire ``calls`` creates: (calls/s, server CPU µs/call)."""
    env = dict(os.environ)
    if kind == "base":
        assert baseline_src is not None
        env["PYTHONPATH"] = str(baseline_src)
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", "mock" if kind == "base" else kind],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
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
        cpu_before = cpu_seconds(child.pid)
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(
                lambda n: client.create_training_job(TrainingJobName=n, **REQUEST), names
            ):
                pass
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(child.pid) - cpu_before
        return calls / elapsed, cpu / calls * 1e6
    finally:
        if child.stdin is not None:
            child.stdin.close()
        child.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--serve", choices=["moto", "mock", "mock-state"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return

    kinds = ["moto", "mock", "mock-state"] + (["base"] if args.baseline_src else [])
    rows = []
    for round_no in range(1, args.rounds + 1):
        row: dict[str, Any] = {"round": round_no}
        for kind in kinds:
            rate, cpu_us = run_round(kind, args.calls, args.threads, args.baseline_src)
            row[kind] = rate
            row[f"{kind}_server_cpu_us_per_call"] = cpu_us
        rows.append(row)

    cores = os.cpu_count()
    print(f"CreateTrainingJob, {args.calls} calls x {args.threads} boto3 threads, {cores} cores")
    print("calls/s (relative to moto in the same round) / server CPU µs per call")
    print(f"{'round':>6}" + "".join(f"{kind:>22}" for kind in kinds))
    for row in rows:
        cells = "".join(
            f"{row[kind]:>7.0f} ({row[kind] / row['moto']:>4.2f}) "
            f"{row[f'{kind}_server_cpu_us_per_call']:>6.0f}"
            for kind in kinds
        )
        print(f"{row['round']:>6}{cells}")
    medians = {kind: statistics.median(row[kind] / row["moto"] for row in rows) for kind in kinds}
    cpu = {
        kind: statistics.median(row[f"{kind}_server_cpu_us_per_call"] for row in rows)
        for kind in kinds
    }
    print(
        f"{'median':>6}"
        + "".join(f"{'':>7} ({medians[kind]:>4.2f}) {cpu[kind]:>6.0f}" for kind in kinds)
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "mock_bench",
        "calls": args.calls,
        "threads": args.threads,
        "cpu_count": os.cpu_count(),
        "rounds": rows,
        "median_ratio_to_moto": medians,
        "median_server_cpu_us_per_call": cpu,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
