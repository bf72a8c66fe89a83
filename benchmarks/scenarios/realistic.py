"""2. Realistic target: the fault-free mock (moto + realism layer, own process).

sagesweep vs a raw aiobotocore gather loop vs a boto3 sequential loop vs boto3 with a
thread pool, on the same requests. The mock is reset before every run (the job names
are the same for every contender).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlib.contenders import (
    boto3_sequential,
    boto3_threads,
    raw_aiobotocore,
    sagesweep_submit,
)
from benchlib.measure import (
    Context,
    Line,
    Runner,
    Scenario,
    alternate,
    median_rate,
    median_ratio,
    quiet,
    run_dicts,
)
from benchlib.servers import mock_endpoint
from benchlib.sweeps import planned_requests, random_sweep

CONCURRENCY = 32
RATE = 1e6


def run(ctx: Context) -> Scenario:
    jobs = ctx.pick(200, 1500, 5000)
    reps = 3
    here = ctx.workdir / "realistic"
    sweep = random_sweep(here, jobs)
    requests = planned_requests(sweep)
    warm = random_sweep(here, 100, name="warm")
    warm_requests = planned_requests(warm)
    ledger = here / "ledger.jsonl"
    scenario = Scenario(
        "realistic",
        "Realistic target (fault-free mock)",
        f"{jobs} jobs, concurrency {CONCURRENCY} (boto3: {CONCURRENCY} threads, or 1), "
        f"{reps} reps; `sagesweep mock` in its own process, reset before every run",
    )
    with mock_endpoint() as endpoint:
        url = endpoint.url

        def contenders(
            sweep_path: Path, reqs: list[dict[str, Any]], n: int
        ) -> list[tuple[str, Runner]]:
            return [
                (
                    "sagesweep",
                    lambda: sagesweep_submit(url, sweep_path, n, CONCURRENCY, RATE, ledger),
                ),
                ("aiobotocore gather", lambda: raw_aiobotocore(url, reqs, CONCURRENCY)),
                ("boto3 sequential", lambda: boto3_sequential(url, reqs)),
                ("boto3 32 threads", lambda: boto3_threads(url, reqs, CONCURRENCY)),
            ]

        print("  warm-up")
        alternate(contenders(warm, warm_requests, 100), 1, endpoint, log=quiet)
        results = alternate(contenders(sweep, requests, jobs), reps, endpoint)
    ours = results["sagesweep"]
    scenario.lines += [
        Line(
            "realistic.sagesweep_vs_raw_aiobotocore",
            median_ratio(ours, results["aiobotocore gather"]),
            "x",
            ">=",
            0.95,
        ),
        Line(
            "realistic.sagesweep_vs_boto3_sequential",
            median_ratio(ours, results["boto3 sequential"]),
            "x",
            ">=",
            1.5,
        ),
    ]
    scenario.context.append(
        "median jobs/s: " + ", ".join(f"{k} {median_rate(v):.0f}" for k, v in results.items())
    )
    scenario.context.append(
        "sagesweep vs boto3 32 threads: "
        f"{median_ratio(ours, results['boto3 32 threads']):.2f}x (no target)"
    )
    scenario.runs += run_dicts(results, concurrency=CONCURRENCY)
    return scenario
