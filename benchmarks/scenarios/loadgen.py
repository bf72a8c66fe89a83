"""The load generator itself, as a whole process: what a load test's client costs.

In a load test sagesweep *is* the client, and a short run shows its start-up. Two
measures, each of whole processes timed from spawn to exit (benchlib/proc.py):

* ``sagesweep submit`` of 6,000 jobs to the null endpoint against a raw aiobotocore
  ``gather`` loop handed the same requests ready-made (benchlib/rawloop.py), both with
  32 calls in flight, alternated, median of the repetitions. sagesweep also plans,
  validates every job before the first call, names, keeps the ledger and limits.
* ``sagesweep plan --format jsonl`` of a realistic sweep: its request in a
  ``template_file``, two channels, managed spot, a checkpoint per job, metric
  definitions, tags and four swept values (benchlib/sweeps.py ``realistic_sweep``).

The mock's own speed against ``moto_server`` is the ``mockspeed`` scenario's line.
"""

from __future__ import annotations

import pickle
import statistics
import sys
from pathlib import Path

from benchlib import rawloop
from benchlib.measure import Context, Line, Scenario
from benchlib.proc import checked, measure
from benchlib.servers import SAGESWEEP, null_endpoint
from benchlib.sweeps import planned_requests, random_sweep, realistic_sweep

CONCURRENCY = 32
WHOLE_TARGET = 1.0
PLAN_TARGET = 20_000.0


def whole_process(ctx: Context, scenario: Scenario) -> None:
    jobs = ctx.pick(1500, 6000)
    reps = ctx.pick(2, 5)
    here = ctx.workdir / "loadgen"
    sweep = random_sweep(here, jobs, name="loadgen")
    requests = here / "requests.pickle"
    requests.write_bytes(pickle.dumps(planned_requests(sweep)))
    ledger = here / "loadgen.ledger.jsonl"
    times: dict[str, list[float]] = {"sagesweep": [], "raw": []}
    with null_endpoint() as endpoint:
        ours = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", endpoint.url]
        ours += ["--rate", "1000000", "--concurrency", str(CONCURRENCY), "--ledger", str(ledger)]
        ours += ["--quiet", "--no-progress"]
        raw = [sys.executable, str(Path(rawloop.__file__)), endpoint.url, str(requests)]
        raw.append(str(CONCURRENCY))
        runs = {"sagesweep": ours, "raw": raw}
        for rep in range(reps + 1):  # the first round warms the disk cache up
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for name in order:
                ledger.unlink(missing_ok=True)
                got = checked(measure(runs[name]), name)
                if rep:
                    times[name].append(got.seconds)
    ours_s, raw_s = statistics.median(times["sagesweep"]), statistics.median(times["raw"])
    print(f"  whole process, {jobs} jobs: sagesweep {ours_s:.2f} s, raw loop {raw_s:.2f} s")
    scenario.lines.append(
        Line(
            f"loadgen.whole_process_vs_raw_{jobs}",
            raw_s / ours_s,
            "x",
            ">=",
            WHOLE_TARGET,
            note=f"sagesweep submit {ours_s:.2f} s vs raw aiobotocore gather {raw_s:.2f} s, "
            f"spawn to exit, median of {reps}",
        )
    )
    scenario.runs.append({"measure": "whole_process", "jobs": jobs, **times})


def realistic_plan(ctx: Context, scenario: Scenario) -> None:
    jobs = ctx.pick(20_000, 200_000)
    reps = 3
    sweep = realistic_sweep(ctx.workdir / "loadgen", jobs)
    argv = [str(SAGESWEEP), "plan", str(sweep), "--format", "jsonl"]
    seconds = statistics.median(checked(measure(argv), f"plan {jobs}").seconds for _ in range(reps))
    rate = jobs / seconds
    print(f"  plan the realistic sweep, {jobs} jobs: {seconds:.2f} s, {rate:.0f} jobs/s")
    scenario.lines.append(
        Line(
            "loadgen.realistic_plan_rate",
            rate,
            "/s",
            ">=",
            PLAN_TARGET,
            note=f"{jobs:,} jobs in {seconds:.2f} s, process start included, median of {reps}",
        )
    )
    scenario.runs.append({"measure": "realistic_plan", "jobs": jobs, "seconds": seconds})


def run(ctx: Context) -> Scenario:
    scenario = Scenario(
        "loadgen",
        "The load generator (whole processes)",
        f"concurrency {CONCURRENCY}; null endpoint in its own process; each figure a "
        "median of alternated whole-process runs",
    )
    whole_process(ctx, scenario)
    realistic_plan(ctx, scenario)
    return scenario
