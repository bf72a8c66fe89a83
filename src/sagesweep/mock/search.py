"""Search's expression language over one training job: properties, filters, And/Or.

A property name is a path into the Search record: ``TrainingJobName``,
``HyperParameters.eta``, ``Tags.sagesweep:sweep`` (a tag's value),
``FinalMetricDataList.validation:auc`` or ``Metrics.validation:auc`` (a final
metric's value), ``ResourceConfig.InstanceType``. Values compare as numbers when both
sides are numbers, as times when the property is a time (ISO 8601 or epoch seconds),
else as text. A job that lacks the property matches only ``NotExists``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from sagesweep.mock.lifecycle import FAILED
from sagesweep.mock.views import JobView, search_record

__all__ = ["OPERATORS", "SearchTarget", "check_expression", "matches", "parse_time", "resolve"]

OPERATORS = (
    "Equals",
    "NotEquals",
    "GreaterThan",
    "GreaterThanOrEqualTo",
    "LessThan",
    "LessThanOrEqualTo",
    "Contains",
    "Exists",
    "NotExists",
    "In",
)
_BOOLEAN = ("And", "Or")
_UNARY = frozenset({"Exists", "NotExists"})


class SearchTarget:
    """A job being searched: cheap properties directly, the full record built on demand."""

    __slots__ = ("_record", "view")

    def __init__(self, view: JobView) -> None:
        self.view = view
        self._record: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        if self._record is None:
            self._record = search_record(self.view)
        return self._record


def resolve(target: SearchTarget, name: str) -> Any:
    """The value of property ``name`` for this job, None if it has none."""
    view, job = target.view, target.view.job
    if name == "TrainingJobName":
        return job.name
    if name == "TrainingJobArn":
        return job.arn
    if name == "TrainingJobStatus":
        return view.status
    if name == "SecondaryStatus":
        return view.secondary_status
    if name == "CreationTime":
        return job.created
    if name == "LastModifiedTime":
        return view.last_modified
    if name == "FailureReason":
        return job.fate.failure if view.status == FAILED else None
    head, _, rest = name.partition(".")
    if head == "Tags":
        return next((tag["Value"] for tag in job.tags if tag["Key"] == rest), None)
    if head == "Metrics":
        return _walk(target.record().get("FinalMetricDataList"), rest)
    return _walk(target.record(), name)


def _walk(node: Any, path: str) -> Any:
    if isinstance(node, list):
        # Key/Value and MetricName/Value lists are looked up by name.
        for item in node:
            if isinstance(item, dict) and path in (item.get("Key"), item.get("MetricName")):
                return item.get("Value")
        return None
    if not isinstance(node, dict):
        return None
    if path in node:
        return node[path]
    # Keys may hold dots themselves (hyperparameter names): try every split.
    head, sep, rest = path.partition(".")
    while sep:
        if head in node:
            found = _walk(node[head], rest)
            if found is not None:
                return found
        more, sep, rest = rest.partition(".")
        head = f"{head}.{more}"
    return None


def parse_time(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 time (UTC unless it says otherwise) or a number."""
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _compare(name: str, actual: Any, expected: str) -> int | None:
    """-1/0/1 for actual vs expected, None when they cannot be ordered."""
    right = parse_time(expected) if name.endswith(("Time", "Timestamp")) else _number(expected)
    left = _number(actual)
    if left is not None and right is not None:
        return (left > right) - (left < right)
    if isinstance(actual, bool):
        actual = str(actual).lower()
    if isinstance(actual, str):
        return (actual > expected) - (actual < expected)
    return None


def _filter_matches(target: SearchTarget, spec: Mapping[str, Any]) -> bool:
    name = str(spec["Name"])
    operator = str(spec.get("Operator", "Equals"))
    actual = resolve(target, name)
    if operator == "Exists":
        return actual is not None
    if operator == "NotExists":
        return actual is None
    if actual is None:
        return False
    expected = str(spec["Value"])
    if operator == "Contains":
        return isinstance(actual, str) and expected in actual
    if operator == "In":
        return any(_compare(name, actual, item.strip()) == 0 for item in expected.split(","))
    order = _compare(name, actual, expected)
    if order is None:
        return operator == "NotEquals"
    outcomes: dict[str, bool] = {
        "Equals": order == 0,
        "NotEquals": order != 0,
        "GreaterThan": order > 0,
        "GreaterThanOrEqualTo": order >= 0,
        "LessThan": order < 0,
        "LessThanOrEqualTo": order <= 0,
    }
    return outcomes[operator]


