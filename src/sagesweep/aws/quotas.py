"""SageMaker's training quotas from Service Quotas (``service-quotas``, service ``sagemaker``).

Service Quotas names them ``ml.X for training job usage``, ``ml.X for spot training job
usage`` and ``ml.X for training warm pool usage``; :func:`training_quotas` reads every
page of ``ListServiceQuotas`` (100 a call) and keeps those, by instance type and use.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

__all__ = ["QUOTA_USES", "QuotaUse", "quota_name", "training_quotas"]

QuotaUse = Literal["training", "spot", "warm pool"]
#: How Service Quotas spells each use after the instance type.
QUOTA_USES: dict[QuotaUse, str] = {
    "training": "for training job usage",
    "spot": "for spot training job usage",
    "warm pool": "for training warm pool usage",
}
_NAME = re.compile(
    r"(?P<type>ml\.[a-z0-9.\-]+) (?P<use>" + "|".join(map(re.escape, QUOTA_USES.values())) + ")"
)
_USE_OF = {text: use for use, text in QUOTA_USES.items()}

Call = Callable[..., Awaitable[Any]]


def quota_name(instance_type: str, use: QuotaUse) -> str:
    return f"{instance_type} {QUOTA_USES[use]}"


async def training_quotas(client: Any, call: Call) -> dict[tuple[str, QuotaUse], float]:
    """(instance type, use) -> the account's applied quota (instances)."""
    found: dict[tuple[str, QuotaUse], float] = {}
    token: str | None = None
    while True:
        page = await call(
            client.list_service_quotas,
            ServiceCode="sagemaker",
            MaxResults=100,
            **({"NextToken": token} if token else {}),
        )
        for quota in page.get("Quotas") or ():
            match = _NAME.fullmatch(str(quota.get("QuotaName", "")))
            value = quota.get("Value")
            if match is not None and isinstance(value, int | float):
                found[(match["type"], _USE_OF[match["use"]])] = float(value)
        token = page.get("NextToken")
        if not token:
            return found
