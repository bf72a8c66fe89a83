"""The AWS Price List API (``GetProducts``), answered from a small illustrative table.

These are NOT AWS's prices: they are round figures of the right order for on-demand
SageMaker training, so that a rehearsal's forecasts, budgets and spend have numbers to
work with. Anything that matters must be priced by the real Price List API (or a
``--prices`` file). An instance type the table lacks has no product, as a type with no
price in a region has none in AWS's list.

A product reads as AWS's ``aws_v1`` price list entries do: a JSON string holding
``product.attributes`` (``servicecode``, ``regionCode``, ``instanceName``,
``instanceType`` as ``<type>-Training``, ``component`` ``Training``, ``usagetype``
``<region>-Train:<type>``) and an ``OnDemand`` term whose price dimension is per
``Hrs`` in ``USD``. ``GetProducts`` filters are ``TERM_MATCH`` on ``ServiceCode`` or any
of those attributes; docs/mock-conformance.md lists this table.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from sagesweep.mock import wire
from sagesweep.mock.wire import Reply

__all__ = ["ILLUSTRATIVE_PRICES", "get_products"]

#: USD per instance-hour, on demand, for training: illustrative, not AWS's.
ILLUSTRATIVE_PRICES: Mapping[str, float] = {
    "ml.m5.large": 0.115,
    "ml.m5.xlarge": 0.23,
    "ml.m5.2xlarge": 0.46,
    "ml.m5.4xlarge": 0.92,
    "ml.c5.xlarge": 0.204,
    "ml.c5.2xlarge": 0.408,
    "ml.c5.4xlarge": 0.816,
    "ml.r5.xlarge": 0.302,
    "ml.g4dn.xlarge": 0.736,
    "ml.g5.xlarge": 1.408,
    "ml.g5.2xlarge": 1.515,
    "ml.p3.2xlarge": 3.825,
    "ml.p3.8xlarge": 14.688,
    "ml.p4d.24xlarge": 37.688,
}
SERVICE_CODE = "AmazonSageMaker"
PAGE = 100


def _product(instance_type: str, price: float, region: str) -> dict[str, Any]:
    sku = "MOCK" + hashlib.sha256(f"{instance_type}/{region}".encode()).hexdigest()[:12].upper()
    term = f"{sku}.JRTCKXETXF"
    return {
        "product": {
            "productFamily": "ML Instance",
            "attributes": {
                "servicecode": SERVICE_CODE,
                "regionCode": region,
                "instanceName": instance_type,
                "instanceType": f"{instance_type}-Training",
                "component": "Training",
                "usagetype": f"{region}-Train:{instance_type}",
                "operation": "RunInstance",
            },
            "sku": sku,
        },
        "serviceCode": SERVICE_CODE,
        "terms": {
            "OnDemand": {
                term: {
                    "sku": sku,
                    "offerTermCode": "JRTCKXETXF",
                    "priceDimensions": {
                        f"{term}.6YS6EN2CT7": {
                            "unit": "Hrs",
                            "description": f"{instance_type} training (illustrative mock price)",
                            "pricePerUnit": {"USD": f"{price:.10f}"},
                        }
                    },
                }
            }
        },
    }


def _matches(product: Mapping[str, Any], filters: list[Any]) -> bool:
    attributes = product["product"]["attributes"]
    for item in filters:
        if not isinstance(item, dict):
            return False
        field, value = item.get("Field"), item.get("Value")
        if field == "ServiceCode":
            if value != SERVICE_CODE:
                return False
        elif attributes.get(field) != value:
            return False
    return True


def get_products(params: Mapping[str, Any], region: str) -> Reply:
    """The reply to ``GetProducts`` (the products of every region the filters allow)."""
    if params.get("ServiceCode") != SERVICE_CODE:
        return wire.json_reply("200 OK", {"FormatVersion": "aws_v1", "PriceList": []})
    filters = params.get("Filters") or []
    wanted_region = next(
        (f.get("Value") for f in filters if isinstance(f, dict) and f.get("Field") == "regionCode"),
        region,
    )
    products = [
        p
        for t, price in sorted(ILLUSTRATIVE_PRICES.items())
        if _matches(p := _product(t, price, str(wanted_region)), filters)
    ]
    start = int(params.get("NextToken") or 0)
    size = min(int(params.get("MaxResults") or PAGE), PAGE)
    page = products[start : start + size]
    body: dict[str, Any] = {
        "FormatVersion": "aws_v1",
        "PriceList": [json.dumps(p) for p in page],
    }
    if start + size < len(products):
        body["NextToken"] = str(start + size)
    return wire.json_reply("200 OK", body)
