"""8. Start-up: `sagesweep --help` and `sagesweep plan configs/demo.yaml`, wall time.

Each command runs in a fresh process; the median of the runs is reported (the first
run warms the page cache and is not counted). Targets are ours: a CLI that answers
``--help`` in well under half a second and plans a small sweep in about a second.
"""

from __future__ import annotations

import statistics

from benchlib.measure import Context, Line, Scenario
from benchlib.proc import measure
from benchlib.servers import SAGESWEEP
from benchlib.sweeps import DEMO_SWEEP

COMMANDS = {
    "startup.help_seconds": ([str(SAGESWEEP), "--help"], 0.5),
    "startup.plan_demo_seconds": ([str(SAGESWEEP), "plan", str(DEMO_SWEEP)], 1.0),
}


def run(ctx: Context) -> Scenario:
    reps = ctx.pick(3, 5)
    scenario = Scenario("startup", "Start-up", f"fresh process per run, median of {reps} runs")
    for name, (argv, target) in COMMANDS.items():
        measure(argv)  # warm the page cache
        runs = []
        for _ in range(reps):
            got = measure(argv)
            if got.returncode != 0:
                raise RuntimeError(f"{' '.join(argv)} exited {got.returncode}: {got.stderr}")
            runs.append(got)
        seconds = statistics.median(r.seconds for r in runs)
        scenario.lines.append(Line(name, seconds, "s", "<=", target))
        scenario.runs += [
            {"measure": name, "seconds": r.seconds, "peak_rss_mb": r.peak_rss_mb} for r in runs
        ]
        scenario.context.append(
            f"{name}: min {min(r.seconds for r in runs):.3f} s, max "
            f"{max(r.seconds for r in runs):.3f} s, peak RSS "
            f"{statistics.median(r.peak_rss_mb for r in runs):.0f} MB"
        )
    return scenario
