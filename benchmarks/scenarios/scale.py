"""5. Scale: plan a million jobs, submit many to the null endpoint, load a big ledger.

Every measurement runs in its own child process, with that child's peak RSS from
``wait4`` (see benchlib/proc.py). Planning is judged by its rate and by its absolute
peak RSS; submitting by flat memory against a run ten times smaller (streaming means the
two peaks are about the same). The ledger-load bound is ours.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchlib import ledgerload
from benchlib.measure import Context, Line, Scenario
from benchlib.proc import checked, measure
from benchlib.servers import SAGESWEEP, null_endpoint
from benchlib.sweeps import random_sweep

PLAN_RATE_TARGET = 20_000.0  # jobs/s: a million jobs planned in under a minute
PLAN_RSS_TARGET_MB = 200.0
LEDGER_SECONDS_TARGET = 10.0  # a million-line ledger loaded for resume


def plan(ctx: Context, scenario: Scenario) -> None:
    jobs = ctx.pick(20_000, 1_000_000)
    sweep = random_sweep(ctx.workdir / "scale", jobs, name="scale")
    argv = [str(SAGESWEEP), "plan", str(sweep), "--format", "jsonl"]
    got = checked(measure(argv), f"plan {jobs}")
    print(f"  plan {jobs:>9} jobs: {got.seconds:7.1f} s, peak RSS {got.peak_rss_mb:.0f} MB")
    rate = jobs / got.seconds
    label = f"plan rate and peak RSS, {jobs:,} random jobs"
    scenario.lines += [
        Line(
            "scale.plan_rate",
            rate,
            "/s",
            ">=",
            PLAN_RATE_TARGET,
            note=f"{jobs:,} jobs in {got.seconds:.1f} s",
            row=5,
            label=label,
        ),
        Line(
            "scale.plan_peak_rss",
            got.peak_rss_mb,
            "MB",
            "<",
            PLAN_RSS_TARGET_MB,
            row=5,
            label=label,
        ),
    ]
    scenario.context.append(
        f"plan: `sagesweep plan --format jsonl` of {jobs:,} jobs to /dev/null, process start "
        "included; peak RSS of that whole process"
    )
    scenario.runs.append({"measure": "plan", "jobs": jobs, **vars(got)})


def submit(ctx: Context, scenario: Scenario) -> None:
    big = ctx.pick(2_000, 10_000)
    here = ctx.workdir / "scale"
    runs = {}
    with null_endpoint() as endpoint:
        for n in (big // 10, big):
            sweep = random_sweep(here, n, name="scalesub")
            ledger = here / f"submit-{n}.ledger.jsonl"
            argv = [
                str(SAGESWEEP),
                "submit",
                str(sweep),
                "--endpoint-url",
                endpoint.url,
                "--rate",
                "1000000",
                "--concurrency",
                "32",
                "--ledger",
                str(ledger),
                "--quiet",
                "--no-progress",
            ]
            runs[n] = checked(measure(argv), f"submit {n}")
            print(
                f"  submit {n:>7} jobs: {runs[n].seconds:7.1f} s, "
                f"peak RSS {runs[n].peak_rss_mb:.0f} MB"
            )
            ledger.unlink(missing_ok=True)
    scenario.lines.append(
        Line(
            f"scale.submit_peak_rss_{big}_vs_{big // 10}",
            runs[big].peak_rss_mb / runs[big // 10].peak_rss_mb,
            "x",
            "<=",
            1.2,
            note=f"{runs[big].peak_rss_mb:.0f} MB vs {runs[big // 10].peak_rss_mb:.0f} MB",
        )
    )
    scenario.context.append(
        f"submit {big} jobs to the null endpoint (CLI, --concurrency 32): "
        f"{runs[big].seconds:.1f} s = {big / runs[big].seconds:.0f} jobs/s end to end"
    )
    scenario.runs += [{"measure": "submit", "jobs": n, **vars(r)} for n, r in runs.items()]


def ledger(ctx: Context, scenario: Scenario) -> None:
    lines = ctx.pick(100_000, 1_000_000)
    path = ctx.workdir / "scale" / "big.ledger.jsonl"
    ledgerload.write_ledger(path, lines)
    argv = [sys.executable, str(Path(ledgerload.__file__)), str(path)]
    run = checked(measure(argv, stdout=path.with_suffix(".out")), "ledger load")
    seconds = float(path.with_suffix(".out").read_text().split()[0])
    scenario.lines.append(
        Line(
            f"scale.ledger_load_{lines}_lines_seconds",
            seconds,
            "s",
            "<=",
            LEDGER_SECONDS_TARGET * lines / 1_000_000,
            note=f"load_ledger(), peak RSS {run.peak_rss_mb:.0f} MB, "
            f"file {path.stat().st_size / 2**20:.0f} MB",
        )
    )
    scenario.runs.append(
        {
            "measure": "ledger_load",
            "lines": lines,
            "seconds": seconds,
            "peak_rss_mb": run.peak_rss_mb,
        }
    )
    path.unlink()


def run(ctx: Context) -> Scenario:
    scenario = Scenario(
        "scale", "Scale", "each measurement in its own process; peak RSS from wait4"
    )
    plan(ctx, scenario)
    submit(ctx, scenario)
    ledger(ctx, scenario)
    return scenario
