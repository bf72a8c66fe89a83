"""Early stopping on the mock's learning curves: what a rule saves, and what it costs.

For each seed, the same ``method: random`` sweep (same name, seed and space, so the
same 60 jobs, on a mock with the same seed, so the same fates and curves) runs twice,
each against its own mock, driven with 6 running:

* **plain**: no rule, every job runs out;
* **median**: ``early_stopping: {rule: median, min_steps: 3}``;
* **median-1**: the same rule with ``min_steps: 1``, the most a median rule can save;
* **tpe+hyperband**: ``method: tpe`` (its defaults: 10 startup points, the constant
  liar) with ``early_stopping: {rule: hyperband, min_resource: 1, max_resource: 10,
  reduction_factor: 3}``: other points than random's, so only its figures against
  plain's (not whether it stopped plain's best job) are meaningful.

Reported per seed and as medians over the seeds, from the mocks' own timestamps:

* the final best value of each;
* the **billable instance-seconds to reach within 1 % of plain's final best**: from the
  sweep's first job to the end of the first job whose final value is within 1 % of
  plain's best, every job's billable time up to that moment (running jobs' partial
  time included), and that of the median sweep against plain's;
* the billable instance-seconds of the whole sweep;
* whether the rule stopped the job that was best in the plain sweep;
* a **floor**: no case knows a final value before its first job completes, and its
  places bill meanwhile, so the cheapest case's first completed job, against plain's
  cost to reach, is the best ratio any case could show on that seed.

Every seed's two sweeps, and all seeds, run at once (each against its own mock): the
jobs mostly sleep. The curves need their points at least 1 s apart (a step is a 1 s
datapoint): 10 points over the Training phase (65 %) of jobs of 16-22 s.

Usage::

    .venv/bin/python benchmarks/early_bench.py [--seeds 5] [--count 60] [--max-running 6]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import boto3
import yaml

from benchlib.sweeps import minimal_template
from sagesweep.commands.submit import submit
from sagesweep.ledger.members import read_members
from sagesweep.logs import configure_logging
from sagesweep.mock import MockConfig, MockServer

RESULTS = Path(__file__).parent / "results" / "early_bench.json"
METRIC = "validation:auc"
SPACE = {
    "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.0001, "max": 1.0},
    "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 1, "max": 16},
    "HyperParameters.subsample": {"distribution": "uniform", "min": 0.3, "max": 1.0},
}
WITHIN = 0.01


#: Each case: what it sets on top of the plain random sweep.
CASES: dict[str, dict[str, Any]] = {
    "plain": {},
    "median": {"early_stopping": {"rule": "median", "min_steps": 3}},
    "tpe+hyperband": {
        "method": "tpe",
        "early_stopping": {
            "rule": "hyperband",
            "min_resource": 1,
            "max_resource": 10,
            "reduction_factor": 3,
        },
    },
    "median-1": {"early_stopping": {"rule": "median", "min_steps": 1}},
    # Not in the default run (``--cases`` picks them): other tunings tried.
    "median-2": {"early_stopping": {"rule": "median", "min_steps": 2}},
    "tpe5+median-2": {
        "method": "tpe",
        "tpe": {"n_startup_trials": 5},
        "early_stopping": {"rule": "median", "min_steps": 2},
    },
    "tpe5+asha": {
        "method": "tpe",
        "tpe": {"n_startup_trials": 5},
        "early_stopping": {"rule": "asha", "min_resource": 1, "reduction_factor": 3},
    },
}
DEFAULT_CASES = ("plain", "median", "median-1", "tpe+hyperband")


def sweep_file(folder: Path, seed: int, count: int, running: int, case: str) -> Path:
    template = minimal_template()
    template["AlgorithmSpecification"]["MetricDefinitions"] = [{"Name": METRIC, "Regex": "x"}]
    doc: dict[str, Any] = {
        "sweep": f"early-{seed}",
        "template": template,
        "method": "random",
        "count": count,
        "seed": seed,
        "max_running": running,
        "objective": {"metric": METRIC, "goal": "maximize"},
        "parameters": SPACE,
        **CASES[case],
    }
    where = folder / case / str(seed)
    where.mkdir(parents=True)
    path = where / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def jobs_of(server: MockServer) -> dict[str, dict[str, Any]]:
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
    )
    return {name: sm.describe_training_job(TrainingJobName=name) for name in server.jobs()}


def _epoch(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def spent_until(jobs: dict[str, dict[str, Any]], moment: float) -> float:
    """Instance-seconds billed by every job up to ``moment`` (training time)."""
    total = 0.0
    for job in jobs.values():
        start = _epoch(job.get("TrainingStartTime"))
        end = _epoch(job.get("TrainingEndTime")) or moment
        if start is not None and start < moment:
            total += (min(end, moment) - start) * job["ResourceConfig"]["InstanceCount"]
    return total


def final(job: dict[str, Any]) -> float | None:
    for entry in job.get("FinalMetricDataList") or ():
        if entry["MetricName"] == METRIC:
            return float(entry["Value"])
    return None


def to_reach(jobs: dict[str, dict[str, Any]], target: float) -> float | None:
    """Instance-seconds spent when the first job with a final value >= target ended."""
    ends = [
        end
        for job in jobs.values()
        if (value := final(job)) is not None
        and value >= target
        and (end := _epoch(job.get("TrainingEndTime"))) is not None
    ]
    return spent_until(jobs, min(ends)) if ends else None


async def run_case(path: Path, seed: int) -> tuple[dict[str, dict[str, Any]], set[str]]:
    config = MockConfig(job_seconds=(16.0, 22.0), seed=100 + seed, curve_points=10)
    with MockServer(config) as server:
        await submit(
            path,
            endpoint_url=server.url,
            poll=0.5,
            metric_poll=0.5,
            rate=50,
            summary=False,
            progress=False,
        )
        jobs = await anyio.to_thread.run_sync(jobs_of, server)
    sweep = f"early-{seed}"
    pruned = set(read_members(path.parent / f"{sweep}.ledger.jsonl", sweep).pruned)
    return jobs, pruned


def first_result(jobs: dict[str, dict[str, Any]]) -> float:
    """Instance-seconds spent when the sweep's first job completed: no case can know
    any final value sooner, so no case reaches a target for less (a floor)."""
    ends = [
        end
        for job in jobs.values()
        if job["TrainingJobStatus"] == "Completed"
        and (end := _epoch(job.get("TrainingEndTime"))) is not None
    ]
    return spent_until(jobs, min(ends)) if ends else float("nan")


async def one_seed(
    folder: Path, seed: int, count: int, running: int, cases: tuple[str, ...]
) -> dict[str, Any]:
    out: dict[str, Any] = {}

    async def case(name: str) -> None:
        out[name] = await run_case(sweep_file(folder, seed, count, running, name), seed)

    async with anyio.create_task_group() as tg:
        for name in cases:
            tg.start_soon(case, name)
    plain, _ = out["plain"]
    plain_values = {name: v for name, job in plain.items() if (v := final(job)) is not None}
    best = max(plain_values.values())
    target = best * (1 - WITHIN)
    plain_reach = to_reach(plain, target)
    best_job = max(plain_values, key=plain_values.__getitem__)
    row: dict[str, Any] = {
        "seed": seed,
        "plain_best": best,
        "plain_to_reach": plain_reach,
        "plain_total": spent_until(plain, float("inf")),
        "plain_first_result": first_result(plain),
    }
    for name in cases[1:]:
        jobs, pruned = out[name]
        values = [v for job in jobs.values() if (v := final(job)) is not None]
        reach = to_reach(jobs, target)
        row[name] = {
            "best": max(values) if values else None,
            "to_reach": reach,
            "ratio_to_reach": None
            if plain_reach is None or reach is None
            else round(reach / plain_reach, 3),
            "total": spent_until(jobs, float("inf")),
            "pruned": len(pruned),
            "first_result": first_result(jobs),
            "plain_best_job_pruned": best_job in pruned
            if CASES[name].get("method", "random") == "random"
            else None,
        }
    firsts = [row["plain_first_result"], *(row[name]["first_result"] for name in cases[1:])]
    row["floor_ratio"] = round(min(firsts) / plain_reach, 3) if plain_reach else None
    return row


async def main(seeds: int, count: int, running: int, cases: tuple[str, ...]) -> dict[str, Any]:
    configure_logging("console", quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="sagesweep-early-"))
    rows: list[dict[str, Any]] = []

    async def seed_run(seed: int) -> None:
        rows.append(await one_seed(folder, seed, count, running, cases))
        print(json.dumps(rows[-1]))

    async with anyio.create_task_group() as tg:
        for seed in range(1, seeds + 1):
            tg.start_soon(seed_run, seed)
    rows.sort(key=lambda r: r["seed"])
    summary: dict[str, Any] = {
        "count": count,
        "max_running": running,
        "seeds": rows,
        "median_plain_best": statistics.median(r["plain_best"] for r in rows),
        "target": "ratio_to_reach <= 0.33 for one rule, its final best within 1 %",
        # No case knows a final value before its first job completes, and its places
        # bill meanwhile: had that job reached the target, the cheapest case's first
        # result against plain's cost to reach is the best ratio any case could show.
        "median_floor_ratio": statistics.median(r["floor_ratio"] for r in rows),
    }
    for name in cases[1:]:
        # A seed that never reached the target counts as infinitely costly.
        ratios = [r[name]["ratio_to_reach"] or float("inf") for r in rows]
        bests = [r[name]["best"] for r in rows if r[name]["best"] is not None]
        summary[name] = {
            "median_best": statistics.median(bests) if bests else None,
            "median_ratio_to_reach": statistics.median(ratios) if ratios else None,
            "reached": f"{sum(1 for r in rows if r[name]['ratio_to_reach'])} of {len(rows)} seeds",
            "median_ratio_total": statistics.median(
                r[name]["total"] / r["plain_total"] for r in rows
            ),
            "within_1pct_of_plain_best": sum(
                1
                for r in rows
                if r[name]["best"] is not None and r[name]["best"] >= r["plain_best"] * 0.99
            ),
        }
        if CASES[name].get("method", "random") == "random":
            summary[name]["plain_best_job_pruned"] = sum(
                1 for r in rows if r[name]["plain_best_job_pruned"]
            )
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--max-running", type=int, default=6)
    parser.add_argument(
        "--cases",
        default=",".join(DEFAULT_CASES),
        help=f"comma-separated, plain first; of: {', '.join(CASES)}",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: its results go to the git-ignored results/quick/",
    )
    args = parser.parse_args()
    picked = tuple(args.cases.split(","))
    if picked[0] != "plain" or not set(picked) <= set(CASES):
        parser.error(f"--cases: plain first, then any of {', '.join(CASES)}")
    outcome = anyio.run(main, args.seeds, args.count, args.max_running, picked)
    print(json.dumps(outcome, indent=2))
    out = RESULTS.parent / "quick" / RESULTS.name if args.quick else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"results written to {out}")
