"""9. Makespan of a driven sweep: how close `submit --max-running` comes to keeping
every place busy, cold and on warm pools.

Three sweeps, each against its own `sagesweep mock` process and run as a whole
`sagesweep submit` process with default options (but the cap), at the same time (they
spend a read a second or less each, so they hardly share the cores):

* **cold**: 200 jobs of 20-40 s, `--start-seconds 30` (the cold Starting phase), cap 10;
* **warm**: the same with `KeepAlivePeriodInSeconds: 60` in the template, so that a
  job can start on the pool a finished one left;
* **short**: 60 jobs of 1.5 s, no start phase, cap 5; and **short-rate10**, the same at
  `--rate 10` (the default 2 creates/s cannot refill 5 places every 1.5 s: that case is
  bound by the create rate, not by the polls).

From the mock's own timestamps afterwards: the ideal makespan, Σ (start + duration) /
cap (each job's CreationTime to TrainingEndTime); the refill lag (with the cap full,
the (cap+k)-th create takes the place of the k-th end); the Starting phase of jobs that
started on a pool against cold ones; and the read calls per second of the run (the
mock's counters over the submit's wall time, which is the makespan reported).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchlib.measure import Context, Line, Scenario
from benchlib.servers import SAGESWEEP
from benchlib.sweeps import minimal_template


@dataclass(frozen=True)
class Case:
    name: str
    jobs: int
    cap: int
    job_seconds: str
    start_seconds: str
    keep_alive: int | None = None
    rate: float | None = None  #: --rate; None: the default


def cases(ctx: Context) -> list[Case]:
    if ctx.quick:  # the same shape, a minute or so
        return [
            Case("cold", 40, 10, "4-8", "6"),
            Case("warm", 40, 10, "4-8", "6", keep_alive=30),
            Case("short", 30, 5, "1.5", "0"),
            Case("short-rate10", 30, 5, "1.5", "0", rate=10),
        ]
    return [
        Case("cold", 200, 10, "20-40", "30"),
        Case("warm", 200, 10, "20-40", "30", keep_alive=60),
        Case("short", 60, 5, "1.5", "0"),
        Case("short-rate10", 60, 5, "1.5", "0", rate=10),
    ]


def _sweep(folder: Path, case: Case) -> Path:
    request = minimal_template()
    if case.keep_alive is not None:
        request["ResourceConfig"]["KeepAlivePeriodInSeconds"] = case.keep_alive
    doc: dict[str, Any] = {
        "sweep": f"makespan-{case.name}",
        "template": request,
        "max_jobs": case.jobs,
        "parameters": {"HyperParameters.i": {"range": [0, case.jobs, 1]}},
    }
    path = folder / f"{case.name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/_mock/stats", timeout=30) as answer:
        data: dict[str, int] = json.load(answer)
    return data


def _jobs(url: str) -> list[dict[str, Any]]:
    import boto3

    sm = boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = sm.search(
            Resource="TrainingJob", MaxResults=100, **({"NextToken": token} if token else {})
        )
        found += [record["TrainingJob"] for record in page["Results"]]
        token = page.get("NextToken")
        if not token:
            return found


def run_case(folder: Path, case: Case) -> dict[str, Any]:
    """One sweep against its own mock; its measures."""
    mock = subprocess.Popen(
        [
            str(SAGESWEEP),
            "mock",
            "--job-seconds",
            case.job_seconds,
            "--start-seconds",
            case.start_seconds,
            "--seed",
            "1",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert mock.stdout is not None
        url = mock.stdout.readline().split()[-1]
        sweep = _sweep(folder, case)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t"}
        argv = [str(SAGESWEEP), "submit", str(sweep), "--endpoint-url", url]
        argv += ["--max-running", str(case.cap), "--quiet", "--no-progress"]
        argv += ["--ledger", str(folder / f"{case.name}.ledger.jsonl")]
        if case.rate is not None:
            argv += ["--rate", str(case.rate)]
        started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
        makespan = time.monotonic() - started
        if done.returncode != 0:
            raise RuntimeError(f"{case.name}: submit exited {done.returncode}: {done.stderr}")
        stats = _stats(url)
        jobs = _jobs(url)
    finally:
        mock.terminate()
        mock.wait(timeout=30)
    return _measures(case, jobs, stats, makespan)


def _measures(
    case: Case, jobs: list[dict[str, Any]], stats: dict[str, int], makespan: float
) -> dict[str, Any]:
    def seconds(job: dict[str, Any], key: str) -> float:
        value: float = job[key].timestamp()
        return value

    runs = [seconds(j, "TrainingEndTime") - seconds(j, "CreationTime") for j in jobs]
    ideal = sum(runs) / case.cap
    creates = sorted(seconds(j, "CreationTime") for j in jobs)
    ends = sorted(seconds(j, "TrainingEndTime") for j in jobs)
    lags = [c - e for c, e in zip(creates[case.cap :], ends, strict=False)]
    reused = {
        j["WarmPoolStatus"]["ReusedByJob"]
        for j in jobs
        if (j.get("WarmPoolStatus") or {}).get("ReusedByJob")
    }
    starting = {
        j["TrainingJobName"]: seconds(j, "TrainingStartTime") - seconds(j, "CreationTime")
        for j in jobs
    }
    warm = [s for name, s in starting.items() if name in reused]
    cold = [s for name, s in starting.items() if name not in reused]
    reads = stats["search_calls"] + stats["describe_calls"] + stats["list_calls"]
    return {
        "case": case.name,
        "jobs": len(jobs),
        "cap": case.cap,
        "job_seconds": case.job_seconds,
        "start_seconds": case.start_seconds,
        "keep_alive": case.keep_alive,
        "makespan_s": round(makespan, 2),
        "ideal_s": round(ideal, 2),
        "ratio": makespan / ideal,
        "lag_p50_s": statistics.median(lags),
        "lag_p95_s": statistics.quantiles(lags, n=20)[18] if len(lags) >= 20 else max(lags),
        "reads": reads,
        "reads_per_s": reads / makespan,
        "peak_in_progress": stats["peak_in_progress"],
        "warm_starts": len(reused),
        "warm_start_s": statistics.mean(warm) if warm else None,
        "cold_start_s": statistics.mean(cold) if cold else None,
    }


def run(ctx: Context) -> Scenario:
    chosen = cases(ctx)
    scenario = Scenario(
        "makespan",
        "Makespan of a driven sweep (mock: cold starts, warm pools)",
        "; ".join(
            f"{c.name}: {c.jobs} jobs of {c.job_seconds} s, start {c.start_seconds} s, "
            f"cap {c.cap}" + (f", keep-alive {c.keep_alive} s" if c.keep_alive else "")
            for c in chosen
        )
        + "; whole `sagesweep submit --max-running N` processes with default options, "
        "run at once, each against its own mock",
    )
    folder = ctx.workdir / "makespan"
    folder.mkdir(parents=True, exist_ok=True)
    results: dict[str, dict[str, Any]] = {}
    failures: list[BaseException] = []

    def one(case: Case) -> None:
        try:
            results[case.name] = run_case(folder, case)
        except BaseException as exc:  # reported by the runner below
            failures.append(exc)

    threads = [threading.Thread(target=one, args=(case,)) for case in chosen]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    cold, warm, short = results["cold"], results["warm"], results["short"]
    faster = results["short-rate10"]
    scenario.lines += [
        Line(
            "makespan.cold_vs_ideal",
            cold["ratio"],
            "x",
            "<=",
            1.05,
            note=f"{cold['makespan_s']:.0f} s vs ideal {cold['ideal_s']:.0f} s",
        ),
        Line(
            "makespan.refill_lag_p95_s",
            cold["lag_p95_s"],
            "s",
            "<=",
            2.0,
            note=f"p50 {cold['lag_p50_s']:.2f} s",
        ),
        Line(
            "makespan.read_calls_per_s",
            cold["reads_per_s"],
            "/s",
            "<=",
            1.0,
            note=f"{cold['reads']} reads, {60 * cold['reads_per_s']:.0f} a minute",
        ),
    ]
    if warm["warm_start_s"] is not None and warm["cold_start_s"]:
        scenario.lines.append(
            Line(
                "makespan.warm_start_vs_cold_start",
                warm["warm_start_s"] / warm["cold_start_s"],
                "x",
                "<=",
                0.2,
                note=f"Starting {warm['warm_start_s']:.2f} s on a pool vs "
                f"{warm['cold_start_s']:.1f} s cold; {warm['warm_starts']} of "
                f"{warm['jobs']} jobs started warm",
            )
        )
    scenario.lines += [
        Line(
            "makespan.warm_vs_cold_ideal",
            warm["makespan_s"] / cold["ideal_s"],
            "x",
            "<",
            1.0,
            note=f"{warm['makespan_s']:.0f} s with keep-alive vs the cold ideal "
            f"{cold['ideal_s']:.0f} s; {warm['ratio']:.2f}x its own ideal "
            f"{warm['ideal_s']:.0f} s",
        ),
        Line(
            "makespan.short_jobs_vs_ideal",
            short["ratio"],
            "x",
            "<=",
            1.5,
            note=f"{short['jobs']} x {short['job_seconds']} s at cap {short['cap']}: "
            f"{short['makespan_s']:.1f} s vs ideal {short['ideal_s']:.1f} s; lag p50 "
            f"{short['lag_p50_s']:.2f} s, p95 {short['lag_p95_s']:.2f} s; at the default "
            f"2 creates/s the {short['jobs']} creates alone take "
            f"{short['jobs'] / 2:.0f} s",
        ),
        Line(
            "makespan.short_jobs_rate10_vs_ideal",
            faster["ratio"],
            "x",
            "<=",
            1.5,
            note=f"the same at --rate 10: {faster['makespan_s']:.1f} s; lag p50 "
            f"{faster['lag_p50_s']:.2f} s, p95 {faster['lag_p95_s']:.2f} s",
        ),
    ]
    for result in (cold, warm, short, faster):
        scenario.context.append(
            f"{result['case']}: makespan {result['makespan_s']:.1f} s, ideal "
            f"{result['ideal_s']:.1f} s ({result['ratio']:.3f}x); refill lag p50 "
            f"{result['lag_p50_s']:.2f} s, p95 {result['lag_p95_s']:.2f} s; "
            f"{result['reads_per_s']:.2f} reads/s; peak running {result['peak_in_progress']}"
            + (f"; {result['warm_starts']} warm starts" if result["keep_alive"] else "")
        )
    scenario.runs += list(results.values())
    return scenario


if __name__ == "__main__":  # pragma: no cover - run through benchmarks/run.py
    sys.exit("run: .venv/bin/python benchmarks/run.py --only makespan")
