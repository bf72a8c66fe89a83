"""Two load reports side by side: one measure a line with the ratio new / base, and
which measures regressed beyond a threshold (a CI gate).

Measures: calls/s (higher is better); per operation both reports have, p50, p90, p99,
p99.9 and max latency (lower is better); the error rate (lower is better). A latency
or throughput regresses when it is worse than the base by more than the threshold
(``--max-regression 10%``: new p99 > 1.1 x base p99, new calls/s < 0.9 x base). The
error rate regresses when it grows by more than the threshold's share of the base, or
from 0 to anything above 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sagesweep.errors import InputError

__all__ = ["Measure", "compare", "parse_threshold"]

_LATENCIES = ("p50", "p90", "p99", "p99.9", "max")


@dataclass(frozen=True, slots=True)
class Measure:
    name: str
    base: float
    new: float
    higher_is_better: bool
    regressed: bool

    @property
    def ratio(self) -> float:
        if self.base == 0:
            return 1.0 if self.new == 0 else math.inf
        return self.new / self.base

    def line(self) -> str:
        ratio = "   n/a" if math.isinf(self.ratio) else f"{self.ratio:6.3f}x"
        mark = "REGRESSED" if self.regressed else "ok"
        return f"{self.name:<28} {self.base:>12.3f} {self.new:>12.3f} {ratio}  {mark}"


def parse_threshold(text: str) -> float:
    """``10%`` or ``0.1`` as a fraction."""
    raw = text.strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value < 10:
        why = f"{text!r}: want a share such as 10% or 0.1"
        raise InputError.one("<cli>", "", "--max-regression", why)
    return value


def _worse(base: float, new: float, higher_is_better: bool, threshold: float) -> bool:
    if higher_is_better:
        return new < base * (1 - threshold)
    return new > base * (1 + threshold)


def compare(base: Mapping[str, Any], new: Mapping[str, Any], threshold: float) -> list[Measure]:
    """Every measure both reports have, in a fixed order."""
    measures = []
    b, n = float(base["calls_per_second"]), float(new["calls_per_second"])
    measures.append(Measure("calls/s", b, n, True, _worse(b, n, True, threshold)))
    for operation in sorted(set(base["operations"]) & set(new["operations"])):
        old_latency = base["operations"][operation]["latency_ms"]
        new_latency = new["operations"][operation]["latency_ms"]
        for key in _LATENCIES:
            b, n = float(old_latency[key]), float(new_latency[key])
            worse = _worse(b, n, False, threshold)
            measures.append(Measure(f"{operation} {key} ms", b, n, False, worse))
    b, n = float(base["error_rate"]), float(new["error_rate"])
    worse = n > 0 if b == 0 else _worse(b, n, False, threshold)
    measures.append(Measure("error rate", b, n, False, worse))
    return measures
