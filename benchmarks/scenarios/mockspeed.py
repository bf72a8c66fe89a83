"""4. The mock's own speed: ``sagesweep mock`` against plain ``moto_server``.

CreateTrainingJob calls per second from boto3 with 32 threads, each server in its own
process; ``benchmarks/mock_bench.py`` starts the servers and takes the medians over its
rounds. The mock must stay several times faster than the moto it wraps, so that a
sweep tested against it is not limited by the test double.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import cast

from benchlib.measure import Context, Line, Scenario

THREADS = 32
TARGET = 3.0

Throughput = Callable[[int, int, int], dict[str, float]]


def _throughput() -> Throughput:
    module = importlib.import_module("mock_bench")  # imports boto3: only when run
    function = getattr(module, "throughput", None)
    if function is None:
        raise RuntimeError("benchmarks/mock_bench.py has no throughput(calls, threads, rounds)")
    return cast(Throughput, function)


def run(ctx: Context) -> Scenario:
    calls = ctx.pick(300, 2000)
    rounds = ctx.pick(1, 5)
    scenario = Scenario(
        "mockspeed",
        "Mock throughput (sagesweep mock vs moto_server)",
        f"{calls:,} CreateTrainingJob calls from boto3 with {THREADS} threads per round, "
        f"{rounds} round(s), a fresh server process per round (benchmarks/mock_bench.py), "
        "median creates/s",
    )
    rates = _throughput()(calls, THREADS, rounds)  # keys: moto_server, mock
    mock, moto = rates["mock"], rates["moto_server"]
    scenario.lines.append(
        Line(
            "mockspeed.mock_vs_moto_creates",
            mock / moto if moto > 0 else 0.0,
            "x",
            ">=",
            TARGET,
            note=f"mock {mock:.0f}/s vs moto_server {moto:.0f}/s",
            row=4,
            label=f"the mock's own throughput: `sagesweep mock` / `moto_server`, boto3 "
            f"{THREADS} threads, creates/s",
        )
    )
    scenario.context.append(
        "keep-alive and exact stats are properties of the mock checked by its tests; "
        "this scenario measures the rate"
    )
    others = {k: v for k, v in rates.items() if k not in ("mock", "moto_server")}
    if others:
        scenario.context.append(
            "also measured: " + ", ".join(f"{k} {v:.0f}/s" for k, v in sorted(others.items()))
        )
    scenario.runs.append({"measure": "creates_per_second", "calls": calls, **rates})
    return scenario
