"""What `sagesweep status` costs on a big sweep: AWS calls and time, then under throttling.

Submits a random sweep of ``--jobs`` jobs to a mock that keeps its account in a state
file, then reads the sweep's status (a) from that mock and (b) from a mock restarted on
the same state with reads limited to ``--read-rate`` calls/s (burst 1). The calls are
the mock's own counters, so they are exact; times are wall-clock on this machine, where
the mock and sagesweep share the cores.

Usage::

    .venv/bin/python benchmarks/status_bench.py [--jobs 5000] [--read-rate 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
import yaml

import sagesweep as operate
from benchlib.sweeps import minimal_template
from sagesweep.commands.submit import submit
from sagesweep.logs import configure_logging
from sagesweep.mock import MockConfig, MockServer

RESULTS = Path(__file__).parent / "results" / "status_bench.json"
READS = ("search_calls", "describe_calls", "list_calls")


def write_sweep(folder: Path, jobs: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": "big",
        "template": minimal_template(),
        "method": "random",
        "count": jobs,
        "max_jobs": jobs,
        "parameters": {
            "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.001, "max": 0.3},
            "HyperParameters.depth": {"distribution": "int_uniform", "min": 2, "max": 12},
        },
    }
    path = folder / "big.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


async def read_status(sweep: Path, server: MockServer) -> dict[str, Any]:
    before = server.stats().as_dict()
    start = time.perf_counter()
    status = await operate.status(sweep, endpoint_url=server.url, read_rate=50)
    seconds = time.perf_counter() - start
    after = server.stats().as_dict()
    calls = {key: after[key] - before[key] for key in READS}
    return {
        "seconds": round(seconds, 2),
        "calls": calls,
        "total_calls": sum(calls.values()),
        "throttled": after["throttled"] - before["throttled"],
        "counts": dict(status.counts),
    }


async def main(jobs: int, read_rate: float) -> dict[str, Any]:
    configure_logging("console", quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="sagesweep-status-"))
    sweep = write_sweep(folder, jobs)
    state = folder / "account.json"
    with MockServer(MockConfig(state_file=state, seed=1)) as server:
        await submit(sweep, endpoint_url=server.url, rate=2000, concurrency=32, summary=False)
        free = await read_status(sweep, server)
    with MockServer(MockConfig(state_file=state, read_rate=read_rate, read_burst=1)) as server:
        throttled = await read_status(sweep, server)
    return {"jobs": jobs, "read_rate": read_rate, "unthrottled": free, "throttled": throttled}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--read-rate", type=float, default=2.0)
    args = parser.parse_args()
    result = anyio.run(main, args.jobs, args.read_rate)
    print(json.dumps(result, indent=2))
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
