"""Result lines, repetitions in alternating order, medians."""

from __future__ import annotations

import gc
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchlib.contenders import RunResult
from benchlib.servers import Endpoint

_UNITS = {"x": "{:.2f}x", "/s": "{:.1f}/s", "s": "{:.3f} s", "MB": "{:.0f} MB", "%": "{:.1f}%"}


def fmt(value: float, unit: str) -> str:
    return _UNITS.get(unit, "{:.3g} " + unit).format(value)


@dataclass
class Line:
    """``name: value (target: X) PASS|MISS``; a MISS is reported, never an error."""

    name: str
    value: float
    unit: str
    op: str  # ">=", "<=" or "<"
    target: float
    note: str = ""
    #: The row of the headline table this line belongs to (1-based; 0: not in it) and
    #: that row's measure, as the run sized it. Rows of several lines pass when all do.
    row: int = 0
    label: str = ""

    @property
    def passed(self) -> bool:
        if self.op == ">=":
            return self.value >= self.target
        if self.op == "<":
            return self.value < self.target
        return self.value <= self.target

    def text(self) -> str:
        verdict = "PASS" if self.passed else "MISS"
        target = f"{self.op} {fmt(self.target, self.unit)}"
        return f"{self.name}: {fmt(self.value, self.unit)} (target: {target}) {verdict}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed, "text": self.text()}


@dataclass
class Scenario:
    """What a scenario hands back to the runner."""

    key: str
    title: str
    setup: str
    lines: list[Line] = field(default_factory=list)
    context: list[str] = field(default_factory=list)  # extra facts for the table
    runs: list[dict[str, Any]] = field(default_factory=list)
    series: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """``mode``: quick (< 2 min) or full (the headline sizes, < 15 min on 2 cores)."""

    mode: str
    workdir: Path

    @property
    def quick(self) -> bool:
        return self.mode == "quick"

    def pick(self, quick: int, full: int) -> int:
        return quick if self.quick else full


Runner = Callable[[], RunResult]


def alternate(
    contenders: Sequence[tuple[str, Runner]],
    reps: int,
    endpoint: Endpoint | None = None,
    *,
    log: Callable[[str], None] = print,
) -> dict[str, list[RunResult]]:
    """Run every contender ``reps`` times, reversing the order every other repetition.

    With an endpoint, its counters are reset before each run and attached after it.
    """
    results: dict[str, list[RunResult]] = {name: [] for name, _ in contenders}
    for rep in range(reps):
        order = list(contenders) if rep % 2 == 0 else list(reversed(contenders))
        for name, run in order:
            if endpoint is not None:
                endpoint.reset()
            gc.collect()
            result = run()
            if endpoint is not None:
                result.server = endpoint.stats()
            results[name].append(result)
            log(
                f"  rep {rep + 1}/{reps} {name:<22} {result.ok:>7} ok in {result.elapsed:7.2f} s"
                f" = {result.rate:8.1f}/s"
            )
    return results


def quiet(_: str) -> None:
    """A ``log`` for runs nobody needs to see (warm-ups)."""


def median_rate(runs: Sequence[RunResult]) -> float:
    return statistics.median(r.rate for r in runs)


def median_ratio(a: Sequence[RunResult], b: Sequence[RunResult]) -> float:
    """Median over repetitions of the per-repetition rate ratio a/b."""
    return statistics.median(x.rate / y.rate for x, y in zip(a, b, strict=True) if y.rate > 0)


def run_dicts(results: dict[str, list[RunResult]], **extra: Any) -> list[dict[str, Any]]:
    out = []
    for name, runs in results.items():
        for rep, r in enumerate(runs):
            out.append({"contender": name, "rep": rep, **asdict(r), "rate": r.rate, **extra})
    return out
