"""Ledger load speed: how long resume takes to read a big ledger.

Generates a ledger of N job records (default 1,000,000; realistic params, a few
status changes, failed records with errors) in a temporary directory, and a twin with
the same records and byte count whose lines put ``"ts"`` before ``"event"``: the
loader's fast path (parse only the head of lines our writer spelled) takes every line
of the first and none of the second, which is parsed with ``json.loads`` line by line.
Both are loaded by the same function in the same run; it prints both and their ratio.

    .venv/bin/python benchmarks/ledger_bench.py [--lines N] [--repeat R] [--out FILE]

The machine is shared and has 2 cores: read the ratio; absolute seconds are context.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sagesweep.ledger.read import scan_ledger
from sagesweep.ledger.records import JobRecord, JobStatus, job_line

#: A fixed run record (run_line stamps the time, whose length varies).
RUN_START = (
    b'{"event":"run","phase":"start","ts":1700000000.0,"sweep":"xgb-churn",'
    b'"tool_version":"bench","counts":{}}\n'
)


def generate(path: Path, lines: int, *, fast: bool, seed: int = 0) -> int:
    """Write ``lines`` job records the way the writer does; returns the file size.

    ``fast=False`` writes the same records with ``"ts"`` first, so no line takes the
    loader's fast path.
    """
    rng = random.Random(seed)
    statuses = [JobStatus.SUBMITTED] * 8 + [JobStatus.EXISTS, JobStatus.FAILED]
    with path.open("wb") as out:
        # Every ledger starts with a run record (the loader refuses other files).
        out.write(RUN_START)
        chunk: list[bytes] = []
        for i in range(lines):
            # ~1 in 10 lines re-records an earlier job (retries, resumes): last one wins.
            job = rng.randrange(i) if i and rng.random() < 0.1 else i
            name = f"xgb-churn-{job:010d}"
            status = rng.choice(statuses)
            rec = JobRecord(
                name=name,
                digest=f"{job:010d}",
                status=status,
                arn=None
                if status is JobStatus.FAILED
                else f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}",
                attempts=rng.randint(1, 3),
                params={
                    "HyperParameters.eta": str(round(rng.uniform(0.01, 0.3), 6)),
                    "HyperParameters.max_depth": str(rng.randint(3, 10)),
                    "HyperParameters.subsample": str(round(rng.uniform(0.5, 1), 6)),
                    "HyperParameters.booster": rng.choice(["gbtree", "dart"]),
                    "ResourceConfig.InstanceType": rng.choice(["ml.m5.xlarge", "ml.c5.2xlarge"]),
                    "Environment.API_TOKEN": "secret",
                },
                error=("ValidationException", "Invalid hyperparameter value")
                if status is JobStatus.FAILED
                else None,
                ts=1_700_000_000.0 + i * 0.01,
            )
            line = job_line(rec)
            if not fast:
                # Same record and length, another key order: the fast path's regex misses.
                obj = json.loads(line)
                line = json.dumps({"ts": obj.pop("ts"), **obj}, separators=(",", ":")).encode()
                line += b"\n"
            chunk.append(line)
            if len(chunk) >= 10_000:
                out.write(b"".join(chunk))
                chunk.clear()
        out.write(b"".join(chunk))
    return path.stat().st_size


def timed(path: Path, *, repeat: int) -> tuple[float, int]:
    runs = []
    jobs = 0
    for _ in range(repeat):
        start = time.perf_counter()
        scan = scan_ledger(path)
        runs.append(time.perf_counter() - start)
        jobs = len(scan.jobs)
    return statistics.median(runs), jobs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="also write results as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.ledger.jsonl"
        full_path = Path(tmp) / "bench-ts-first.ledger.jsonl"
        start = time.perf_counter()
        size = generate(path, args.lines, fast=True)
        gen_s = time.perf_counter() - start
        full_size = generate(full_path, args.lines, fast=False)
        assert full_size == size, (full_size, size)
        # Warm the page cache so both variants read from memory, not the disk.
        timed(path, repeat=1)
        fast_s, jobs = timed(path, repeat=args.repeat)
        # Linux reports KiB. Peak of the process so far: generation streams, so this
        # is essentially the loaded state.
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        timed(full_path, repeat=1)
        full_s, jobs_full = timed(full_path, repeat=args.repeat)
        assert jobs == jobs_full, (jobs, jobs_full)
    rows = [
        ("fast (head only)", fast_s, args.lines / fast_s, 1.0),
        ("full json.loads", full_s, args.lines / full_s, full_s / fast_s),
    ]
    print(
        f"ledger: {args.lines:,} lines, {size / 1e6:.0f} MB, {jobs:,} distinct jobs "
        f"(generated in {gen_s:.1f}s); median of {args.repeat}; "
        f"python {sys.version.split()[0]}, {os.cpu_count()} cpus (shared, noisy)"
    )
    print(f"{'variant':<18} {'seconds':>8} {'lines/s':>12} {'x fast':>7}")
    for label, seconds, per_s, ratio in rows:
        print(f"{label:<18} {seconds:>8.2f} {per_s:>12,.0f} {ratio:>7.2f}")
    print(f"peak RSS after the fast loads: {peak_mb:,.0f} MB")
    if args.out is not None:
        args.out.write_text(
            json.dumps(
                {
                    "lines": args.lines,
                    "bytes": size,
                    "jobs": jobs,
                    "fast_seconds": fast_s,
                    "full_seconds": full_s,
                    "full_over_fast": full_s / fast_s,
                    "peak_rss_mb": peak_mb,
                },
                indent=2,
            )
            + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
