"""2. Realistic target: the fault-free mock (moto + realism layer, own process).

sagesweep vs a raw aiobotocore gather loop on the same requests. The mock is reset
before every run (the job names are the same for both). The mock's own speed against
plain moto with boto3 threads is the ``mockspeed`` scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchlib.contenders import raw_aiobotocore, sagesweep_submit
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
    # Full: the 5,000 jobs a sweep against the mock was first benchmarked with; a run of
    # a second or two would mostly measure start-up (client, planning process).
    jobs = ctx.pick(300, 5000)
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
        f"{jobs} jobs, concurrency {CONCURRENCY}, {reps} reps; `sagesweep mock` in its own "
        "process, reset before every run",
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
            ]

        print("  warm-up")
        alternate(contenders(warm, warm_requests, 100), 1, endpoint, log=quiet)
        results = alternate(contenders(sweep, requests, jobs), reps, endpoint)
    ours, raw = results["sagesweep"], results["aiobotocore gather"]
    scenario.lines.append(
        Line(
            "realistic.sagesweep_vs_raw_aiobotocore",
            median_ratio(ours, raw),
            "x",
            ">=",
            1.0,
            note=f"sagesweep {median_rate(ours):.0f}/s vs aiobotocore gather "
            f"{median_rate(raw):.0f}/s",
            row=2,
            label=f"realistic: sagesweep / raw aiobotocore on the mock, {jobs:,} jobs, "
            f"c={CONCURRENCY}",
        )
    )
    scenario.runs += run_dicts(results, concurrency=CONCURRENCY)
    return scenario
