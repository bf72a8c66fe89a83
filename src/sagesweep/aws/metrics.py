"""Training jobs' intermediate metric values from CloudWatch (``GetMetricData``).

SageMaker publishes the values its ``MetricDefinitions`` scrape from a job's log to the
namespace ``/aws/sagemaker/TrainingJobs``, dimension ``TrainingJobName``. One call asks
for one metric of up to :data:`MAX_QUERIES` jobs (``GetMetricData``'s limit), every page.
Each job is asked only for what came after the newest point already known of it, so
a read costs what is new. A step is a datapoint of a 1 s period; CloudWatch keeps those
for 3 hours, so the caller never asks further back.
CloudWatch bills each metric asked (``$0.01`` per 1,000 in most regions): the caller
chooses how often to ask.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

__all__ = ["MAX_QUERIES", "NAMESPACE", "Point", "metric_points"]

NAMESPACE = "/aws/sagemaker/TrainingJobs"
#: MetricDataQueries a GetMetricData call takes.
MAX_QUERIES = 500
#: (epoch seconds, value)
Point = tuple[float, float]

Call = Callable[..., Awaitable[Any]]


async def metric_points(
    client: Any,
    call: Call,
    metric: str,
    since: Mapping[str, float],
    *,
    now: float,
) -> dict[str, list[Point]]:
    """Job name -> the points of ``metric`` after ``since[name]`` (epoch seconds), in
    time order; jobs with none new are left out."""
    names = list(since)
    found: dict[str, list[Point]] = {}
    for start in range(0, len(names), MAX_QUERIES):
        chunk = names[start : start + MAX_QUERIES]
        points = await _read(client, call, metric, chunk, since, now)
        found.update((name, got) for name, got in points.items() if got)
    return found


async def _read(
    client: Any,
    call: Call,
    metric: str,
    names: Sequence[str],
    since: Mapping[str, float],
    now: float,
) -> dict[str, list[Point]]:
    begin = min(since[name] for name in names)
    queries = [
        {
            "Id": f"j{i}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": metric,
                    "Dimensions": [{"Name": "TrainingJobName", "Value": name}],
                },
                "Period": 1,
                "Stat": "Average",
            },
            "ReturnData": True,
        }
        for i, name in enumerate(names)
    ]
    points: dict[str, list[Point]] = {name: [] for name in names}
    token: str | None = None
    while True:
        page = await call(
            client.get_metric_data,
            MetricDataQueries=queries,
            StartTime=_utc(begin),
            EndTime=_utc(now + 1),
            ScanBy="TimestampAscending",
            **({"NextToken": token} if token else {}),
        )
        for result in page.get("MetricDataResults") or ():
            ident = str(result.get("Id", ""))
            if not ident.startswith("j") or not ident[1:].isdigit():
                continue
            index = int(ident[1:])
            if index >= len(names):
                continue
            name = names[index]
            stamps = result.get("Timestamps") or []
            values = result.get("Values") or []
            for stamp, value in zip(stamps, values, strict=False):
                at = stamp.timestamp() if isinstance(stamp, datetime) else float(stamp)
                if at > since[name]:
                    points[name].append((at, float(value)))
        token = page.get("NextToken")
        if not token:
            break
    for got in points.values():
        got.sort()
    return points


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
