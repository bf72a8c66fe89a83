"""How fast the mock answers: CreateTrainingJob calls/s, ``sagesweep mock`` vs ``moto_server``.

boto3 clients on many threads (one shared client, a connection per thread) fire
CreateTrainingJob at each server in turn; every server runs in its own process,
started fresh for every round through its real command line, so it shares no GIL
with the load generator. Rounds take the servers in a rotating order; the table
gives each round's rate relative to moto_server, and the medians. The servers:

* ``moto_server``: moto's own server (``python -m moto.server``, its default
  logging to a discarded stream); werkzeug's development server, which closes the
  connection after every response;
* ``mock``: ``sagesweep mock`` of this tree, account in memory;
* ``mock_state``: ``sagesweep mock --state FILE`` (every create fsynced before its reply);
* ``baseline``: ``sagesweep mock`` of another source tree (``--baseline-src``, e.g. an
  older commit exported with ``git archive``), to compare a change in the same run;
* ``null_server``: ``benchlib/nullserver.py``, which answers at once and does nothing
  else: the ceiling the load generator itself puts on any server (``--ceiling``).

Usage::

    .venv/bin/python benchmarks/mock_bench.py [--calls 2000] [--threads 32] [--rounds 3]
        [--baseline-src /tmp/old/src] [--ceiling] [--no-state]

Another benchmark can call :func:`throughput`. The load generator and the servers
compete for the machine's cores, so only ratios measured in the same run mean much.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

RESULTS = Path(__file__).parent / "results" / "mock_bench.json"
#: The sagesweep sources of this tree: what ``mock`` and ``mock_state`` run.
OWN_SRC = Path(__file__).resolve().parent.parent / "src"

MOTO = "moto_server"
MOCK = "mock"
MOCK_STATE = "mock_state"
BASELINE = "baseline"
NULL = "null_server"
NULL_SERVER = Path(__file__).resolve().parent / "benchlib" / "nullserver.py"

REQUEST: dict[str, Any] = {
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "AlgorithmSpecification": {"TrainingImage": "img:latest", "TrainingInputMode": "File"},
    "OutputDataConfig": {"S3OutputPath": "s3://bucket/out/"},
    "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
    "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
}

_SAGESWEEP = "from sagesweep.cli.app import main; main()"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(port: int, child: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the server exited with code {child.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f} s")


@contextmanager
def running(kind: str, baseline_src: Path | None = None) -> Iterator[tuple[int, int]]:
    """Start one server of ``kind`` in its own process: yields (port, pid); stops it after."""
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as directory:
        if kind == MOTO:
            port = _free_port()
            command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        elif kind == NULL:
            command = [sys.executable, str(NULL_SERVER), "--port", "0"]
        else:
            src = baseline_src if kind == BASELINE else OWN_SRC
            if src is None:
                raise ValueError("the baseline needs a source tree")
            env["PYTHONPATH"] = str(src)
            command = [sys.executable, "-c", _SAGESWEEP, "mock", "--port", "0"]
            if kind == MOCK_STATE:
                command += ["--state", str(Path(directory) / "state.json")]
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if kind == MOTO else subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            if kind == MOTO:
                _wait_listening(port, child)
            else:
                assert child.stdout is not None
                line = child.stdout.readline()  # "listening on http://HOST:PORT"
                if not line.startswith("listening on "):
                    raise RuntimeError(f"{kind} did not start: {line!r}")
                port = int(line.rstrip().rpartition(":")[2])
            yield port, child.pid
        finally:
            child.send_signal(signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_round(
    kind: str, calls: int, threads: int, baseline_src: Path | None = None
) -> tuple[float, float]:
    """A fresh server of ``kind``, ``calls`` creates: (creates/s, server CPU µs per call)."""
    with running(kind, baseline_src) as (port, pid):
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
        cpu_before = cpu_seconds(pid)
        start = time.perf_counter()
        with ThreadPoolExecutor(threads) as pool:
            for _ in pool.map(
                lambda n: client.create_training_job(TrainingJobName=n, **REQUEST), names
            ):
                pass
        elapsed = time.perf_counter() - start
        cpu = cpu_seconds(pid) - cpu_before
        client.close()
        return calls / elapsed, cpu / calls * 1e6


def measure(
    calls: int, threads: int, rounds: int, kinds: Sequence[str], baseline_src: Path | None = None
) -> list[dict[str, float]]:
    """One row per round: creates/s and server CPU µs per call of every kind."""
    rows = []
    for round_no in range(rounds):
        row: dict[str, float] = {"round": round_no + 1}
        # A rotating order, so no server always runs first (or last) on a warm machine.
        shift = round_no % len(kinds)
        for kind in list(kinds[shift:]) + list(kinds[:shift]):
            rate, cpu_us = run_round(kind, calls, threads, baseline_src)
            row[kind] = rate
            row[f"{kind}_server_cpu_us_per_call"] = cpu_us
        rows.append(row)
    return rows


def throughput(
    calls: int = 2000,
    threads: int = 32,
    rounds: int = 3,
    *,
    state: bool = False,
    ceiling: bool = False,
    baseline_src: Path | None = None,
) -> dict[str, float]:
    """Median CreateTrainingJob creates/s per server: moto_server, mock (and more if asked).

    Keys: ``moto_server`` and ``mock`` always; ``mock_state`` if ``state``;
    ``null_server`` if ``ceiling``; ``baseline`` if ``baseline_src`` is given.
    """
    kinds = _kinds(state=state, ceiling=ceiling, baseline=baseline_src is not None)
    rows = measure(calls, threads, rounds, kinds, baseline_src)
    return {kind: statistics.median(row[kind] for row in rows) for kind in kinds}


def _kinds(*, state: bool, ceiling: bool, baseline: bool) -> list[str]:
    kinds = [MOTO, MOCK]
    kinds += [MOCK_STATE] if state else []
    kinds += [BASELINE] if baseline else []
    kinds += [NULL] if ceiling else []
    return kinds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-state", action="store_true", help="skip mock --state")
    parser.add_argument("--ceiling", action="store_true", help="also the null server")
    parser.add_argument("--baseline-src", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    kinds = _kinds(
        state=not args.no_state, ceiling=args.ceiling, baseline=args.baseline_src is not None
    )
    rows = measure(args.calls, args.threads, args.rounds, kinds, args.baseline_src)

    cores = os.cpu_count()
    print(f"CreateTrainingJob, {args.calls} calls x {args.threads} boto3 threads, {cores} cores")
    print("creates/s (relative to moto_server in the same round) / server CPU µs per call")
    print(f"{'round':>6}" + "".join(f"{kind:>24}" for kind in kinds))
    for row in rows:
        cells = "".join(
            f"{row[kind]:>9.0f} ({row[kind] / row[MOTO]:>4.2f}) "
            f"{row[f'{kind}_server_cpu_us_per_call']:>6.0f}"
            for kind in kinds
        )
        print(f"{row['round']:>6.0f}{cells}")
    rates = {kind: statistics.median(row[kind] for row in rows) for kind in kinds}
    ratios = {kind: statistics.median(row[kind] / row[MOTO] for row in rows) for kind in kinds}
    cpu = {
        kind: statistics.median(row[f"{kind}_server_cpu_us_per_call"] for row in rows)
        for kind in kinds
    }
    print(
        f"{'median':>6}"
        + "".join(f"{rates[kind]:>9.0f} ({ratios[kind]:>4.2f}) {cpu[kind]:>6.0f}" for kind in kinds)
    )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "benchmark": "mock_bench",
        "calls": args.calls,
        "threads": args.threads,
        "cpu_count": cores,
        "rounds": rows,
        "median_creates_per_s": rates,
        "median_ratio_to_moto_server": ratios,
        "median_server_cpu_us_per_call": cpu,
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"results written to {args.out}")


if __name__ == "__main__":
    main()
