"""Planning throughput and memory: `sagesweep plan --format jsonl` on big random sweeps.

Each size runs in a fresh child process (so peak RSS is that run's alone), output to
/dev/null. Memory must stay flat as the plan grows: the RSS ratio between the largest
and the smallest size is the result; jobs/s is context (the machine is shared).

Usage::

    .venv/bin/python benchmarks/plan_bench.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "configs" / "xgb-random-spot.yaml"
RESULTS = Path(__file__).parent / "results" / "plan_bench.json"
RSS_TARGET_MB = 200.0


def sweep_file(folder: Path, count: int) -> Path:
    doc = yaml.safe_load(BASE.read_text())
    doc["count"] = count
    doc["max_jobs"] = count
    path = folder / f"random-{count}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def run_child(path: Path) -> tuple[float, float, int]:
    """Seconds, peak RSS in MB, jobs planned — for one child process."""
    code = (
        "import resource, sys\n"
        "from sagesweep.cli import main\n"
        "try:\n"
        "    main(['plan', sys.argv[1], '--format', 'jsonl'])\n"
        "except SystemExit as e:\n"
        "    rc = e.code or 0\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(rc)\n"
    )
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - start
    lines = proc.stderr.strip().splitlines()
    rss_mb = int(lines[-1]) / 1024  # ru_maxrss is in KiB on Linux
    planned = int(next(line for line in lines if "jobs planned" in line).split()[0])
    return seconds, rss_mb, planned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            seconds, rss, planned = run_child(sweep_file(Path(tmp), size))
            rows.append({"count": size, "planned": planned, "seconds": seconds, "rss_mb": rss})
            print(
                f"plan {size:>9,} random jobs: {planned / seconds:8.0f} jobs/s, "
                f"{seconds:6.1f}s, peak RSS {rss:6.1f} MB",
                flush=True,
            )
    largest = max(rows, key=lambda r: r["count"])
    smallest = min(rows, key=lambda r: r["count"])
    ratio = largest["rss_mb"] / smallest["rss_mb"]
    verdict = "PASS" if largest["rss_mb"] < RSS_TARGET_MB else "MISS"
    print(
        f"plan_peak_rss_mb: {largest['rss_mb']:.1f} (target: < {RSS_TARGET_MB:.0f}) {verdict}; "
        f"RSS {largest['count']:,} vs {smallest['count']:,} jobs: {ratio:.2f}x"
    )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "rss_ratio": ratio}, indent=2) + "\n")


if __name__ == "__main__":
    main()
