"""Where does sagesweep's submit spend its time? Profile it against the null endpoint.

    .venv/bin/python benchmarks/profile_submit.py [--jobs 3000] [--concurrency 32]
        [--latency-ms 0] [--mock] [--html FILE]

Runs one warm-up submit, then one profiled ``sagesweep.api.submit`` (as ``--quiet``)
under cProfile, and prints the functions with the most own time and the biggest
cumulative subtrees as percentages of the run. With ``--html`` it also writes a
pyinstrument call tree of a second profiled run. The endpoint runs in its own process.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchlib.contenders import sagesweep_submit  # noqa: E402
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
    stats = pstats.Stats(profile)
    raw = stats.stats  # type: ignore[attr-defined]
    rows = [(tt, ct, nc, func) for func, (_, nc, tt, ct, _) in raw.items()]
    print(f"\nown time (of {total:.2f} s profiled):")
    for tt, _, nc, func in sorted(rows, key=lambda r: r[0], reverse=True)[:top]:
        print(f"  {100 * tt / total:5.1f}%  {nc:>8}  {_short(func)}")
    print("\ncumulative, sagesweep functions:")
    ours = [r for r in rows if "/sagesweep/" in r[3][0]]
    for _, ct, nc, func in sorted(ours, key=lambda r: r[1], reverse=True)[:top]:
        print(f"  {100 * ct / total:5.1f}%  {nc:>8}  {_short(func)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--mock", action="store_true", help="profile against the mock")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--html", type=Path, default=None, help="pyinstrument tree here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sagesweep-profile-"))
    sweep = random_sweep(work, args.jobs)
    warm = random_sweep(work, 100, name="warm")
    ledger = work / "ledger.jsonl"
    endpoint = mock_endpoint() if args.mock else null_endpoint(args.latency_ms)
    with endpoint as ep:
        sagesweep_submit(ep.url, warm, 100, args.concurrency, RATE, ledger)
        ep.reset()
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        result = sagesweep_submit(ep.url, sweep, args.jobs, args.concurrency, RATE, ledger)
        profile.disable()
        total = time.perf_counter() - start
        print(f"{result.ok}/{args.jobs} ok in {total:.2f} s under cProfile ({result.rate:.0f}/s)")
        report(profile, total, args.top)
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
