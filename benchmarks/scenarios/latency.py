"""3. Latency-bound: 100 ms per call, 32 in flight; the ideal is 320 jobs/s.

Shows whether sagesweep keeps every slot busy when the service, not the client, is
slow. Two views: the send phase as the endpoint saw it (calls between its first and
last call) and end to end (planning and validation included).
"""

from __future__ import annotations

import statistics

from benchlib.contenders import RunResult, raw_aiobotocore, sagesweep_submit
from benchlib.measure import Context, Line, Scenario, alternate, median_rate, quiet, run_dicts
from benchlib.servers import null_endpoint
from benchlib.sweeps import planned_requests, random_sweep

CONCURRENCY = 32
LATENCY_MS = 100.0
IDEAL = CONCURRENCY / (LATENCY_MS / 1000.0)
RATE = 1e6


def served(run: RunResult) -> float:
    """Calls per second between the endpoint's first and last call (n-1 intervals)."""
    span = float(run.server.get("span") or 0.0)
    calls = int(run.server.get("calls") or 0)
    # n calls in flight 32 at a time span (n/32 - 1) latencies: count the first wave too.
    return calls / (span + LATENCY_MS / 1000.0) if span > 0 else 0.0


def run(ctx: Context) -> Scenario:
    jobs = ctx.pick(320, 1920)
    reps = 3
    here = ctx.workdir / "latency"
    sweep = random_sweep(here, jobs)
    requests = planned_requests(sweep)
    warm = random_sweep(here, 64, name="warm")
    warm_requests = planned_requests(warm)
    ledger = here / "ledger.jsonl"
    scenario = Scenario(
        "latency",
        "Latency-bound (null endpoint + 100 ms)",
        f"{jobs} jobs, concurrency {CONCURRENCY}, {LATENCY_MS:.0f} ms added per call, "
        f"ideal {IDEAL:.0f}/s, {reps} reps",
    )
    with null_endpoint(LATENCY_MS) as endpoint:
        url = endpoint.url
        print("  warm-up")
        alternate(
            [
                ("sagesweep", lambda: sagesweep_submit(url, warm, 64, CONCURRENCY, RATE, ledger)),
                ("aiobotocore gather", lambda: raw_aiobotocore(url, warm_requests, CONCURRENCY)),
            ],
            1,
            endpoint,
            log=quiet,
        )
        results = alternate(
            [
                (
                    "sagesweep",
                    lambda: sagesweep_submit(url, sweep, jobs, CONCURRENCY, RATE, ledger),
                ),
                ("aiobotocore gather", lambda: raw_aiobotocore(url, requests, CONCURRENCY)),
            ],
            reps,
            endpoint,
        )
    ours, raw = results["sagesweep"], results["aiobotocore gather"]
    ours_served = statistics.median(served(r) for r in ours)
    scenario.lines.append(
        Line(
            "latency.sagesweep_end_to_end_vs_ideal",
            median_rate(ours) / IDEAL,
            "x",
            ">=",
            0.95,
            note=f"{median_rate(ours):.0f}/s of {IDEAL:.0f}/s (send phase {ours_served:.0f}/s)",
            row=3,
            label=f"latency-bound end to end ({LATENCY_MS:.0f} ms calls, c={CONCURRENCY}) vs ideal",
        )
    )
    scenario.context.append(
        "end to end includes planning, validation and client start; the send phase is "
        f"what the endpoint saw: {ours_served / IDEAL:.2f}x of ideal (no target)"
    )
    raw_served = statistics.median(served(r) for r in raw)
    scenario.context.append(
        f"aiobotocore gather for reference: send phase {raw_served / IDEAL:.2f}x, end to end "
        f"{median_rate(raw) / IDEAL:.2f}x of ideal"
    )
    scenario.runs += run_dicts(results, concurrency=CONCURRENCY)
    return scenario
