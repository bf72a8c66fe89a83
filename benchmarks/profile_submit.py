"""Where does sagesweep's submit spend its time? Profile it against the null endpoint.

    .venv/bin/python benchmarks/profile_submit.py [--jobs 3000] [--concurrency 32]
        [--latency-ms 0] [--mock] [--html FILE] [--ablate REPS]

Runs one warm-up submit, then one profiled ``sagesweep.commands.submit.submit`` (as ``--quiet``)
under cProfile (CPU-time clock), and prints the functions with the most own time and
the biggest cumulative subtrees as percentages of the run. With ``--html`` it also
writes a pyinstrument call tree of a second profiled run.

``--ablate REPS`` measures instead of profiling (no profiler distortion): wall and CPU
time per job of sagesweep as is, then with parts swapped out one after another
(the ledger: a no-op; the limiter: a no-op; planning runs in a child process, so it is
not swapped out), and of the raw aiobotocore gather loop;
alternating order, REPS times. The difference between consecutive rows is what that
part costs. The endpoint runs in its own process.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, ClassVar

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchlib.contenders import raw_aiobotocore, sagesweep_submit  # noqa: E402
from benchlib.servers import mock_endpoint, null_endpoint  # noqa: E402
from benchlib.sweeps import random_sweep  # noqa: E402

RATE = 1e6


def _short(func: tuple[str, int, str]) -> str:
    path, line, name = func
    for marker in ("site-packages/", "/src/", "lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{name} ({path}:{line})"


def report(profile: cProfile.Profile, total: float, top: int) -> None:
    stats: Any = pstats.Stats(profile)
    raw = stats.stats
    rows = [(tt, ct, nc, func) for func, (_, nc, tt, ct, _) in raw.items()]
    print(f"\nown CPU time (of {total:.2f} s profiled):")
    for tt, _, nc, func in sorted(rows, key=lambda r: r[0], reverse=True)[:top]:
        print(f"  {100 * tt / total:5.1f}%  {nc:>8}  {_short(func)}")
    print("\ncumulative, sagesweep functions:")
    ours = [r for r in rows if "/sagesweep/" in r[3][0]]
    for _, ct, nc, func in sorted(ours, key=lambda r: r[1], reverse=True)[:top]:
        print(f"  {100 * ct / total:5.1f}%  {nc:>8}  {_short(func)}")


def _cpu() -> float:
    t = os.times()
    return t.user + t.system


def ablate(url: str, sweep: Path, jobs: int, concurrency: int, ledger: Path, reps: int) -> None:
    from sagesweep.commands.parts import Parts
    from sagesweep.planning.config import load_config
    from sagesweep.planning.planner import Planner

    requests = [dict(job.request) for job in Planner(load_config(sweep)).jobs()]

    class NullBook:
        """A ledger that remembers nothing: no lines, no fsync, no writer task."""

        class state:
            jobs: ClassVar[dict[str, object]] = {}

            @staticmethod
            def done(name: str, *, retry_failed: bool = False) -> bool:
                return False

        async def record(self, rec: object) -> None:
            return None

        def set_end_counts(self, counts: object) -> None:
            return None

    @asynccontextmanager
    async def null_ledger(*args: object, **kwargs: object) -> AsyncIterator[NullBook]:
        yield NullBook()

    class FreeRate:
        """A limiter that never waits and never adapts."""

        def __init__(self, **kwargs: object) -> None:
            self.rate = RATE

        async def acquire(self) -> float:
            return 0.0

        def on_success(self) -> None:
            return None

        def set_ceiling(self, rate: float) -> None:
            return None

        def on_throttle(self, *, sent_at: float | None = None) -> None:
            return None

    def built_from(**swaps: Any) -> Callable[[], float]:
        parts = Parts(**swaps)

        def run() -> float:
            return sagesweep_submit(url, sweep, jobs, concurrency, RATE, ledger, parts).elapsed

        return run

    def raw() -> float:
        return raw_aiobotocore(url, requests, concurrency).elapsed

    variants: list[tuple[str, Callable[[], float]]] = [
        ("sagesweep", built_from()),
        ("- ledger", built_from(open_ledger=null_ledger)),
        (
            "- ledger - limiter",
            built_from(open_ledger=null_ledger, make_limiter=FreeRate),
        ),
        ("aiobotocore gather", raw),
    ]
    walls: dict[str, list[float]] = {name: [] for name, _ in variants}
    cpus: dict[str, list[float]] = {name: [] for name, _ in variants}
    for rep in range(reps):
        for name, run in variants if rep % 2 == 0 else variants[::-1]:
            gc.collect()
            before = _cpu()
            walls[name].append(run())
            cpus[name].append(_cpu() - before)
    print(f"{jobs} jobs, concurrency {concurrency}, median of {reps}:")
    print(f"  {'variant':<30} {'wall ms/job':>12} {'CPU ms/job':>11} {'jobs/s':>8}")
    for name, _ in variants:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        print(
            f"  {name:<30} {1e3 * wall / jobs:>12.3f} {1e3 * cpu / jobs:>11.3f} {jobs / wall:>8.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--mock", action="store_true", help="profile against the mock")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--html", type=Path, default=None, help="pyinstrument tree here")
    parser.add_argument("--ablate", type=int, default=0, metavar="REPS", help="see above")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sagesweep-profile-"))
    sweep = random_sweep(work, args.jobs)
    warm = random_sweep(work, 100, name="warm")
    ledger = work / "ledger.jsonl"
    endpoint = mock_endpoint() if args.mock else null_endpoint(args.latency_ms)
    with endpoint as ep:
        sagesweep_submit(ep.url, warm, 100, args.concurrency, RATE, ledger)
        ep.reset()
        if args.ablate:
            ablate(ep.url, sweep, args.jobs, args.concurrency, ledger, args.ablate)
            return
        profile = cProfile.Profile(time.process_time)
        start = time.perf_counter()
        profile.enable()
        result = sagesweep_submit(ep.url, sweep, args.jobs, args.concurrency, RATE, ledger)
        profile.disable()
        wall = time.perf_counter() - start
        print(f"{result.ok}/{args.jobs} ok in {wall:.2f} s under cProfile ({result.rate:.0f}/s)")
        stats: Any = pstats.Stats(profile)
        report(profile, sum(row[2] for row in stats.stats.values()), args.top)
        if args.html:
            from pyinstrument import Profiler

            ep.reset()
            profiler = Profiler(interval=0.001)
            profiler.start()
            sagesweep_submit(ep.url, sweep, args.jobs, args.concurrency, RATE, ledger)
            profiler.stop()
            args.html.write_text(profiler.output_html())
            print(f"pyinstrument tree written to {args.html}")


if __name__ == "__main__":
    main()
