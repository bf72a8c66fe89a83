"""6. Time to the first call: how long a big sweep waits before SageMaker hears of it.

``sagesweep submit SWEEP --endpoint-url NULL --ledger L`` is started as a child process
and timed from just before it is spawned to the first ``CreateTrainingJob`` the null
endpoint receives: interpreter start, imports, planning or validation done up front,
client creation. Both ends read ``time.monotonic()``, one clock for every process on
Linux. The child is stopped with SIGTERM as soon as the call is seen.
"""

from __future__ import annotations

import signal
import statistics
import subprocess
import time
from pathlib import Path

from benchlib.measure import Context, Line, Scenario
from benchlib.servers import SAGESWEEP, Endpoint, null_endpoint
from benchlib.sweeps import random_sweep

TARGET_SECONDS = 5.0
#: Past this, one repetition says enough and the rest would only cost time.
SLOW_SECONDS = 15.0
GIVE_UP_SECONDS = 300.0
POLL_SECONDS = 0.02


def first_call(endpoint: Endpoint, sweep: Path, ledger: Path) -> float:
    """Seconds from spawning ``sagesweep submit`` to the endpoint's first create."""
    ledger.unlink(missing_ok=True)
    endpoint.reset()
    argv = [
        str(SAGESWEEP),
        "submit",
        str(sweep),
        "--endpoint-url",
        endpoint.url,
        "--ledger",
        str(ledger),
    ]
    start = time.monotonic()
    child = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL
    )
    try:
        while True:
            seen = endpoint.stats().get("first_create_monotonic")
            if seen is not None:
                return float(seen) - start
            if child.poll() is not None:
                _, err = child.communicate()
                raise RuntimeError(
                    f"submit exited {child.returncode} before its first call: {err.decode()}"
                )
            if time.monotonic() - start > GIVE_UP_SECONDS:
                raise RuntimeError(f"no CreateTrainingJob within {GIVE_UP_SECONDS:.0f} s")
            time.sleep(POLL_SECONDS)
    finally:
        _stop(child)
        ledger.unlink(missing_ok=True)


def _stop(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            child.kill()
    child.communicate()


def run(ctx: Context) -> Scenario:
    jobs = ctx.pick(10_000, 100_000)
    reps = 3
    here = ctx.workdir / "firstcall"
    sweep = random_sweep(here, jobs, name="first")
    ledger = here / "first.ledger.jsonl"
    scenario = Scenario(
        "firstcall",
        "Time to first call",
        f"`sagesweep submit` of a {jobs:,}-job random sweep (default options) against the "
        f"null endpoint, a fresh process per run, up to {reps} runs (one if it takes more "
        f"than {SLOW_SECONDS:.0f} s), median; stopped with SIGTERM after the first call",
    )
    seconds: list[float] = []
    with null_endpoint() as endpoint:
        for rep in range(reps):
            seconds.append(first_call(endpoint, sweep, ledger))
            print(f"  run {rep + 1}: first CreateTrainingJob after {seconds[-1]:.2f} s")
            if seconds[-1] > SLOW_SECONDS:
                break
    value = statistics.median(seconds)
    scenario.lines.append(
        Line(
            "firstcall.seconds_to_first_create",
            value,
            "s",
            "<=",
            TARGET_SECONDS,
            note="runs: " + ", ".join(f"{s:.2f}" for s in seconds) + " s",
            row=6,
            label=f"time to first CreateTrainingJob call, {jobs:,}-job sweep",
        )
    )
    scenario.runs += [{"measure": "first_create", "jobs": jobs, "seconds": s} for s in seconds]
    return scenario
