"""The report's figures, one function per section, each a plotly figure or None when
its data do not exist yet (no metric, no failure, no intermediate value).

plotly draws them in the browser from data embedded in the page, so the file opens
offline and stays interactive (hover names the job, zoom, hide a series); its
``Parcoords`` is the parallel-coordinates view people know from W&B.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sagesweep.reporting.facts import Attempt, ReportFacts, numbers

__all__ = [
    "best_so_far",
    "cumulative_spend",
    "failure_reasons",
    "learning_curves",
    "objective_by_parameter",
    "parallel_coordinates",
    "running_over_time",
]

#: Panels per row of the objective-against-parameters figure.
COLUMNS = 3
BLUE, RED, ORANGE, GREY = "#1f77b4", "#d62728", "#ff7f0e", "#7f7f7f"


def _go() -> Any:
    import plotly.graph_objects as go

    return go


def _when(epoch: float) -> str:
    # Milliseconds: many jobs start and end within one second of a large sweep.
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def _layout(fig: Any, height: int = 360, **extra: Any) -> Any:
    settings: dict[str, Any] = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "template": "plotly_white",
        # Below the plot, where it covers no point.
        "legend": {"orientation": "h", "y": -0.25},
    }
    fig.update_layout(**{**settings, **extra})
    return fig


def running_over_time(attempts: Sequence[Attempt], now: float) -> Any | None:
    """How many attempts ran at each moment (from create to end), failures marked."""
    change: dict[float, int] = {}
    for a in attempts:
        if a.created is None:
            continue
        change[a.created] = change.get(a.created, 0) + 1
        if a.ended is not None:
            change[a.ended] = change.get(a.ended, 0) - 1
    if not change:
        return None
    # One point per instant, with every start and end of that instant applied: a job
    # that starts as another ends, or one that ends as it starts, is no spike and no dip.
    xs, ys = [], []
    running = 0
    level: dict[float, int] = {}
    for when in sorted(change):
        running += change[when]
        xs.append(_when(when))
        ys.append(running)
        level[when] = running
    if running and now > max(change):  # what still runs, up to when the report was written
        xs.append(_when(now))
        ys.append(running)
    go = _go()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=xs, y=ys, mode="lines", line={"shape": "hv", "color": BLUE}, name="running")
    )
    failed = [a for a in attempts if a.status == "Failed" and a.ended is not None]
    if failed:
        fig.add_trace(
            go.Scatter(
                x=[_when(a.ended or 0) for a in failed],
                y=[level.get(a.ended or 0, 0) for a in failed],
                mode="markers",
                marker={"symbol": "x", "color": RED, "size": 8},
                name=f"failed ({len(failed)})",
                text=[f"{a.name}: {(a.failure_reason or '')[:80]}" for a in failed],
                hoverinfo="text+x",
            )
        )
    return _layout(fig, yaxis_title="jobs running", xaxis_title="time (UTC)")


def cumulative_spend(attempts: Sequence[Attempt], priced: bool) -> Any | None:
    """What the sweep was billed, added up as each attempt ended (USD when priced)."""
    ended = sorted(
        (a for a in attempts if a.ended is not None and a.billable_seconds),
        key=lambda a: a.ended or 0,
    )
    if not ended:
        return None
    total = 0.0
    xs, ys, names = [], [], []
    for a in ended:
        total += (a.usd or 0.0) if priced else a.instance_hours
        xs.append(_when(a.ended or 0))
        ys.append(round(total, 6))
        names.append(a.name)
    go = _go()
    fig = go.Figure(
        go.Scatter(x=xs, y=ys, mode="lines", line={"shape": "hv", "color": BLUE}, text=names)
    )
    unit = "USD billed" if priced else "instance-hours billed"
    return _layout(fig, yaxis_title=unit, xaxis_title="time (UTC)", showlegend=False)


def _scored(facts: ReportFacts) -> list[tuple[Any, float]]:
    metric = facts.metric
    if metric is None:
        return []
    out = []
    for row in facts.results.rows:
        value = row.metrics.get(metric)
        if value is not None and not math.isnan(value):
            out.append((row, value))
    return out


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


def best_so_far(facts: ReportFacts) -> Any | None:
    """Each job's value in the order it was created, and the best so far."""
    scored = {row.name: value for row, value in _scored(facts)}
    if not scored:
        return None
    maximize = facts.goal == "maximize"
    xs, ys, names, best = [], [], [], []
    top: float | None = None
    for number, name in enumerate(facts.results.created, 1):
        value = scored.get(name)
        if value is None:
            continue
        top = value if top is None or _better(value, top, maximize) else top
        xs.append(number)
        ys.append(value)
        names.append(name)
        best.append(top)
    go = _go()
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"color": BLUE, "size": 5, "opacity": 0.6},
            text=names,
            name="job",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=best,
            mode="lines",
            line={"shape": "hv", "color": ORANGE, "width": 2},
            name="best so far",
        )
    )
    return _layout(fig, xaxis_title="job number (order created)", yaxis_title=facts.metric)


