"""``results --plot``: the sort metric against each swept parameter, the best job marked.

One panel per swept parameter that some scored job has a value for. Numbers are
scattered: on a log axis when the sweep samples the parameter on a log scale
(``log_uniform``), or when its values span more than two decades; anything else is
laid out by category. Failed jobs have no metric: they are marked with a cross on the
panel's floor, below every scored point, so a region of the space that fails shows.
The legend sits below the panels, where it cannot cover a point.

The metric is ``--sort``, else the sweep file's objective, else the only metric the
jobs reported. Needs matplotlib, an optional extra: ``pip install 'sagesweep[plot]'``.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any

from sagesweep.errors import InputError
from sagesweep.operating.results import Goal, ResultRow, Results, default_goal
from sagesweep.planning.space import Distribution, ParamSpec

__all__ = [
    "check_plot_path",
    "log_sampled",
    "plot_metric",
    "plot_progress",
    "plot_results",
    "progress_figure",
    "pyplot",
    "results_figure",
]

COLUMNS = 3
#: Where failed jobs sit: this share of the scored range below the lowest point.
FLOOR_GAP = 0.12
FAILED = "Failed"


def pyplot(option: str = "--plot") -> Any:
    """matplotlib's pyplot on the file-only backend, or a one-line error naming ``option``
    and saying how to get it."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError.one(
            "<cli>", "", option, "needs matplotlib: pip install 'sagesweep[plot]'"
        ) from None
    return plt


def check_plot_path(path: Path) -> None:
    """Refuse, before any work, a path the PNG cannot be written to."""
    if path.suffix.lower() != ".png":
        raise InputError.one(str(path), "", "--plot", "writes a PNG: name the file FILE.png")
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", "--plot", "directory does not exist")


def log_sampled(parameters: Mapping[str, ParamSpec]) -> frozenset[str]:
    """The swept paths the sweep samples on a log scale: their axes are logarithmic."""
    return frozenset(
        path
        for path, spec in parameters.items()
        if isinstance(spec, Distribution) and spec.kind == "log_uniform"
    )


def plot_metric(results: Results) -> tuple[str, Goal]:
    """What the plot shows: ``--sort`` (or the objective), else the only metric reported."""
    if results.sort is not None:
        return results.sort, results.goal or default_goal(results.sort)
    if len(results.metrics) == 1:
        (metric,) = results.metrics
        return metric, default_goal(metric)
    reported = ", ".join(results.metrics)
    why = f"jobs reported {reported}" if reported else "no job has reported a metric yet"
    raise InputError.one("<cli>", "", "--plot", f"needs --sort METRIC ({why})")


def _score(row: ResultRow, metric: str) -> float | None:
    value = row.metrics.get(metric)
    return None if value is None or math.isnan(value) else value


def _numeric(values: Sequence[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _floor(scores: Sequence[float]) -> tuple[float, float]:
    """(where failed jobs sit, the axis bottom): below every score, whatever the range."""
    lo, hi = min(scores), max(scores)
    span = hi - lo or abs(lo) * 0.1 or 1.0
    floor = lo - FLOOR_GAP * span
    return floor, floor - 0.5 * FLOOR_GAP * span


def results_figure(
    results: Results, *, log_axes: Collection[str] = frozenset()
) -> tuple[Any, str, int]:
    """The figure (matplotlib), the metric shown and how many jobs were scored."""
    plt = pyplot()
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    metric, goal = plot_metric(results)
    scored = [(row, s) for row in results.rows if (s := _score(row, metric)) is not None]
    if not scored:
        raise InputError.one("<cli>", "", "--plot", f"no job has reported {metric} yet")
    failed = [row for row in results.rows if row.status == FAILED and _score(row, metric) is None]
    params = [p for p in results.params if any(p in row.params for row, _ in scored)]
    panels: list[str | None] = list(params) or [None]  # None: one panel, by job number
    cols = 2 if len(panels) == 4 else min(COLUMNS, len(panels))  # 4 panels: 2 x 2
    nrows = math.ceil(len(panels) / cols)
    fig = plt.figure(figsize=(4.2 * cols, 3.2 * nrows + 0.9), layout="constrained")
    grid = fig.add_gridspec(nrows, cols)
    floor, bottom = _floor([s for _, s in scored])
    best = _best(scored, goal)
    for i, param in enumerate(panels):
        ax = fig.add_subplot(grid[i // cols, i % cols])  # only as many panels as parameters
        mine = [(row, s) for row, s in scored if param is None or param in row.params]
        lost = [row for row in failed if param is None or param in row.params]
        if param is None:
            number = {row.name: n for n, row in enumerate(results.rows)}
            xs: list[Any] = [number[row.name] for row, _ in mine]
            fail_xs: list[Any] = [number[row.name] for row in lost]
            best_x: Any = None if best is None else number.get(best.name)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            xs = [row.params[param] for row, _ in mine]
            fail_xs = [row.params[param] for row in lost]
            if _numeric(xs + fail_xs):
                values = [float(x) for x in xs + fail_xs]
                positive = all(v > 0 for v in values)
                wide = positive and max(values) / min(values) > 100
                if positive and (param in log_axes or wide):
                    ax.set_xscale("log")
                elif all(isinstance(x, int) for x in xs + fail_xs):
                    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
                best_x = None if best is None else best.params.get(param)
            else:
                labels = sorted({str(x) for x in xs + fail_xs})
                where = {label: n for n, label in enumerate(labels)}
                # Spread each category's points a little, so a pile shows its size.
                xs = [
                    where[str(x)] + _jitter(row.name) for x, (row, _) in zip(xs, mine, strict=True)
                ]
                fail_xs = [
                    where[str(x)] + _jitter(row.name) for x, row in zip(fail_xs, lost, strict=True)
                ]
                ax.set_xticks(range(len(labels)), labels, rotation=20, fontsize=8)
                ax.set_xlim(-0.5, len(labels) - 0.5)
                slot = None if best is None else where.get(str(best.params.get(param)))
                best_x = None if slot is None or best is None else slot + _jitter(best.name)
        ax.scatter(xs, [s for _, s in mine], s=18, alpha=0.7, color="tab:blue", gid="scored")
        if fail_xs:
            ax.scatter(
                fail_xs, [floor] * len(fail_xs), s=26, marker="x", color="tab:red", gid="failed"
            )
            ax.axhline(floor, color="tab:red", alpha=0.15, linewidth=6, zorder=0)
        if best is not None and best_x is not None and (param is None or param in best.params):
            best_score = _score(best, metric)
            if best_score is not None:
                ax.scatter([best_x], [best_score], s=150, marker="*", color="gold", zorder=3)
                ax.scatter(
                    [best_x],
                    [best_score],
                    s=150,
                    marker="*",
                    facecolor="none",
                    edgecolor="black",
                    linewidth=0.6,
                    zorder=4,
                )
        ax.set_ylim(bottom=bottom)
        ax.set_xlabel(param or "job", fontsize=9)
        ax.set_ylabel(metric, fontsize=9)
        ax.grid(alpha=0.3)
    handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            color="tab:blue",
            alpha=0.7,
            label=f"{len(scored)} scored jobs",
        ),
    ]
    if best is not None:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="*",
                markersize=12,
                color="gold",
                markeredgecolor="black",
                label=f"best: {best.name}",
            )
        )
    if failed:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="x",
                color="tab:red",
                label=f"{len(failed)} failed (no {metric}), at the floor",
            )
        )
    fig.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False
    )
    lost_text = f", {len(failed)} failed" if failed else ""
    fig.suptitle(
        f"{results.sweep}: {metric} ({goal}), {len(scored)} jobs scored{lost_text}", fontsize=11
    )
    return fig, metric, len(scored)


