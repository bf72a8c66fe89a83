"""The report as one self-contained HTML page: plotly.js embedded once (no CDN, so the
file opens offline), each section's figure drawn from data in the page, and the tables.

A section whose data do not exist yet says so in one line instead of drawing an empty
plot.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from sagesweep.operating.status import STATUSES
from sagesweep.reporting import figures
from sagesweep.reporting.facts import ReportFacts

__all__ = ["SECTIONS", "TOP", "render"]

#: Rows of the top-jobs table.
TOP = 20

#: (element id, title, what it shows, the figure, the line shown without data)
SECTIONS: tuple[tuple[str, str, str, Callable[[ReportFacts], Any | None], str], ...] = (
    (
        "running",
        "Jobs running over time",
        "Attempts between their create and their end; failures are red crosses.",
        lambda f: figures.running_over_time(f.attempts, f.generated),
        "No job has been created yet.",
    ),
    (
        "spend",
        "Cumulative spend",
        "What the sweep was billed, added up as each attempt ended (every attempt counts).",
        lambda f: figures.cumulative_spend(f.attempts, f.priced),
        "No attempt has billed anything yet.",
    ),
    (
        "best",
        "Best so far",
        "Each job's value in the order jobs were created, and the best value so far.",
        figures.best_so_far,
        "No job has reported the objective yet.",
    ),
    (
        "parameters",
        "The objective against each parameter",
        "One panel per swept parameter; log axes where the sweep samples on a log scale.",
        figures.objective_by_parameter,
        "No job has reported the objective yet.",
    ),
    (
        "parallel",
        "Parallel coordinates",
        "Every scored job as a line through its parameters and its value: drag along an "
        "axis to select a range.",
        figures.parallel_coordinates,
        "Needs two scored jobs that share their parameters.",
    ),
    (
        "failures",
        "Failure reasons",
        "Failed jobs grouped by the first line of their FailureReason.",
        figures.failure_reasons,
        "No job has failed.",
    ),
    (
        "curves",
        "Learning curves",
        "Intermediate values of jobs that ran to their end, against those stopped early.",
        figures.learning_curves,
        "No intermediate values are recorded for this sweep.",
    ),
)

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 0 24px 48px; color: #222; }
h1 { margin: 24px 0 4px; } h2 { margin: 32px 0 4px; border-bottom: 1px solid #ddd; }
p.what, p.none, .meta { color: #666; margin: 4px 0 8px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #eee; padding: 3px 10px; text-align: left; }
th { background: #f6f6f6; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.counts td, .counts th { text-align: center; }
.scroll { overflow-x: auto; } td.name { white-space: nowrap; }
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _number(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.6g}"
    return "" if value is None else str(value)


def _console(facts: ReportFacts, name: str) -> str:
    if facts.console_region is None:
        return _e(name)
    region = quote(facts.console_region)
    url = (
        f"https://{region}.console.aws.amazon.com/sagemaker/home?region={region}"
        f"#/jobs/{quote(name)}"
    )
    return f'<a href="{_e(url)}">{_e(name)}</a>'


def _summary(facts: ReportFacts) -> str:
    status = facts.status
    counts = {k: v for k, v in status.counts.items() if v or k in ("Completed", "Failed")}
    order = [k for k in STATUSES if k in counts] + [k for k in counts if k not in STATUSES]
    heads = "".join(f"<th>{_e(k)}</th>" for k in order)
    cells = "".join(f"<td>{counts[k]}</td>" for k in order)
    planned = status.planned
    made = f"{status.created} created" + (f" of {planned} planned" if planned else "")
    lines = [f"<table class='counts'><tr>{heads}</tr><tr>{cells}</tr></table>"]
    lines.append(f"<p>{_e(made)}; {len(facts.attempts)} attempts in all.</p>")
    if status.spend is not None:
        lines.append(f"<p>{_e(status.spend.line())}</p>")
    forecast = facts.forecast
    if forecast is not None and forecast.rows():
        rows = "".join(
            f"<tr><td>{_e(r.instance_type)}</td><td class='n'>{r.jobs}</td>"
            f"<td class='n'>{r.worst_hours:,.1f}</td>"
            f"<td class='n'>{'' if r.usd_per_hour is None else f'{r.usd_per_hour:.4g}'}</td>"
            f"<td class='n'>{'' if r.worst_usd is None else f'{r.worst_usd:,.2f}'}</td></tr>"
            for r in forecast.rows()
        )
        lines.append(
            "<p class='what'>Forecast of the whole plan, worst case (every job runs to "
            "MaxRuntimeInSeconds):</p><table><tr><th>instance type</th><th>jobs</th>"
            f"<th>worst-case h</th><th>$/hour</th><th>worst-case $</th></tr>{rows}</table>"
        )
    return "\n".join(lines)


def _top(facts: ReportFacts) -> str:
    results = facts.results
    rows = results.rows[:TOP]
    if not rows:
        return "<p class='none'>No job yet.</p>"
    metric = facts.metric
    params = list(results.params)
    head = ["#", "name", "status", *([metric] if metric else []), *params, "billable s", "type"]
    body = []
    for rank, row in enumerate(rows, 1):
        cells = [
            f"<td class='n'>{rank}</td>",
            f"<td class='name'>{_console(facts, row.name)}</td>",
            f"<td>{_e(row.status)}</td>",
        ]
        if metric:
            cells.append(f"<td class='n'>{_e(_number(row.metrics.get(metric)))}</td>")
        cells += [f"<td>{_e(_number(row.params.get(p)))}</td>" for p in params]
        cells.append(f"<td class='n'>{_e(_number(row.billable_seconds))}</td>")
        cells.append(f"<td>{_e(row.instance_type)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    heads = "".join(f"<th>{_e(h)}</th>" for h in head)
    order = f"best first by {metric} ({facts.goal})" if metric and results.sort else "in order"
    return (
        f"<p class='what'>The first {len(rows)} of {len(results.rows)} jobs, {_e(order)}"
        f"{'; names link to the SageMaker console' if facts.console_region else ''}.</p>"
        f"<div class='scroll'><table><tr>{heads}</tr>{''.join(body)}</table></div>"
    )


def render(facts: ReportFacts) -> str:
    """The whole page."""
    from plotly.offline import get_plotlyjs

    config = {"displaylogo": False, "responsive": True}
    parts = []
    for element, title, what, draw, none in SECTIONS:
        fig = draw(facts)
        if fig is None:
            body = f"<p class='none'>{_e(none)}</p>"
        else:
            body = f"<p class='what'>{_e(what)}</p>" + fig.to_html(
                full_html=False, include_plotlyjs=False, div_id=f"plot-{element}", config=config
            )
        parts.append(f"<section id='{element}'><h2>{_e(title)}</h2>{body}</section>")
    when = datetime.fromtimestamp(facts.generated, UTC).strftime("%Y-%m-%d %H:%M UTC")
    metric = (
        f"judged by {facts.metric} ({facts.goal})"
        if facts.metric
        else "no objective (pass --metric)"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(facts.sweep)}: sagesweep report</title>
<style>{_STYLE}</style>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>{_e(facts.sweep)}</h1>
<p class="meta">{_e(facts.target)}; {_e(metric)}; written {_e(when)} by sagesweep report.</p>
<section id="summary"><h2>Summary</h2>{_summary(facts)}</section>
{"".join(parts)}
<section id="top"><h2>Top jobs</h2>{_top(facts)}</section>
</body></html>
"""
