"""On-demand training prices from the AWS Price List API (``pricing``, ``GetProducts``).

One ``GetProducts`` per instance type, filtered on the service (``AmazonSageMaker``),
the region (``regionCode``) and the type (``instanceName``); of the products it returns,
the one for training (``component`` Training, or a ``Train`` usage type) with an
``OnDemand`` price per hour in USD is the type's price. A type with no such product has
no price: sagesweep never makes one up. Managed spot bills its (shorter) billable time
at this same on-demand rate.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

__all__ = ["SERVICE_CODE", "price_of", "training_prices"]

SERVICE_CODE = "AmazonSageMaker"

Call = Callable[..., Awaitable[Any]]


def price_of(product: Mapping[str, Any]) -> float | None:
    """USD per hour of one Price List product, if it is on-demand training by the hour."""
    attributes = product.get("product", {}).get("attributes", {})
    training = attributes.get("component") == "Training" or "Train" in str(
        attributes.get("usagetype", "")
    )
    if not training:
        return None
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if dimension.get("unit") in ("Hrs", "Hours", "hours") and usd is not None:
                try:
                    price = float(usd)
                except ValueError:
                    continue
                if price > 0:
                    return price
    return None


async def training_prices(
    client: Any, call: Call, region: str, instance_types: Iterable[str]
) -> dict[str, float]:
    """Type -> on-demand USD per instance-hour in ``region``, for the types that have one."""
    prices: dict[str, float] = {}
    for instance_type in sorted(set(instance_types)):
        token: str | None = None
        while instance_type not in prices:
            page = await call(
                client.get_products,
                ServiceCode=SERVICE_CODE,
                Filters=[
                    {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region},
                    {"Type": "TERM_MATCH", "Field": "instanceName", "Value": instance_type},
                ],
                FormatVersion="aws_v1",
                MaxResults=100,
                **({"NextToken": token} if token else {}),
            )
            for raw in page.get("PriceList") or ():
                product = json.loads(raw) if isinstance(raw, str) else raw
                price = price_of(product)
                if price is not None:
                    prices[instance_type] = price
                    break
            token = page.get("NextToken")
            if not token:
                break
    return prices