def _nested_matches(target: SearchTarget, spec: Mapping[str, Any]) -> bool:
    # True when one element of the list property satisfies every filter, each filter
    # naming its property by the full path (``InputDataConfig.ChannelName``).
    prefix = str(spec["NestedPropertyName"])
    items = resolve(target, prefix)
    if not isinstance(items, list):
        return False
    for item in items:
        if all(
            _leaf_matches(item, str(f["Name"]).removeprefix(prefix + "."), f)
            for f in spec["Filters"]
        ):
            return True
    return False


def _leaf_matches(item: Any, path: str, spec: Mapping[str, Any]) -> bool:
    actual = _walk(item, path)
    operator = str(spec.get("Operator", "Equals"))
    if operator in _UNARY:
        return (actual is not None) == (operator == "Exists")
    if actual is None:
        return False
    return _compare(path, actual, str(spec["Value"])) == 0


def matches(target: SearchTarget, expression: Mapping[str, Any]) -> bool:
    """Whether the job satisfies a (checked) SearchExpression."""
    results = _parts(target, expression)
    if expression.get("Operator", "And") == "Or":
        return any(results)
    return all(results)


def _parts(target: SearchTarget, expression: Mapping[str, Any]) -> Iterator[bool]:
    for spec in expression.get("Filters") or ():
        yield _filter_matches(target, spec)
    for spec in expression.get("NestedFilters") or ():
        yield _nested_matches(target, spec)
    for sub in expression.get("SubExpressions") or ():
        yield matches(target, sub)


def check_expression(expression: Any, path: str = "searchExpression") -> list[str]:
    """The validation problems of a SearchExpression, worded like the service."""
    if not isinstance(expression, dict):
        return [f"Value at '{path}' failed to satisfy constraint: Member must be a structure"]
    problems: list[str] = []
    operator = expression.get("Operator", "And")
    if operator not in _BOOLEAN:
        problems.append(
            f"Value '{operator}' at '{path}.operator' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(_BOOLEAN)}]"
        )
    filters = expression.get("Filters") or []
    nested = expression.get("NestedFilters") or []
    subs = expression.get("SubExpressions") or []
    if not (filters or nested or subs):
        problems.append(
            "A SearchExpression must contain at least one filter, nested filter or subexpression."
        )
    for index, spec in enumerate(filters, 1):
        problems.extend(_check_filter(spec, f"{path}.filters.{index}.member"))
    for index, spec in enumerate(nested, 1):
        where = f"{path}.nestedFilters.{index}.member"
        if not isinstance(spec, dict) or "NestedPropertyName" not in spec:
            problems.append(
                f"Value null at '{where}.nestedPropertyName' failed to satisfy "
                "constraint: Member must not be null"
            )
            continue
        for inner, leaf in enumerate(spec.get("Filters") or [], 1):
            problems.extend(_check_filter(leaf, f"{where}.filters.{inner}.member"))
    for index, sub in enumerate(subs, 1):
        problems.extend(check_expression(sub, f"{path}.subExpressions.{index}.member"))
    return problems


def _check_filter(spec: Any, where: str) -> list[str]:
    if not isinstance(spec, dict) or not spec.get("Name"):
        return [
            f"Value null at '{where}.name' failed to satisfy constraint: Member must not be null"
        ]
    operator = str(spec.get("Operator", "Equals"))
    if operator not in OPERATORS:
        return [
            f"Value '{operator}' at '{where}.operator' failed to satisfy constraint: "
            f"Member must satisfy enum value set: [{', '.join(OPERATORS)}]"
        ]
    if operator not in _UNARY and spec.get("Value") is None:
        return [f"A value is required for the {operator} operator on {spec['Name']}."]
    return []
