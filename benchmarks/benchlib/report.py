"""Writing results: latest.json, latest.md (a table) and latest.png (the charts)."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchlib.measure import Line, Scenario, fmt

RESULTS = Path(__file__).resolve().parent.parent / "results"

#: The headline table's rows, in order, as named when a run did not produce them; a
#: run names each row after the sizes it used (see ``Line.label``).
HEADLINE = (
    "engine ceiling: sagesweep / raw aiobotocore `gather`, null endpoint, c=32",
    "realistic: sagesweep / raw aiobotocore on the mock",
    "latency-bound end to end (100 ms calls, c=32) vs ideal",
    "the mock's own throughput: `sagesweep mock` / `moto_server`, boto3 32 threads, creates/s",
    "plan rate and peak RSS, random jobs",
    "time to first CreateTrainingJob call",
)


def results_dir(mode: str) -> Path:
    """Where a run writes by default: a quick run never replaces the committed results."""
    return RESULTS / "quick" if mode == "quick" else RESULTS


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout)
    except (OSError, ValueError):
        nproc = os.cpu_count() or 0
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "nproc": nproc,
        "cpu": cpu,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "commit": commit,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def write_json(path: Path, info: dict[str, Any], scenarios: list[Scenario], mode: str) -> None:
    data = {
        "machine": info,
        "mode": mode,
        "scenarios": [
            {
                "key": s.key,
                "title": s.title,
                "setup": s.setup,
                "lines": [line.as_dict() for line in s.lines],
                "context": s.context,
                "runs": s.runs,
                "series": s.series,
            }
            for s in scenarios
        ],
    }
    path.write_text(json.dumps(data, indent=1, default=str) + "\n")


def headline(scenarios: list[Scenario]) -> list[str]:
    """The headline measures as a markdown table: value, target, verdict, and the rates
    behind each ratio. A row of several lines passes when every one of them does."""
    lines = [line for s in scenarios for line in s.lines if line.row]
    out = [
        "| # | measure | value | target | result | from |",
        "|---|---|---:|---:|:---:|---|",
    ]
    for row, default in enumerate(HEADLINE, 1):
        mine: list[Line] = [line for line in lines if line.row == row]
        if not mine:
            out.append(f"| {row} | {default} | — | — | NOT RUN | scenario missing or broken |")
            continue
        value = "; ".join(fmt(line.value, line.unit) for line in mine)
        target = "; ".join(f"{line.op} {fmt(line.target, line.unit)}" for line in mine)
        verdict = "PASS" if all(line.passed for line in mine) else "**MISS**"
        notes = "; ".join(line.note for line in mine if line.note)
        out.append(f"| {row} | {mine[0].label} | {value} | {target} | {verdict} | {notes} |")
    return out


def write_markdown(
    path: Path, info: dict[str, Any], scenarios: list[Scenario], mode: str, command: str
) -> None:
    out = [
        "# sagesweep benchmarks",
        "",
        f"`{command}` ({mode} mode), {info['date']}, commit {info['commit']}.",
        "",
        f"**Machine: {info['nproc']} cores ({info['cpu']}), Python {info['python']}, "
        f"{info['platform']}. The load generator and the server it loads share these "
        f"{info['nproc']} cores** (each server runs in its own process), and the machine is "
        "shared with other work: only ratios measured in the same run mean much; absolute "
        "numbers are context. Medians of the repetitions; contenders alternate order "
        "between repetitions; warm-up runs are excluded.",
        "",
        *headline(scenarios),
        "",
        "## Every measure",
        "",
        "| scenario | measure | value | target | result |",
        "|---|---|---:|---:|:---:|",
    ]
    for s in scenarios:
        for line in s.lines:
            verdict = "PASS" if line.passed else "**MISS**"
            target = f"{line.op} {fmt(line.target, line.unit)}"
            out.append(
                f"| {s.title} | {line.name} | {fmt(line.value, line.unit)} | {target} | {verdict} |"
            )
    out += ["", "## Scenarios", ""]
    for s in scenarios:
        out += [f"### {s.title}", "", f"Setup: {s.setup}.", ""]
        out += [f"- {line.text()}" + (f" — {line.note}" if line.note else "") for line in s.lines]
        out += [f"- {c}" for c in s.context]
        out.append("")
    out += ["![charts](latest.png)", ""]
    path.write_text("\n".join(out))


def write_chart(path: Path, scenarios: list[Scenario], info: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = {k: v for s in scenarios for k, v in s.series.items()}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    curve = series.get("throughput_vs_concurrency")
    if curve:
        for name, points in curve.items():
            xs, ys = zip(*sorted(points), strict=True)
            left.plot(xs, ys, marker="o", label=name)
        left.set_xscale("log", base=2)
        left.set_xlabel("concurrency (calls in flight)")
        left.set_ylabel("jobs/s")
        per_run = series.get("throughput_vs_concurrency_jobs")
        size = f", {per_run:,} jobs a run" if per_run else ""
        left.set_title(f"Throughput vs concurrency, null endpoint{size}")
        left.legend()
        left.grid(alpha=0.3)
    else:
        left.set_axis_off()
    timeline = series.get("throttled_rate_over_time")
    if timeline:
        for name, points in timeline["rates"].items():
            if points:
                xs, ys = zip(*points, strict=True)
                right.plot(xs, ys, label=name, drawstyle="steps-post")
        right.axhline(timeline["limit"], color="grey", linestyle="--", label="token bucket")
        right.set_xlabel("seconds since start")
        right.set_ylabel("jobs created per second (0.5 s samples)")
        right.set_title("Achieved rate under throttling (mock)")
        right.legend()
        right.grid(alpha=0.3)
    else:
        right.set_axis_off()
    fig.suptitle(
        f"sagesweep benchmarks: {info['nproc']} shared cores ({info['cpu']}), "
        f"Python {info['python']}; client and server on the same machine",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
