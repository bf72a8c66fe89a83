"""``plan``: expand and validate a sweep file, and forecast what it may cost — the Python
API of ``sagesweep plan``.

Nothing is sent to SageMaker. Prices come from ``prices_file``, or, when a target is
given (``region=``, ``mock=True``...), from the AWS Price List API; without either the
forecast is in instance-hours only.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO, Unpack

from sagesweep.aws.target import Target, TargetKeywords, target_of
from sagesweep.commands.connect import connect
from sagesweep.commands.parts import Parts
from sagesweep.commands.prices import read_prices
from sagesweep.costs.forecast import Forecast
from sagesweep.operating.calls import PacedCalls
from sagesweep.planning.report import print_plan

__all__ = ["plan"]


async def plan(
    sweep: Path | str,
    *,
    fmt: str = "table",
    limit: int | None = None,
    max_jobs: int | None = None,
    prices_file: Path | None = None,
    target: Target | None = None,
    parts: Parts | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    **keywords: Unpack[TargetKeywords],
) -> Forecast:
    """Print the plan of ``sweep`` (as ``sagesweep plan``), then its forecast; return it."""
    parts = parts or Parts()
    out, err = out or sys.stdout, err or sys.stderr
    usage = print_plan(
        Path(sweep),
        fmt=fmt,
        limit=limit,
        max_jobs=max_jobs,
        out=out,
        err=err,
        make_planner=parts.make_planner,
    )
    if prices_file is not None or (target is None and not any(keywords.values())):
        prices = await read_prices(
            usage.instance_types(), prices_file=prices_file, connection=None, calls=None
        )
    else:
        chosen = target_of(target, **keywords)
        async with connect(chosen, parts, None) as connection:
            calls = PacedCalls(parts.make_limiter(rate=chosen.read_rate), backoff=parts.backoff)
            prices = await read_prices(
                usage.instance_types(), prices_file=None, connection=connection, calls=calls
            )
    forecast = Forecast(usage, prices)
    # With jsonl on stdout, the forecast goes with the summary, to stderr.
    stream = err if fmt == "jsonl" else out
    lines = forecast.lines()
    if lines:
        print("\nforecast (worst case: every job runs to MaxRuntimeInSeconds)", file=stream)
        for line in lines:
            print(line, file=stream)
    return forecast
