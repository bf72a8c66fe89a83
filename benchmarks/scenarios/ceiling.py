"""1. Engine ceiling: sagesweep vs a raw aiobotocore gather loop on an instant endpoint.

The endpoint (benchlib/nullserver.py, its own process) answers at once, so the client
is the bottleneck: this measures what sagesweep's pipeline (plan, validate, name,
ledger with fsync, logging, limiter) costs on top of the HTTP client it wraps. Also
sweeps the concurrency for the chart (on a smaller sweep: the chart shows a shape).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchlib.contenders import RunResult, raw_aiobotocore, sagesweep_submit
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
from benchlib.servers import null_endpoint
from benchlib.sweeps import planned_requests, random_sweep

CONCURRENCY = 32
#: High enough that the limiter never waits: a one-call bucket drained at 1e6/s lets
#: any two calls more than a microsecond apart through without awaiting.
RATE = 1e6
CURVE = (1, 4, 16, 64)
QUICK_CURVE = (1, 64)
TARGET = 1.0
#: What --report may cost: the ceiling with it at least this share of the one without.
REPORT_TARGET = 0.95
BAR = 0.9  # the floor below which a change to the engine is a regression


def run(ctx: Context) -> Scenario:
    jobs = ctx.pick(1500, 20_000)  # quick: enough that per-run start-up costs fade
    reps = 3
    curve_jobs = ctx.pick(150, 5000)
    here = ctx.workdir / "ceiling"
    sweep = random_sweep(here, jobs)
    requests = planned_requests(sweep)
    curve_sweep = random_sweep(here, curve_jobs, name="curve")
    curve_requests = planned_requests(curve_sweep)
    warm = random_sweep(here, 200, name="warm")
    warm_requests = planned_requests(warm)
    ledger = here / "ledger.jsonl"
    scenario = Scenario(
        "ceiling",
        "Engine ceiling (null endpoint)",
        f"{jobs} jobs, concurrency {CONCURRENCY}, sagesweep --rate {RATE:g}, "
        f"{reps} reps; endpoint: raw asyncio HTTP/1.1 keep-alive server, own process",
    )
    with null_endpoint() as endpoint:
        url = endpoint.url

        def contenders(
            sweep_path: Path, reqs: list[dict[str, Any]], n: int, conc: int
        ) -> list[tuple[str, Runner]]:
            return [
                ("sagesweep", lambda: sagesweep_submit(url, sweep_path, n, conc, RATE, ledger)),
                ("aiobotocore gather", lambda: raw_aiobotocore(url, reqs, conc)),
            ]

        print("  warm-up")
        alternate(contenders(warm, warm_requests, 200, CONCURRENCY), 1, endpoint, log=quiet)
        report = here / "report.json"
        headline_runs = [
            *contenders(sweep, requests, jobs, CONCURRENCY),
            (
                "sagesweep --report",
                lambda: sagesweep_submit(
                    url, sweep, jobs, CONCURRENCY, RATE, ledger, report=report
                ),
            ),
        ]
        results = alternate(headline_runs, reps, endpoint)
        measured = results.pop("sagesweep --report")
        curve: dict[str, list[tuple[int, float]]] = {"sagesweep": [], "aiobotocore gather": []}
        # Every point of the curve is a run of the same size (the headline run is larger,
        # and start-up weighs less in it): one size, one curve.
        for conc in sorted({*(QUICK_CURVE if ctx.quick else CURVE), CONCURRENCY}):
            got = alternate(contenders(curve_sweep, curve_requests, curve_jobs, conc), 1, endpoint)
            point = {k: median_rate(v) for k, v in got.items()}
            scenario.runs += run_dicts(got, concurrency=conc)
            for name, rate in point.items():
                curve[name].append((conc, rate))
    ours, raw = results["sagesweep"], results["aiobotocore gather"]
    ratio = median_ratio(ours, raw)
    scenario.lines.append(
        Line(
            "ceiling.sagesweep_vs_raw_aiobotocore",
            ratio,
            "x",
            ">=",
            TARGET,
            note=f"sagesweep {median_rate(ours):.0f}/s vs aiobotocore gather "
            f"{median_rate(raw):.0f}/s; bar {BAR:.2f}x: " + ("met" if ratio >= BAR else "NOT met"),
            row=1,
            label=f"engine ceiling: sagesweep / raw aiobotocore `gather`, null endpoint, "
            f"{jobs:,} jobs, c={CONCURRENCY}",
        )
    )
    with_report = median_ratio(measured, ours)
    scenario.lines.append(
        Line(
            "ceiling.with_report_vs_without",
            with_report,
            "x",
            ">=",
            REPORT_TARGET,
            note=f"sagesweep --report {median_rate(measured):.0f}/s vs "
            f"{median_rate(ours):.0f}/s without, alternated in one run",
        )
    )
    scenario.context += [
        f"sagesweep {median_rate(ours):.0f} jobs/s, aiobotocore gather {median_rate(raw):.0f}"
        " jobs/s (wall clock, client creation to last answer, median)",
        "send phase as the server saw it (calls / first-to-last call): "
        + ", ".join(f"{k} {_served(v):.0f}/s" for k, v in results.items()),
    ]
    scenario.runs += run_dicts(results, concurrency=CONCURRENCY)
    scenario.series["throughput_vs_concurrency"] = curve
    scenario.series["throughput_vs_concurrency_jobs"] = curve_jobs
    return scenario


def _served(runs: Sequence[RunResult]) -> float:
    rates = sorted(r.server["calls"] / r.server["span"] for r in runs if r.server.get("span"))
    return rates[len(rates) // 2] if rates else 0.0
