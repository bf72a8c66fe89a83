"""``--report-plot``: a load report's timeline as a PNG.

Top: calls per second by outcome (stacked), with the limiter's allowed rate and the
most calls in flight each second. Bottom: latency p50/p90/p99 of each second's calls
(log scale). Dashed lines mark the ``--rate-stages`` boundaries, labelled with the rate
each stage allows. Needs matplotlib (``pip install 'sagesweep[plot]'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sagesweep.aws.outcomes import OUTCOMES
from sagesweep.errors import InputError
from sagesweep.operating.plot import pyplot

__all__ = ["check_timeline_path", "plot_timeline", "timeline_figure"]

COLOURS = {
    "ok": "#2ca02c",
    "throttled": "#ff7f0e",
    "5xx": "#d62728",
    "dropped": "#9467bd",
    "timed_out": "#8c564b",
    "not_sent": "#7f7f7f",
    "refused": "#17becf",
}


def _pyplot() -> Any:
    return pyplot("--report-plot")


def check_timeline_path(path: Path) -> None:
    """Refuse, before any work, a path the PNG cannot be written to."""
    if path.suffix.lower() != ".png":
        why = "writes a PNG: name the file FILE.png"
        raise InputError.one(str(path), "", "--report-plot", why)
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", "--report-plot", "directory does not exist")


def timeline_figure(doc: Mapping[str, Any]) -> Any:
    """The figure of a report (see the module docstring)."""
    plt = _pyplot()
    timeline = doc["timeline"]
    seconds = [entry["second"] for entry in timeline]
    fig, (calls, latency) = plt.subplots(
        2, 1, figsize=(11, 7), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
    )
    bottom = [0] * len(timeline)
    for outcome in OUTCOMES:
        counts = [entry["outcomes"].get(outcome, 0) for entry in timeline]
        if not any(counts):
            continue
        calls.bar(
            seconds,
            counts,
            width=1.0,
            align="edge",
            bottom=bottom,
            color=COLOURS[outcome],
            label=f"{outcome} ({sum(counts)})",
            linewidth=0,
        )
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    rated = [(e["second"] + 0.5, e["rate"]) for e in timeline if "rate" in e]
    if rated:
        calls.plot(
            *zip(*rated, strict=True), color="black", linewidth=1.2, label="allowed rate (calls/s)"
        )
    calls.plot(
        [s + 0.5 for s in seconds],
        [e["in_flight"] for e in timeline],
        color="#1f77b4",
        linewidth=1,
        linestyle=":",
        label="most in flight",
    )
    calls.set_ylabel("calls per second")
    title = (
        f"{doc['sweep']}: {doc['calls']} calls, {doc['calls_per_second']:.1f}/s "
        f"achieved of {doc['requested_rate']:g} requested"
    )
    calls.set_title(title, pad=16)
    calls.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    for name, style in (("p50", "-"), ("p90", "--"), ("p99", ":")):
        points = [(e["second"] + 0.5, e["latency_ms"][name]) for e in timeline if "latency_ms" in e]
        if points:
            latency.plot(*zip(*points, strict=True), linestyle=style, color="#444444", label=name)
    latency.set_yscale("log")
    latency.set_ylabel("latency (ms)")
    latency.set_xlabel("seconds since the start")
    latency.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    rates = [rate for _, rate in rated]
    calls.set_ylim(0, max([*bottom, *rates, 1]) * 1.08)
    for mark in doc.get("stage_marks", []):
        for axis in (calls, latency):
            axis.axvline(mark["second"], color="#999999", linestyle="--", linewidth=0.8)
        # Above the plot, in the axes' own height: a label never covers a bar.
        calls.text(
            mark["second"],
            1.005,
            f"{mark['rate']:g}/s",
            transform=calls.get_xaxis_transform(),
            va="bottom",
            ha="center",
            fontsize=8,
            color="#555555",
        )
    fig.tight_layout()
    return fig


def plot_timeline(doc: Mapping[str, Any], path: Path) -> Path:
    """Write the timeline of ``doc`` to ``path`` (PNG)."""
    plt = _pyplot()
    fig = timeline_figure(doc)
    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
    return path
