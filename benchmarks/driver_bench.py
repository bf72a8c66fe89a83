"""What a driven run costs and how quickly it refills its places.

Runs ``submit --max-running N`` (through the Python API, in this process) against a
mock in its own process with jobs of ``--job-seconds`` and reports:

* read calls per minute the driver spent (the mock's Search/Describe counters over the
  run's duration), and per poll;
* the lag between a job ending and the job that takes its place starting: with the cap
  full, the (N+k)-th creation takes the place of the k-th ending, so the lag is the
  difference of the two (median and 95th percentile);
* peak RSS of this process (sagesweep's side only; the mock runs apart).

Usage::

    .venv/bin/python benchmarks/driver_bench.py [--jobs 5000] [--max-running 50]
        [--job-seconds 20-40] [--poll 30] [--seconds 180]

``--seconds`` stops the run with SIGINT after that long (a 5,000-job sweep of real-length
jobs takes hours; the cost per minute is what is measured). Both processes share this
machine's cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import yaml

from benchlib.sweeps import minimal_template
from sagesweep.commands.submit import submit_sync

RESULTS = Path(__file__).parent / "results" / "driver_bench.json"
SAGESWEEP = Path(sys.executable).parent / "sagesweep"


def write_sweep(folder: Path, jobs: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": "drive",
        "template": minimal_template(),
        "max_jobs": jobs,
        "parameters": {"HyperParameters.i": {"range": [0, jobs, 1]}},
    }
    path = folder / "drive.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def start_mock(job_seconds: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [str(SAGESWEEP), "mock", "--job-seconds", job_seconds, "--seed", "1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().split()[-1]
    return proc, url


def stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_mock/stats") as answer:
        data: dict[str, int] = json.load(answer)
        return data


def lags(url: str, cap: int) -> list[float]:
    sm = boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    starts: list[float] = []
    ends: list[float] = []
    token = None
    while True:
        page = sm.search(
            Resource="TrainingJob",
            MaxResults=100,
            **({"NextToken": token} if token else {}),
        )
        for record in page["Results"]:
            job = record["TrainingJob"]
            starts.append(job["CreationTime"].timestamp())
            if "TrainingEndTime" in job:
                ends.append(job["TrainingEndTime"].timestamp())
        token = page.get("NextToken")
        if not token:
            break
    starts.sort()
    ends.sort()
    return [start - end for start, end in zip(starts[cap:], ends, strict=False)]


def quiet() -> None:
    from sagesweep.logs import configure_logging

    configure_logging("console", quiet=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--max-running", type=int, default=50)
    parser.add_argument("--job-seconds", default="20-40")
    parser.add_argument("--poll", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=180.0)
    args = parser.parse_args()
    quiet()
    folder = Path(tempfile.mkdtemp(prefix="sagesweep-drive-"))
    sweep = write_sweep(folder, args.jobs)
    mock, url = start_mock(args.job_seconds)
    try:
        before = stats(url)
        timer = threading.Timer(args.seconds, lambda: os.kill(os.getpid(), signal.SIGINT))
        timer.start()
        start = time.monotonic()
        summary = submit_sync(
            sweep,
            endpoint_url=url,
            max_running=args.max_running,
            poll=args.poll,
            rate=200,
            concurrency=32,
            summary=False,
            progress=False,
        )
        minutes = (time.monotonic() - start) / 60
        timer.cancel()
        after = stats(url)
        reads = sum(after[k] - before[k] for k in ("search_calls", "describe_calls", "list_calls"))
        measured = lags(url, args.max_running)
    finally:
        mock.send_signal(signal.SIGINT)
        mock.wait(timeout=30)
    result = {
        "jobs": args.jobs,
        "max_running": args.max_running,
        "job_seconds": args.job_seconds,
        "poll": args.poll,
        "minutes": round(minutes, 2),
        "created": after["created"] - before["created"],
        "peak_in_progress": after["peak_in_progress"],
        "read_calls": reads,
        "read_calls_per_minute": round(reads / minutes, 1),
        "search_calls": after["search_calls"] - before["search_calls"],
        "describe_calls": after["describe_calls"] - before["describe_calls"],
        "lag_median_s": round(statistics.median(measured), 2) if measured else None,
        "lag_p95_s": round(statistics.quantiles(measured, n=20)[18], 2)
        if len(measured) >= 20
        else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "exit_code": summary.exit_code,
    }
    print(json.dumps(result, indent=2))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
