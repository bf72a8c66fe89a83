"""Before a run creates anything: the account's quotas against what the sweep needs, and
the prices a budget in USD needs.

Service Quotas is read once (one ``ListServiceQuotas`` call per 100 of SageMaker's
quotas). For each instance type the sweep uses, its demand is the instances it may run
at once: all its jobs' instances, or with ``--max-running N`` at most N jobs' worth.
A demand above the quota is one warning line naming the quota and its value; a driven
run then keeps that type's running instances within the quota (less what the account's
other jobs hold). Jobs with a keep-alive need the type's warm-pool quota too (AWS's
default is 0, which refuses them): one below their demand is a warning. A quota that
cannot be read is a warning too, never an error.
"""

from __future__ import annotations

from sagesweep.aws.quotas import QuotaUse, quota_name, training_quotas
from sagesweep.commands.connect import Connection
from sagesweep.commands.prices import read_prices
from sagesweep.costs.budget import Budget
from sagesweep.costs.prices import Prices
from sagesweep.driving.limits import SpendSettings
from sagesweep.errors import InputError
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls
from sagesweep.planning.usage import UsageTally

__all__ = ["demand", "preflight"]

log = get_logger("sagesweep.costs")


def demand(usage: UsageTally, max_running: int | None) -> dict[tuple[str, QuotaUse], int]:
    """(instance type, use) -> instances the sweep may hold at once (a warm pool's
    instances count from its job's start to the end of its keep-alive)."""
    total: dict[tuple[str, QuotaUse], int] = {}
    widest: dict[tuple[str, QuotaUse], int] = {}
    for options, tally in usage.tallies.items():
        instance_type, count = options[0]
        uses: tuple[tuple[QuotaUse, int], ...] = (
            ("spot", tally.spot),
            ("training", tally.jobs - tally.spot),
            ("warm pool", tally.warm),
        )
        for use, jobs in uses:
            if jobs:
                key: tuple[str, QuotaUse] = (instance_type, use)
                total[key] = total.get(key, 0) + jobs * count
                widest[key] = max(widest.get(key, 0), count)
    if max_running is None:
        return total
    return {key: min(n, max_running * widest[key]) for key, n in total.items()}


async def preflight(
    connection: Connection,
    calls: PacedCalls,
    usage: UsageTally,
    *,
    max_running: int | None,
    driven: bool,
    budget: Budget | None,
    prices: Prices | None,
) -> tuple[SpendSettings, list[str]]:
    """The run's spending settings, and the warnings to show before it starts."""
    warnings: list[str] = []
    quotas: dict[tuple[str, QuotaUse], float] = {}
    try:
        async with connection.open("service-quotas") as client:
            quotas = await training_quotas(client, calls)
    except AwsCallError as exc:
        warnings.append(
            f"could not read Service Quotas ({exc.error.code}): the sweep's demand is not "
            "checked against the account's quotas"
        )
    caps: dict[str, int] = {}
    for (instance_type, use), needed in sorted(demand(usage, max_running).items()):
        quota = quotas.get((instance_type, use))
        if quota is None:
            continue
        if use == "warm pool":
            if needed > quota:
                warnings.append(
                    f"quota '{quota_name(instance_type, use)}' is {quota:g} instances; this "
                    f"sweep's jobs with KeepAlivePeriodInSeconds may keep {needed} in warm "
                    "pools: beyond it SageMaker refuses them (ResourceLimitExceeded)"
                    + (": request an increase in Service Quotas" if quota == 0 else "")
                )
            continue
        caps[instance_type] = min(caps.get(instance_type, int(quota)), int(quota))
        if needed > quota:
            then = (
                f"the run keeps at most {int(quota)} running (other jobs of the account count too)"
                if driven
                else "jobs beyond it wait for capacity"
            )
            warnings.append(
                f"quota '{quota_name(instance_type, use)}' is {quota:g} instances; "
                f"this sweep may need {needed} at once: {then}"
            )
    if prices is None and budget is not None and budget.unit == "usd":
        prices = await read_prices(
            usage.instance_types(), prices_file=None, connection=connection, calls=calls
        )
    prices = prices or Prices()
    if budget is not None and budget.unit == "usd":
        _check_prices(usage, prices, budget)
    return SpendSettings(budget=budget, prices=prices, quotas=caps if driven else {}), warnings


def _check_prices(usage: UsageTally, prices: Prices, budget: Budget) -> None:
    missing = sorted(t for t in usage.instance_types() if prices.of(t) is None)
    if missing:
        where = prices.source or "no Price List answer and no --prices file"
        raise InputError.one(
            "<cli>",
            "",
            "--budget",
            f"a budget of {budget} needs a price for {', '.join(missing)} ({where}); "
            "pass --prices FILE, or a budget in instance-hours such as 40h",
        )
