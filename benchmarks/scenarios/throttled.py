"""7. Throttled: the mock's token bucket admits 20 calls/s (burst 5).

sagesweep starts at ``--rate 100`` and must find the limit by itself; the baseline is
the same gather loop with botocore's ``adaptive`` retry mode (client-side rate limiter
plus retries). Goodput = jobs created per second of wall clock; the throttled fraction
is the mock's ``throttled / create_calls``. The mock's ``created`` counter is sampled
every 0.5 s for the chart.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchlib.contenders import RunResult, aiobotocore_adaptive, sagesweep_submit
from benchlib.measure import Context, Line, Runner, Scenario, alternate, quiet, run_dicts
from benchlib.servers import CreatedSampler, Endpoint, mock_endpoint
from benchlib.sweeps import planned_requests, random_sweep

LIMIT = 20.0
BURST = 5
RATE = 100.0
CONCURRENCY = 16


def goodput(run: RunResult) -> float:
    return int(run.server.get("created", 0)) / run.elapsed


def throttled_fraction(run: RunResult) -> float:
    calls = int(run.server.get("create_calls", 0))
    return int(run.server.get("throttled", 0)) / calls if calls else 0.0


def run(ctx: Context) -> Scenario:
    jobs = ctx.pick(50, 200)
    reps = ctx.pick(1, 2)  # each run takes seconds at 20/s: not in the headline, kept cheap
    here = ctx.workdir / "throttled"
    sweep = random_sweep(here, jobs)
    requests = planned_requests(sweep)
    warm = random_sweep(here, 10, name="warm")
    warm_requests = planned_requests(warm)
    ledger = here / "ledger.jsonl"
    timelines: dict[str, list[tuple[float, float]]] = {}
    scenario = Scenario(
        "throttled",
        "Throttled (mock token bucket 20/s, burst 5)",
        f"{jobs} jobs, concurrency {CONCURRENCY}, sagesweep --rate {RATE:g}; baseline: "
        f"aiobotocore gather with retries mode=adaptive; {reps} reps",
    )
    options = ("--throttle-rate", str(LIMIT), "--throttle-burst", str(BURST))
    with mock_endpoint(*options) as endpoint:
        url = endpoint.url

        def contenders(
            sweep_path: Path, reqs: list[dict[str, Any]], n: int, sample: bool
        ) -> list[tuple[str, Runner]]:
            ours = lambda: sagesweep_submit(url, sweep_path, n, CONCURRENCY, RATE, ledger)  # noqa: E731
            theirs = lambda: aiobotocore_adaptive(url, reqs, CONCURRENCY)  # noqa: E731
            if not sample:
                return [("sagesweep", ours), ("aiobotocore adaptive", theirs)]
            return [
                ("sagesweep", _sampled(endpoint, "sagesweep", ours, timelines)),
                (
                    "aiobotocore adaptive",
                    _sampled(endpoint, "botocore adaptive", theirs, timelines),
                ),
            ]

        print("  warm-up")
        alternate(contenders(warm, warm_requests, 10, False), 1, endpoint, log=quiet)
        results = alternate(contenders(sweep, requests, jobs, True), reps, endpoint)
    ours, theirs = results["sagesweep"], results["aiobotocore adaptive"]
    ours_goodput = statistics.median(goodput(r) for r in ours)
    ratio = statistics.median(goodput(a) / goodput(b) for a, b in zip(ours, theirs, strict=True))
    scenario.lines += [
        Line(
            "throttled.sagesweep_goodput_vs_limit",
            ours_goodput / LIMIT,
            "x",
            ">=",
            0.9,
            note=f"{ours_goodput:.1f} jobs/s",
        ),
        Line(
            "throttled.sagesweep_throttled_calls",
            100 * statistics.median(throttled_fraction(r) for r in ours),
            "%",
            "<=",
            10.0,
        ),
        Line("throttled.sagesweep_vs_botocore_adaptive_goodput", ratio, "x", ">=", 1.0),
    ]
    scenario.context.append(
        f"botocore adaptive: goodput {statistics.median(goodput(r) for r in theirs):.1f}/s, "
        f"throttled {100 * statistics.median(throttled_fraction(r) for r in theirs):.1f}% "
        "of calls"
    )
    scenario.runs += run_dicts(results, concurrency=CONCURRENCY)
    scenario.series["throttled_rate_over_time"] = {"limit": LIMIT, "rates": timelines}
    return scenario


def _sampled(
    endpoint: Endpoint, label: str, run: Runner, timelines: dict[str, list[tuple[float, float]]]
) -> Callable[[], RunResult]:
    """Run ``run`` with the created-counter sampler on; keep the first repetition's line."""

    def wrapped() -> RunResult:
        with CreatedSampler(endpoint) as sampler:
            result = run()
        timelines.setdefault(label, sampler.rates())
        return result

    return wrapped
