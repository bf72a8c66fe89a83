"""What a launched sweep has cost so far, and what its running jobs are accruing.

Billed time is each job's ``BillableTimeInSeconds`` (every attempt counts) times its
instance count: what AWS bills, managed spot's saving included (spot bills its billable
seconds at the on-demand rate). A running job accrues from its ``TrainingStartTime``
(its creation time until then) to now. USD where every type involved has a price.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sagesweep.costs.prices import Prices

__all__ = ["Spend", "Spent", "spend_of"]


@dataclass(frozen=True, slots=True)
class Spent:
    """One job's part: its type, instances, billed seconds, or seconds accruing."""

    instance_type: str
    instance_count: int
    billed_seconds: float  #: BillableTimeInSeconds (0 while it runs)
    running_seconds: float = 0.0  #: so far, for a job still running


@dataclass(frozen=True, slots=True)
class Spend:
    instance_hours: float  #: billed
    running_instance_hours: float  #: accrued by the jobs still running
    usd: float | None  #: billed, where every type has a price
    running_usd: float | None
    source: str  #: where the prices came from ("" when none)

    def as_json(self) -> dict[str, object]:
        return {
            "instance_hours": round(self.instance_hours, 6),
            "running_instance_hours": round(self.running_instance_hours, 6),
            "usd": None if self.usd is None else round(self.usd, 6),
            "running_usd": None if self.running_usd is None else round(self.running_usd, 6),
            "prices": self.source or None,
        }

    def line(self) -> str:
        text = f"spend so far: {self.instance_hours:,.2f} instance-hours"
        if self.usd is not None:
            text = f"spend so far: ${self.usd:,.2f} ({self.instance_hours:,.2f} instance-hours)"
        if self.running_instance_hours:
            accruing = (
                f"${self.running_usd:,.2f}"
                if self.running_usd is not None
                else f"{self.running_instance_hours:,.2f} instance-hours"
            )
            text += f"; running jobs accruing {accruing}"
        if self.source:
            text += f"; prices: {self.source}"
        elif self.usd is None:
            text += "; no prices (pass --prices FILE for USD)"
        return text


def spend_of(parts: Iterable[Spent], prices: Prices) -> Spend:
    hours = running = usd = running_usd = 0.0
    priced = True
    for part in parts:
        billed = part.instance_count * part.billed_seconds / 3600
        accruing = part.instance_count * part.running_seconds / 3600
        hours += billed
        running += accruing
        price = prices.of(part.instance_type)
        if price is None:
            priced = priced and not (billed or accruing)
            continue
        usd += billed * price
        running_usd += accruing * price
    known = priced and bool(prices)
    return Spend(
        hours,
        running,
        usd if known else None,
        running_usd if known else None,
        prices.source if known else "",
    )
