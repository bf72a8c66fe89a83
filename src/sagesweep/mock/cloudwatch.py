"""The mock's CloudWatch: each job's learning curve put into moto's backend as its
points come due, so every CloudWatch call on the mock's endpoint sees them.

moto holds the data and answers ``GetMetricData``, ``ListMetrics`` and the rest; the mock
only decides what exists by now (:mod:`sagesweep.mock.curves`). Before any CloudWatch
call is handed to moto, the points that became visible since the last one are put
there, dimension ``TrainingJobName``, namespace ``/aws/sagemaker/TrainingJobs``. What
was put is counted per job, so a point is put once; a job whose curve is complete is
not looked at again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime  # moto keeps naive UTC times
from typing import Any

from sagesweep.mock.curves import NAMESPACE, curve
from sagesweep.mock.state import MockJob

__all__ = ["CurvePublisher", "is_cloudwatch"]

#: CloudWatch's service name in its requests, whatever the protocol (CBOR, JSON, query).
_SERVICE = "GraniteServiceVersion20100801"
#: moto validates at most this many data a PutMetricData.
_BATCH = 1000


def is_cloudwatch(path: str, target: str, host: str) -> bool:
    """Whether a request is for CloudWatch: its CBOR path, its JSON target, or its host."""
    return (
        path.startswith(f"/service/{_SERVICE}/")
        or target.startswith(f"{_SERVICE}.")
        or host.startswith("monitoring.")
    )


class CurvePublisher:
    """Puts due curve points into moto's CloudWatch backend of one account."""

    def __init__(self, *, account_id: str, seed: object, points: int, delay: float) -> None:
        self._account_id = account_id
        self._seed = seed
        self._points = points
        self._delay = delay
        self._put: dict[tuple[str, int], int] = {}  # (region, job seq) -> points put
        self._complete: set[tuple[str, int]] = set()

    def publish(self, region: str, jobs: Iterable[MockJob], now: float) -> int:
        """Put every point of ``jobs`` visible by ``now`` and not put yet; how many."""
        if self._points <= 0:
            return 0
        data: list[dict[str, Any]] = []
        for job in jobs:
            key = (region, job.seq)
            if key in self._complete:
                continue
            done = self._put.get(key, 0)
            points = list(
                curve(
                    seed=self._seed,
                    name=job.name,
                    created=job.created,
                    fate=job.fate,
                    metrics=job.metrics,
                    points=self._points,
                    stopped=job.stop_requested,
                )
            )
            due = [p for p in points[done:] if p.at + self._delay <= now]
            data.extend(
                {
                    "MetricName": p.metric,
                    "Dimensions": [{"Name": "TrainingJobName", "Value": job.name}],
                    "Value": p.value,
                    "Timestamp": datetime.fromtimestamp(p.at, UTC).replace(tzinfo=None),
                }
                for p in due
            )
            self._put[key] = done + len(due)
            if job.status != "InProgress" and done + len(due) == len(points):
                self._complete.add(key)
        if data:
            from moto.cloudwatch.models import cloudwatch_backends

            backend = cloudwatch_backends[self._account_id][region]
            for start in range(0, len(data), _BATCH):
                backend.put_metric_data(NAMESPACE, data[start : start + _BATCH])
        return len(data)

    def clear(self) -> None:
        """Forget what was put, and moto's CloudWatch data of this account."""
        from moto.cloudwatch.models import cloudwatch_backends

        self._put.clear()
        self._complete.clear()
        if self._account_id in cloudwatch_backends:
            del cloudwatch_backends[self._account_id]