def _jitter(name: str) -> float:
    """A fixed offset in [-0.15, 0.15) per job: the same picture every time."""
    return (zlib.crc32(name.encode()) % 1000) / 1000 * 0.3 - 0.15


def _best(scored: Sequence[tuple[ResultRow, float]], goal: Goal) -> ResultRow | None:
    """The best scored row by the plot's metric (the first of equals, in table order)."""
    if not scored:
        return None
    pick = max if goal == "maximize" else min
    return pick(scored, key=lambda pair: pair[1])[0]


def plot_results(results: Results, path: Path, *, log_axes: Collection[str] = frozenset()) -> Path:
    """Write the PNG; bad input (no metric to plot, no matplotlib) is an InputError."""
    fig, _, _ = results_figure(results, log_axes=log_axes)
    _save(fig, path)
    return path


def progress_figure(results: Results) -> Any:
    """For an adaptive sweep: the metric of each job in creation order, and the best so far."""
    plt = pyplot()
    from matplotlib.lines import Line2D

    metric, goal = plot_metric(results)
    by_name = {row.name: row for row in results.rows}
    xs: list[int] = []
    ys: list[float] = []
    best: list[float] = []
    fail_xs: list[int] = []
    best_so_far: float | None = None
    for number, name in enumerate(results.created, 1):
        row = by_name.get(name)
        value = None if row is None else _score(row, metric)
        if value is None:
            if row is not None and row.status == FAILED:
                fail_xs.append(number)
            continue
        if best_so_far is None or (
            value > best_so_far if goal == "maximize" else value < best_so_far
        ):
            best_so_far = value
        xs.append(number)
        ys.append(value)
        best.append(best_so_far)
    if not xs:
        raise InputError.one("<cli>", "", "--plot", f"no job has reported {metric} yet")
    fig, ax = plt.subplots(figsize=(7.5, 4.6), layout="constrained")
    ax.scatter(xs, ys, s=16, alpha=0.6, color="tab:blue", gid="scored")
    ax.step(xs, best, where="post", color="tab:orange", linewidth=2)
    floor, bottom = _floor(ys)
    if fail_xs:
        ax.scatter(fail_xs, [floor] * len(fail_xs), s=26, marker="x", color="tab:red", gid="failed")
        ax.axhline(floor, color="tab:red", alpha=0.15, linewidth=6, zorder=0)
    ax.set_ylim(bottom=bottom)
    ax.set_xlabel("job number (order created)")
    ax.set_ylabel(metric)
    ax.grid(alpha=0.3)
    handles = [
        Line2D(
            [],
            [],
            linestyle="",
            marker="o",
            color="tab:blue",
            alpha=0.6,
            label=f"{len(xs)} scored jobs",
        ),
        Line2D([], [], color="tab:orange", linewidth=2, label="best so far"),
    ]
    if fail_xs:
        handles.append(
            Line2D(
                [],
                [],
                linestyle="",
                marker="x",
                color="tab:red",
                label=f"{len(fail_xs)} failed (no {metric}), at the floor",
            )
        )
    fig.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), fontsize=8, frameon=False
    )
    lost_text = f", {len(fail_xs)} failed" if fail_xs else ""
    fig.suptitle(
        f"{results.sweep}: {metric} ({goal}), {len(xs)} jobs scored{lost_text}", fontsize=11
    )
    return fig


def plot_progress(results: Results, path: Path) -> Path:
    """Write the progress PNG of an adaptive sweep."""
    _save(progress_figure(results), path)
    return path


def _save(fig: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    try:
        fig.savefig(path, dpi=110)
    finally:
        plt.close(fig)
