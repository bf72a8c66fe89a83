"""The benchmark suite behind ``make bench``: every scenario, a table, a chart.

Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--only ceiling,throttled] [--out DIR]

Every scenario prints ``name: value (target: X) PASS|MISS``. A MISS is a finding, not
a failure: the exit status is 0 unless a scenario could not run at all. Results go to
``benchmarks/results/latest.{json,md,png}``, those of a quick run to the git-ignored
``benchmarks/results/quick/`` so that they never replace the committed full-run results.
The full run uses the headline sizes (20,000 jobs against the null endpoint, a
million planned, a 100,000-job sweep's first call) and, with ``search_bench.py``, stays
under a quarter of an hour on two cores, plus about 21 minutes for ``makespan`` (200 real-
length jobs on the mock, in wall-clock time); quick mode uses fewer jobs (about 3
minutes). The
run ends with the headline table (``benchlib.report.HEADLINE``), which also heads
``latest.md``.
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from benchlib.measure import Context, Scenario  # noqa: E402
from benchlib.report import (  # noqa: E402
    headline,
    machine,
    results_dir,
    write_chart,
    write_json,
    write_markdown,
)
from scenarios import NAMES  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer jobs: under 2 minutes")
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(NAMES)}")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results directory (default: results/, or results/quick/ with --quick)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    args = parser.parse_args()
    wanted = [n for n in args.only.split(",") if n] or list(NAMES)
    unknown = sorted(set(wanted) - set(NAMES))
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}")

    info = machine()
    mode = "quick" if args.quick else "full"
    out: Path = args.out or results_dir(mode)
    print(
        f"sagesweep benchmarks ({mode}): {info['nproc']} cores ({info['cpu']}), "
        f"Python {info['python']}; load generator and server share the cores"
    )
    print(f"results will be written to {out}" + (" (git-ignored)" if mode == "quick" else ""))
    workdir = Path(tempfile.mkdtemp(prefix="sagesweep-bench-"))
    ctx = Context(mode=mode, workdir=workdir)
    done: list[Scenario] = []
    broken: list[str] = []
    started = time.perf_counter()
    try:
        for name in wanted:
            t0 = time.perf_counter()
            print(f"\n== {name}")
            try:
                module = importlib.import_module(f"scenarios.{name}")
                scenario: Scenario = module.run(ctx)
            except Exception:
                traceback.print_exc()
                broken.append(name)
                print(f"{name}: could not run (see the traceback above)")
                continue
            done.append(scenario)
            for line in scenario.lines:
                print(line.text() + (f" — {line.note}" if line.note else ""))
            for fact in scenario.context:
                print(f"  {fact}")
            print(f"  ({time.perf_counter() - t0:.0f} s)")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - started
    info["seconds"] = round(total, 1)

    out.mkdir(parents=True, exist_ok=True)
    command = "python benchmarks/run.py" + (" --quick" if args.quick else "")
    if args.only:
        command += f" --only {args.only}"
    write_json(out / "latest.json", info, done, mode)
    write_markdown(out / "latest.md", info, done, mode, command)
    write_chart(out / "latest.png", done, info)
    lines = [line for s in done for line in s.lines]
    misses = sum(not line.passed for line in lines)
    print(
        f"\n{len(lines)} measures, {misses} MISS, {len(broken)} scenario(s) broken; "
        f"{total:.0f} s; results in {out}"
    )
    for line in lines:
        if not line.row:
            print(line.text())
    print()
    for row in headline(done):
        print(row)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
