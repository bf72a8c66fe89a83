"""Service Quotas for SageMaker (``ListServiceQuotas``, ``GetServiceQuota``), from the
mock's own limits.

Each ``--quota TYPE=N`` is the quota ``TYPE for training job usage``, the one the mock
enforces on create (``ResourceLimitExceeded``); each ``--warm-pool-quota TYPE=N`` is
``TYPE for training warm pool usage``, enforced on the create of a job with a keep-alive
period. AWS lists a quota for every instance
type; the mock lists only those it was given, since a type without one has no limit
here. Other service codes have no quotas in the mock (``NoSuchResourceException``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from sagesweep.mock import wire
from sagesweep.mock.wire import Reply

__all__ = [
    "TRAINING_USAGE",
    "WARM_POOL_USAGE",
    "get_service_quota",
    "list_service_quotas",
    "named_quotas",
    "quota_name",
]

SERVICE_CODE = "sagemaker"
TRAINING_USAGE = "for training job usage"
WARM_POOL_USAGE = "for training warm pool usage"
PAGE = 100


def quota_name(instance_type: str) -> str:
    return f"{instance_type} {TRAINING_USAGE}"


def _code(name: str) -> str:
    return "L-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()


def _quota(name: str, value: float, region: str, account: str) -> dict[str, Any]:
    code = _code(name)
    return {
        "ServiceCode": SERVICE_CODE,
        "ServiceName": "Amazon SageMaker",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{SERVICE_CODE}/{code}",
        "QuotaCode": code,
        "QuotaName": name,
        "Value": float(value),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def named_quotas(training: Mapping[str, int], warm_pools: Mapping[str, int]) -> dict[str, int]:
    """Quota name -> value: ``--quota`` and ``--warm-pool-quota``, as AWS names them."""
    named = {quota_name(t): n for t, n in training.items()}
    named.update((f"{t} {WARM_POOL_USAGE}", n) for t, n in warm_pools.items())
    return named


def _all(quotas: Mapping[str, int], region: str, account: str) -> list[dict[str, Any]]:
    return [_quota(name, n, region, account) for name, n in sorted(quotas.items())]


def _no_such_service(code: object) -> Reply:
    message = f"The request failed because the specified service {code} does not exist."
    return wire.error("400 Bad Request", "NoSuchResourceException", message)


def list_service_quotas(
    params: Mapping[str, Any], quotas: Mapping[str, int], region: str, account: str
) -> Reply:
    """``quotas``: quota name -> value (:func:`named_quotas`)."""
    if params.get("ServiceCode") != SERVICE_CODE:
        return _no_such_service(params.get("ServiceCode"))
    items = _all(quotas, region, account)
    start = int(params.get("NextToken") or 0)
    size = min(int(params.get("MaxResults") or PAGE), PAGE)
    body: dict[str, Any] = {"Quotas": items[start : start + size]}
    if start + size < len(items):
        body["NextToken"] = str(start + size)
    return wire.json_reply("200 OK", body)


def get_service_quota(
    params: Mapping[str, Any], quotas: Mapping[str, int], region: str, account: str
) -> Reply:
    if params.get("ServiceCode") != SERVICE_CODE:
        return _no_such_service(params.get("ServiceCode"))
    for item in _all(quotas, region, account):
        if item["QuotaCode"] == params.get("QuotaCode"):
            return wire.json_reply("200 OK", {"Quota": item})
    message = (
        f"The request failed because the specified quota {params.get('QuotaCode')} does not exist."
    )
    return wire.error("400 Bad Request", "NoSuchResourceException", message)
