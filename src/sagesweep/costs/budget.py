"""A budget: a hard cap on what a driven run may spend, in USD or instance-hours.

What it guarantees (docs/costs.md): a job is dispatched only if what is spent, plus what
the running jobs are expected to cost, plus this job's expected cost, stays within the
budget; a job's expected cost comes from the billable times of the jobs that ended so far
(before any has, its ``MaxRuntimeInSeconds``: the worst case). At each poll, once what is
spent plus what the running jobs have accrued reaches the budget, the run stops
dispatching and stops the running jobs. So the overshoot is at most what the running
jobs accrue between two polls, plus billing the service does after a stop.

Accrual counts a running job from when this run saw it created, not from when its
training started, so it runs ahead of the bill: the cap errs on the side of the budget.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from sagesweep.costs.prices import Prices
from sagesweep.errors import InputError
from sagesweep.planning.usage import Usage

__all__ = ["Budget", "BudgetUnit", "Meter", "parse_budget"]

BudgetUnit = Literal["usd", "instance_hours"]
_TEXT = re.compile(r"\s*\$?\s*(?P<amount>[0-9]+(?:\.[0-9]*)?)\s*(?P<unit>[a-zA-Z-]*)\s*")
_UNITS: dict[str, BudgetUnit] = {
    "usd": "usd",
    "$": "usd",
    "h": "instance_hours",
    "hours": "instance_hours",
    "instance-hours": "instance_hours",
}


@dataclass(frozen=True, slots=True)
class Budget:
    amount: float
    unit: BudgetUnit

    def __str__(self) -> str:
        return f"${self.amount:,.2f}" if self.unit == "usd" else f"{self.amount:g} instance-hours"

    def show(self, value: float) -> str:
        return f"${value:,.2f}" if self.unit == "usd" else f"{value:,.2f} instance-hours"

    @classmethod
    def from_config(cls, raw: Mapping[str, float]) -> Budget:
        """``budget: {usd: 250}`` or ``{instance_hours: 40}`` (checked by the sweep file)."""
        ((unit, amount),) = raw.items()
        return cls(float(amount), "usd" if unit == "usd" else "instance_hours")


def parse_budget(text: str) -> Budget:
    """``250usd``, ``$250`` or ``40h`` (``40instance-hours``); one line of bad input else."""
    match = _TEXT.fullmatch(text)
    unit = (
        None if match is None else _UNITS.get(match["unit"].lower() or ("$" if "$" in text else ""))
    )
    if match is None or unit is None:
        raise InputError.one(
            "<cli>",
            "",
            "--budget",
            f"{text!r}: give an amount and a unit, such as 250usd or 40h (instance-hours)",
        )
    amount = float(match["amount"])
    if not (amount > 0 and math.isfinite(amount)):
        raise InputError.one("<cli>", "", "--budget", f"{text!r}: must be more than 0")
    return Budget(amount, unit)


@dataclass(slots=True)
class _Running:
    instance_type: str
    count: int
    since: float
    expected: float  #: in the budget's unit


@dataclass(slots=True)
class Meter:
    """Spend against a budget, as a driven run sees it (see the module docstring)."""

    budget: Budget
    prices: Prices
    spent: float = 0.0  #: billed for jobs that ended, in the budget's unit
    seen_seconds: list[float] = field(default_factory=list)  #: billable times that ended
    running: dict[str, _Running] = field(default_factory=dict)
    reached: bool = False

    def cost(self, instance_type: str, count: int, seconds: float) -> float:
        hours = count * max(0.0, seconds) / 3600
        if self.budget.unit == "instance_hours":
            return hours
        return hours * (self.prices.of(instance_type) or 0.0)

    def expected(self, usage: Usage) -> float:
        """What a job is expected to cost: the mean billable time so far, or its worst."""
        seconds = (
            sum(self.seen_seconds) / len(self.seen_seconds)
            if self.seen_seconds
            else float(usage.max_seconds)
        )
        return max(self.cost(t, n, seconds) for t, n in usage.options)

    def started(self, name: str, usage: Usage, now: float) -> None:
        instance_type, count = max(usage.options, key=lambda o: self.cost(o[0], o[1], 3600))
        self.running[name] = _Running(instance_type, count, now, self.expected(usage))

    def ended(self, name: str, instance_type: str, count: int, billable: float) -> None:
        """A job ended, billed ``billable`` seconds on ``count`` x ``instance_type``."""
        self.running.pop(name, None)
        self.spent += self.cost(instance_type, count, billable)
        if billable > 0:
            self.seen_seconds.append(billable)

    def accrued(self, now: float) -> float:
        return sum(
            self.cost(r.instance_type, r.count, now - r.since) for r in self.running.values()
        )

    def committed(self, now: float) -> float:
        """Spent, plus what the running jobs have accrued or are expected to cost."""
        return self.spent + sum(
            max(self.cost(r.instance_type, r.count, now - r.since), r.expected)
            for r in self.running.values()
        )

    def allows(self, usage: Usage, now: float) -> bool:
        """Whether a job of this usage may be dispatched without crossing the budget."""
        return not self.reached and (
            self.committed(now) + self.expected(usage) <= self.budget.amount
        )

    def check(self, now: float) -> bool:
        """At a poll: True once spent plus accrued reaches the budget (and from then on)."""
        if not self.reached and self.spent + self.accrued(now) >= self.budget.amount:
            self.reached = True
        return self.reached
