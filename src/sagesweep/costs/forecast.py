"""The forecast of a sweep before launch: per instance type, the worst case.

Worst case, because it is the one bound a plan knows: every job runs to its
``MaxRuntimeInSeconds`` on ``InstanceCount`` instances, so instance-hours are
Σ InstanceCount x MaxRuntimeInSeconds / 3600 and USD that times the type's on-demand
price. A managed spot job bills at most that (its billable time is shorter). A job with
``InstancePreferences`` is counted on its dearest preference (price x count; without
prices, its largest count), since SageMaker may take any of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sagesweep.costs.prices import Prices
from sagesweep.planning.usage import Option, UsageTally

__all__ = ["Forecast", "ForecastRow"]


@dataclass(frozen=True, slots=True)
class ForecastRow:
    instance_type: str
    jobs: int
    instances: int  #: Σ InstanceCount
    worst_hours: float  #: Σ InstanceCount x MaxRuntimeInSeconds / 3600
    usd_per_hour: float | None
    worst_usd: float | None


@dataclass(frozen=True, slots=True)
class Forecast:
    """A plan's usage, priced."""

    usage: UsageTally
    prices: Prices

    def rows(self) -> list[ForecastRow]:
        """One row per instance type, by type."""
        merged: dict[str, list[float]] = {}  # type -> [jobs, instances, hours]
        prices = self.prices
        for options, tally in self.usage.tallies.items():
            chosen, count = _dearest(options, prices)
            row = merged.setdefault(chosen, [0, 0, 0.0])
            row[0] += tally.jobs
            row[1] += tally.jobs * count
            row[2] += count * tally.seconds / 3600
        rows = []
        for instance_type, (jobs, instances, hours) in sorted(merged.items()):
            price = prices.of(instance_type)
            rows.append(
                ForecastRow(
                    instance_type,
                    int(jobs),
                    int(instances),
                    hours,
                    price,
                    None if price is None else hours * price,
                )
            )
        return rows

    def lines(self) -> list[str]:
        """The forecast as ``sagesweep plan`` prints it."""
        rows, prices = self.rows(), self.prices
        if not rows:
            return []
        out = [
            f"{'instance type':<20} {'jobs':>7} {'instances':>9} {'worst-case h':>13} "
            f"{'$/hour':>9} {'worst-case $':>13}"
        ]
        for row in rows:
            out.append(
                f"{row.instance_type:<20} {row.jobs:>7} {row.instances:>9} "
                f"{row.worst_hours:>13,.1f} {_money(row.usd_per_hour):>9} "
                f"{_money(row.worst_usd):>13}"
            )
        total_hours = sum(r.worst_hours for r in rows)
        priced = [r.worst_usd for r in rows if r.worst_usd is not None]
        total_usd = sum(priced) if len(priced) == len(rows) else None
        out.append(
            f"{'total':<20} {sum(r.jobs for r in rows):>7} {sum(r.instances for r in rows):>9} "
            f"{total_hours:>13,.1f} {'':>9} {_money(total_usd):>13}"
        )
        if not prices:
            out.append(
                "no prices: instance-hours only (pass --prices FILE, or a target such as "
                "--region or --mock to read the AWS Price List API)"
            )
        else:
            missing = sorted(r.instance_type for r in rows if r.usd_per_hour is None)
            note = f"; no price for {', '.join(missing)}" if missing else ""
            out.append(f"prices: {prices.source}{note}")
        return out


def _dearest(options: Iterable[Option], prices: Prices) -> Option:
    """The option a forecast counts: dearest per hour, or with the most instances."""
    choices = list(options)
    priced = [(t, n) for t, n in choices if prices.of(t) is not None]
    if priced and len(priced) == len(choices):
        return max(priced, key=lambda o: o[1] * (prices.of(o[0]) or 0.0))
    return max(choices, key=lambda o: o[1])


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.2f}"
