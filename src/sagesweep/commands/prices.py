"""The prices a command works with: a ``--prices`` file, else the AWS Price List API.

Read once per command run, for the instance types it needs. A Price List that cannot
be read (no permission, an endpoint that does not serve it) is a warning, not an
error: costs are then shown in instance-hours only, never at a made-up price.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from sagesweep.aws.pricing import training_prices
from sagesweep.commands.connect import Connection
from sagesweep.costs.prices import PRICE_LIST, Prices, read_prices_file
from sagesweep.logs import get_logger
from sagesweep.operating.calls import AwsCallError, PacedCalls

__all__ = ["read_prices"]

log = get_logger("sagesweep.costs")


async def read_prices(
    instance_types: Iterable[str],
    *,
    prices_file: Path | None,
    connection: Connection | None,
    calls: PacedCalls | None,
) -> Prices:
    """The prices of ``instance_types``: from ``prices_file``, else the Price List API
    through ``connection`` (when there is one), else none."""
    if prices_file is not None:
        return read_prices_file(prices_file)
    if connection is None or calls is None:
        return Prices()
    types = sorted(t for t in set(instance_types) if t)
    try:
        async with connection.open("pricing") as pricing:
            found = await training_prices(pricing, calls, connection.binding.region, types)
    except AwsCallError as exc:
        log.warning("costs.prices_unavailable", code=exc.error.code, detail=exc.error.message)
        return Prices()
    if not found:
        return Prices()
    kind = connection.binding.kind
    source = {
        "mock": "the embedded mock's Price List (illustrative prices, not AWS's)",
        "endpoint": f"the Price List API at {connection.settings.endpoint_url}",
    }.get(kind, PRICE_LIST)
    return Prices(found, source)