def objective_by_parameter(facts: ReportFacts) -> Any | None:
    """The objective against each swept parameter, one panel each."""
    scored = _scored(facts)
    params = [p for p in facts.results.params if any(p in row.params for row, _ in scored)]
    if not scored or not params:
        return None
    from plotly.subplots import make_subplots

    cols = 2 if len(params) == 4 else min(COLUMNS, len(params))
    rows = math.ceil(len(params) / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=params, vertical_spacing=0.12)
    go = _go()
    for i, param in enumerate(params):
        mine = [(row, value) for row, value in scored if param in row.params]
        xs = [row.params[param] for row, _ in mine]
        r, c = i // cols + 1, i % cols + 1
        ys = [value for _, value in mine]
        names = [row.name for row, _ in mine]
        if numbers(xs):
            trace = go.Scatter(
                x=xs,
                y=ys,
                mode="markers",
                marker={"color": BLUE, "size": 5, "opacity": 0.6},
                text=names,
                showlegend=False,
            )
        else:  # a box per category, its points spread beside it so a pile shows its size
            trace = go.Box(
                x=[str(x) for x in xs],
                y=ys,
                boxpoints="all",
                jitter=0.5,
                pointpos=0,
                marker={"color": BLUE, "size": 4, "opacity": 0.6},
                line={"color": GREY},
                fillcolor="rgba(0,0,0,0)",
                text=names,
                showlegend=False,
            )
        fig.add_trace(trace, row=r, col=c)
        if numbers(xs) and _logarithmic(param, xs, facts.log_axes):
            fig.update_xaxes(type="log", row=r, col=c)
        fig.update_yaxes(title_text=facts.metric if c == 1 else None, row=r, col=c)
    # Room above the first row's titles for the toolbar.
    return _layout(fig, height=300 * rows + 60, margin={"l": 60, "r": 20, "t": 60, "b": 40})


def _logarithmic(param: str, xs: Sequence[Any], log_axes: frozenset[str]) -> bool:
    values = [float(x) for x in xs]
    if not values or min(values) <= 0:
        return False
    return param in log_axes or max(values) / min(values) > 100


def parallel_coordinates(facts: ReportFacts) -> Any | None:
    """Every scored job as a line through its parameters and its value."""
    scored = _scored(facts)
    params = [p for p in facts.results.params if all(p in row.params for row, _ in scored)]
    if len(scored) < 2 or not params:
        return None
    dimensions: list[dict[str, Any]] = []
    for param in params:
        xs = [row.params[param] for row, _ in scored]
        if numbers(xs):
            if _logarithmic(param, xs, facts.log_axes):
                dimensions.append(
                    {"label": f"log10 {param}", "values": [math.log10(float(x)) for x in xs]}
                )
            else:
                dimensions.append({"label": param, "values": [float(x) for x in xs]})
        else:
            labels = sorted({str(x) for x in xs})
            code = {label: n for n, label in enumerate(labels)}
            dimensions.append(
                {
                    "label": param,
                    "values": [code[str(x)] for x in xs],
                    "tickvals": list(range(len(labels))),
                    "ticktext": labels,
                }
            )
    values = [value for _, value in scored]
    dimensions.append({"label": facts.metric, "values": values})
    go = _go()
    scale = "Viridis" if facts.goal == "maximize" else "Viridis_r"  # bright is good
    fig = go.Figure(
        go.Parcoords(
            line={"color": values, "colorscale": scale, "showscale": True},
            dimensions=dimensions,
        )
    )
    return _layout(fig, height=420, margin={"l": 80, "r": 80, "t": 60, "b": 30})


def failure_reasons(facts: ReportFacts) -> Any | None:
    """Failure reasons of failed jobs, most frequent first."""
    reasons = facts.status.failure_reasons()
    if not reasons:
        return None
    go = _go()
    shown = reasons[:15]
    fig = go.Figure(
        go.Bar(
            x=[count for _, count in shown][::-1],
            y=[(reason if len(reason) <= 70 else reason[:67] + "...") for reason, _ in shown][::-1],
            orientation="h",
            marker={"color": RED},
            hovertext=[reason for reason, _ in shown][::-1],
        )
    )
    return _layout(
        fig,
        height=120 + 28 * len(shown),
        xaxis_title="failed jobs",
        showlegend=False,
        margin={"l": 420, "r": 20, "t": 20, "b": 50},
    )


def learning_curves(facts: ReportFacts) -> Any | None:
    """Intermediate values: completed jobs against early-stopped ones."""
    if not facts.curves:
        return None
    go = _go()
    fig = go.Figure()
    shown: set[bool] = set()
    for curve in facts.curves:
        stopped = curve.early_stopped
        fig.add_trace(
            go.Scatter(
                x=[step for step, _ in curve.points],
                y=[value for _, value in curve.points],
                mode="lines",
                line={"color": ORANGE if stopped else BLUE, "width": 1},
                opacity=0.6,
                name="stopped early" if stopped else "ran to the end",
                legendgroup=str(stopped),
                showlegend=stopped not in shown,
                text=curve.name,
            )
        )
        shown.add(stopped)
    return _layout(fig, xaxis_title="step", yaxis_title=facts.metric)
