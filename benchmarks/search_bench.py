"""TPE against random search on the mock's synthetic objective, both driven by sagesweep.

For each seed, one ``method: tpe`` sweep and one ``method: random`` sweep of the same
``count`` run to the end against the mock (random with ``--until-done``, so both go
through the driver), and their results are read back with ``sagesweep.results``. Reported,
as medians over the seeds: the best value each reached, and how many jobs (in creation
order) TPE needed to reach random's final best. The objective is the mock's documented
one (``sagesweep.mock.objective``): smooth, one best region, a little per-job noise.

Usage::

    .venv/bin/python benchmarks/search_bench.py [--seeds 5] [--count 30 --count 60]
        [--max-running 5]

``tpe`` runs with its defaults: Optuna's 10 random startup points, and ``constant_liar``
on, as it is whenever more than one job runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import anyio
import yaml

import sagesweep as operate
from benchlib.sweeps import minimal_template
from sagesweep.commands.submit import submit
from sagesweep.logs import configure_logging
from sagesweep.mock import MockConfig, MockServer

RESULTS = Path(__file__).parent / "results" / "search_bench.json"
METRIC = "validation:auc"
SPACE = {
    "HyperParameters.eta": {"distribution": "log_uniform", "min": 0.0001, "max": 1.0},
    "HyperParameters.max_depth": {"distribution": "int_uniform", "min": 1, "max": 16},
    "HyperParameters.subsample": {"distribution": "uniform", "min": 0.3, "max": 1.0},
    "HyperParameters.alpha": {"distribution": "log_uniform", "min": 0.0001, "max": 10.0},
}


#: The tpe: key of the tpe sweeps (--no-liar turns constant_liar off).
TPE_OPTIONS: dict[str, Any] = {}


def sweep_file(folder: Path, method: str, seed: int, count: int, running: int) -> Path:
    doc: dict[str, Any] = {
        "sweep": f"{method}-{seed}",
        "template": minimal_template(),
        "method": method,
        "count": count,
        "seed": seed,
        "max_running": running,
        "objective": {"metric": METRIC, "goal": "maximize"},
        "parameters": SPACE,
    }
    if method == "tpe" and TPE_OPTIONS:
        doc["tpe"] = dict(TPE_OPTIONS)
    path = folder / f"{method}-{seed}-{count}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


async def values_in_order(path: Path, url: str) -> list[float]:
    await submit(path, endpoint_url=url, poll=0.1, rate=500, summary=False, until_done=True)
    table = await operate.results(path, endpoint_url=url, read_rate=500)
    by_name = {row.name: row.metrics.get(METRIC) for row in table.rows}
    return [v for name in table.created if (v := by_name.get(name)) is not None]


def jobs_to_reach(values: list[float], target: float) -> int | None:
    for number, value in enumerate(values, 1):
        if value >= target:
            return number
    return None


async def main(seeds: int, count: int, running: int) -> dict[str, Any]:
    configure_logging("console", quiet=True)
    folder = Path(tempfile.mkdtemp(prefix="sagesweep-search-"))
    rows = []
    with MockServer(MockConfig(job_seconds=(0.05, 0.2), seed=11)) as server:
        for seed in range(1, seeds + 1):
            tpe = await values_in_order(sweep_file(folder, "tpe", seed, count, running), server.url)
            rnd = await values_in_order(
                sweep_file(folder, "random", seed, count, running), server.url
            )
            target = max(rnd)
            rows.append(
                {
                    "seed": seed,
                    "tpe_best": max(tpe),
                    "random_best": target,
                    "tpe_jobs_to_random_best": jobs_to_reach(tpe, target),
                }
            )
            print(json.dumps(rows[-1]))
    reached = [r["tpe_jobs_to_random_best"] or count * 2 for r in rows]
    result = {
        "count": count,
        "max_running": running,
        "seeds": rows,
        "median_tpe_best": statistics.median(r["tpe_best"] for r in rows),
        "median_random_best": statistics.median(r["random_best"] for r in rows),
        "median_tpe_jobs_to_random_best": statistics.median(reached),
        "ratio_jobs_tpe_vs_random": round(statistics.median(reached) / count, 3),
    }
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--count", type=int, action="append", help="repeatable; default 60")
    parser.add_argument("--max-running", type=int, default=5)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a short run: its results go to the git-ignored results/quick/",
    )
    parser.add_argument(
        "--no-liar",
        action="store_true",
        help="tpe without constant_liar (results to search_bench_no_liar.json)",
    )
    args = parser.parse_args()
    if args.no_liar:
        TPE_OPTIONS["constant_liar"] = False
    outcome: dict[str, Any] = {
        "max_running": args.max_running,
        "constant_liar": not args.no_liar,
        "by_count": {},
    }
    for count in args.count or [60]:
        outcome["by_count"][str(count)] = anyio.run(main, args.seeds, count, args.max_running)
    print(json.dumps(outcome, indent=2))
    # A quick run never replaces the committed full-run results.
    name = "search_bench_no_liar.json" if args.no_liar else RESULTS.name
    out = RESULTS.parent / "quick" / name if args.quick else RESULTS.parent / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(outcome, indent=2) + "\n")
    print(f"results written to {out}")
