"""``report``: a launched sweep as one HTML file a person opens — the Python API of
``sagesweep report``.

It reads what ``status`` reads (the ledger's jobs and AWS's view of each attempt, at
the target's read rate), prices the spend as ``status`` does, forecasts the whole plan as
``plan`` does, and writes the page (:mod:`sagesweep.reporting.page`) atomically.
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from typing import Any, Unpack

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.parts import Parts
from sagesweep.commands.prices import read_prices
from sagesweep.commands.session import open_session, spend_now
from sagesweep.commands.sync import run_sync
from sagesweep.costs.forecast import Forecast
from sagesweep.errors import InputError
from sagesweep.operating.lost import observe_members
from sagesweep.operating.plot import log_sampled
from sagesweep.operating.results import Goal
from sagesweep.operating.status import build_status
from sagesweep.planning.config import load_config
from sagesweep.planning.usage import UsageTally
from sagesweep.reporting.facts import ReportFacts, attempts_of, objective_of, results_of
from sagesweep.reporting.files import write_whole
from sagesweep.reporting.page import render

__all__ = ["check_report_path", "report", "report_sync"]


def check_report_path(path: Path) -> None:
    """Refuse, before any work, a path the page cannot be written to (or no plotly)."""
    if path.suffix.lower() not in (".html", ".htm"):
        raise InputError.one(str(path), "", "-o", "writes an HTML page: name the file FILE.html")
    if not path.parent.is_dir():
        raise InputError.one(str(path), "", "-o", "directory does not exist")
    if importlib.util.find_spec("plotly") is None:
        raise InputError.one("<cli>", "", "report", "needs plotly: pip install 'sagesweep[report]'")


async def report(
    sweep: Path | str,
    output: Path | str,
    *,
    metric: str | None = None,
    goal: Goal | None = None,
    ledger: Path | str | None = None,
    target: Target | None = None,
    prices: Path | str | None = None,
    parts: Parts | None = None,
    **keywords: Unpack[TargetKeywords],
) -> ReportFacts:
    """Write the report of ``sweep`` to ``output`` (an ``.html`` file); return its facts.

    The objective is ``metric``, else the sweep file's objective, else the only metric
    the jobs reported. ``target`` and ``prices`` are :func:`~sagesweep.commands.status.status`'s.
    """
    output = Path(output)
    check_report_path(output)
    parts = parts or Parts()
    config = load_config(Path(sweep))
    chosen = target_of(target, **keywords)
    async with open_session(sweep, ledger, chosen, parts, prices) as session:
        observed = await observe_members(session.client, session.calls, session.members)
        states = observed.states
        spend = await spend_now(session, states.values())
        status = build_status(observed.members, states, spend)
        usage = UsageTally()
        for job in parts.make_planner(config).jobs():
            usage.add(job.request)
        # The forecast prices every type the plan may use, not only those that ran.
        wanted = {option[0] for options in usage.tallies for option in options}
        forecast_prices = await read_prices(
            wanted,
            prices_file=session.prices_file,
            connection=session.connection,
            calls=session.calls,
        )
        binding = session.connection.binding
    objective = (config.objective.metric, config.objective.goal) if config.objective else None
    reported = sorted({m for row in status.jobs for m in row.metrics})
    chosen_metric, chosen_goal = objective_of(reported, objective, metric)
    if goal is not None and chosen_metric is not None:
        chosen_goal = goal
    facts = ReportFacts(
        sweep=config.sweep,
        generated=time.time(),
        target=_where(binding.kind, binding.region),
        console_region=binding.region if binding.kind == "aws" else None,
        status=status,
        results=results_of(status, observed.members.swept_paths(), chosen_metric, chosen_goal),
        metric=chosen_metric,
        goal=chosen_goal,
        attempts=attempts_of(observed.members, states, session.prices or forecast_prices),
        log_axes=log_sampled(config.parameters),
        forecast=Forecast(usage, forecast_prices),
    )
    write_whole(output, render(facts), "the report")
    return facts


def _where(kind: str, region: str) -> str:
    if kind == "mock":
        return "the embedded mock"
    if kind == "endpoint":
        return f"an endpoint ({region})"
    return f"AWS {region}"


def report_sync(sweep: Path | str, output: Path | str, **options: Any) -> ReportFacts:
    """:func:`report` for code that is not async (scripts, a notebook cell without await)."""
    return run_sync(lambda: report(sweep, output, **options))
