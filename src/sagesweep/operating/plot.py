"""``results --plot``: the sort metric against each swept parameter, the best job marked.

One panel per parameter. Numbers are scattered (on a log axis when they span more than
two decades), anything else is laid out by category. Needs matplotlib, an optional
extra: ``pip install 'sagesweep[plot]'``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError
from sagesweep.operating.results import Results

__all__ = ["check_plot_path", "plot_progress", "plot_results"]

COLUMNS = 3


def _pyplot() -> Any:
    """matplotlib's pyplot on the file-only backend, or a one-line error saying how to get it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError.one(
            "<cli>", "", "--plot", "needs matplotlib: pip install 'sagesweep[plot]'"
        ) from None
    return plt


def check_plot_path(path: Path) -> None:
    """Refuse, before any work, a path the PNG cannot be written to."""
    if path.suffix.lower() != ".png":
        raise InputError.one(str(path), "", "--plot", "writes a PNG: name the file FILE.png")
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", "--plot", "directory does not exist")


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def plot_results(results: Results, path: Path) -> Path:
    """Write the PNG; bad input (no sort metric, no matplotlib) is an InputError."""
    if results.sort is None:
        raise InputError.one("<cli>", "", "--plot", "needs --sort METRIC: the metric to plot")
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    metric = results.sort
    rows = [r for r in results.rows if metric in r.metrics and not math.isnan(r.metrics[metric])]
    params = [p for p in results.params if any(p in r.params for r in rows)] or ["(job)"]
    cols = min(COLUMNS, len(params))
    nrows = math.ceil(len(params) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    best = results.best
    for i, param in enumerate(params):
        ax = axes[i // cols][i % cols]
        ys = [r.metrics[metric] for r in rows]
        if param == "(job)":
            xs: list[Any] = list(range(len(rows)))
        else:
            xs = [r.params.get(param) for r in rows]
        if _numeric(xs):
            ax.scatter(xs, ys, s=18, alpha=0.7, color="tab:blue", label="jobs")
            positive = [float(x) for x in xs if x > 0]
            if len(positive) == len(xs) and positive and max(positive) / min(positive) > 100:
                ax.set_xscale("log")
            elif all(isinstance(x, int) for x in xs):
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            best_x: Any = None if best is None or param == "(job)" else best.params.get(param)
        else:
            labels = sorted({str(x) for x in xs})
            where = {label: n for n, label in enumerate(labels)}
            ax.scatter(
                [where[str(x)] for x in xs], ys, s=18, alpha=0.7, color="tab:blue", label="jobs"
            )
            ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
            ax.set_xlim(-0.5, len(labels) - 0.5)
            best_x = None if best is None else where.get(str(best.params.get(param)))
        if best is not None and best_x is not None:
            ax.scatter(
                [best_x],
                [best.metrics[metric]],
                s=140,
                marker="*",
                color="tab:red",
                zorder=3,
                label=f"best: {best.name}",
            )
            ax.legend(fontsize=7, loc="best")
        ax.set_xlabel(param, fontsize=9)
        ax.set_ylabel(metric, fontsize=9)
        ax.grid(alpha=0.3)
    for j in range(len(params), nrows * cols):
        axes[j // cols][j % cols].set_visible(False)
    goal = results.goal or ""
    fig.suptitle(f"{results.sweep}: {metric} ({goal}), {len(rows)} jobs", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_progress(results: Results, path: Path) -> Path:
    """For an adaptive sweep: the metric of each job in creation order, and the best so far."""
    if results.sort is None:
        raise InputError.one("<cli>", "", "--plot", "needs --sort METRIC (or an objective)")
    plt = _pyplot()
    metric = results.sort
    by_name = {row.name: row for row in results.rows}
    xs: list[int] = []
    ys: list[float] = []
    best: list[float] = []
    best_so_far: float | None = None
    for number, name in enumerate(results.created, 1):
        row = by_name.get(name)
        if row is None or metric not in row.metrics or math.isnan(row.metrics[metric]):
            continue
        value = row.metrics[metric]
        better = best_so_far is None or (
            value > best_so_far if results.goal == "maximize" else value < best_so_far
        )
        best_so_far = value if better or best_so_far is None else best_so_far
        xs.append(number)
        ys.append(value)
        best.append(best_so_far)
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    ax.scatter(xs, ys, s=16, alpha=0.6, color="tab:blue", label="job")
    ax.step(xs, best, where="post", color="tab:red", linewidth=2, label="best so far")
    ax.set_xlabel("job number (order created)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax.set_title(f"{results.sweep}: {metric} ({results.goal}), {len(xs)} jobs", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
