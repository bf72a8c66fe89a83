"""Early stopping on the mock's learning curves: what a rule saves, and what it costs.

For each seed, the same ``method: random`` sweep (same name, seed and space, so the
same 60 jobs, on a mock with the same seed, so the same fates and curves) runs twice,
each against its own mock, driven with 6 running:

* **plain**: no rule, every job runs out;
* **median**: ``early_stopping: {rule: median, min_steps: 3}``;
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
* whether the rule stopped the job that was best in the plain sweep.

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


CASES = ("plain", "median", "tpe+hyperband")


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
    }
    if case == "median":
        doc["early_stopping"] = {"rule": "median", "min_steps": 3}
    if case == "tpe+hyperband":
        doc["method"] = "tpe"
        doc["early_stopping"] = {
            "rule": "hyperband",
            "min_resource": 1,
            "max_resource": 10,
            "reduction_factor": 3,
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


async def one_seed(folder: Path, seed: int, count: int, running: int) -> dict[str, Any]:
    out: dict[str, Any] = {}

    async def case(name: str) -> None:
        out[name] = await run_case(sweep_file(folder, seed, count, running, name), seed)

    async with anyio.create_task_group() as tg:
        for name in CASES:
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
    }
    for name in CASES[1:]:
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
            "plain_best_job_pruned": best_job in pruned if name == "median" else None,
        }
    return row


async def main(seeds: int, count: int, running: int) -> dict[str, Any]:
    configure_logging("console", quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="sagesweep-early-"))
    rows: list[dict[str, Any]] = []

    async def seed_run(seed: int) -> None:
        rows.append(await one_seed(folder, seed, count, running))
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
    }
    for name in CASES[1:]:
        ratios = [r[name]["ratio_to_reach"] for r in rows if r[name]["ratio_to_reach"]]
        bests = [r[name]["best"] for r in rows if r[name]["best"] is not None]
        summary[name] = {
            "median_best": statistics.median(bests) if bests else None,
            "median_ratio_to_reach": statistics.median(ratios) if ratios else None,
            "reached": f"{len(ratios)} of {len(rows)} seeds",
            "median_ratio_total": statistics.median(
                r[name]["total"] / r["plain_total"] for r in rows
            ),
            "within_1pct_of_plain_best": sum(
                1
                for r in rows
                if r[name]["best"] is not None and r[name]["best"] >= r["plain_best"] * 0.99
            ),
        }
    summary["median"]["plain_best_job_pruned"] = sum(
        1 for r in rows if r["median"]["plain_best_job_pruned"]
    )
    return summary


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--max-running", type=int, default=6)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: its results go to the git-ignored results/quick/",
    )
    args = parser.parse_args()
    outcome = anyio.run(main, args.seeds, args.count, args.max_running)
    print(json.dumps(outcome, indent=2))
    out = RESULTS.parent / "quick" / RESULTS.name if args.quick else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"results written to {out}")
