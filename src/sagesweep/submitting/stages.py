"""``--rate-stages``: a rate ceiling that steps over time, to find where a target's
throughput stops growing (its knee), as k6's stages do.

``20:30s,50:30s,100:60s`` runs at most 20 calls/s for 30 s, then 50 for 30 s, then 100
for 60 s; after the last stage the ceiling stays at its rate until the run ends. The
adaptive limiter still backs off on throttling within each stage.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import anyio

from sagesweep.errors import InputError
from sagesweep.logs import get_logger

__all__ = ["Ceilinged", "Stage", "follow", "parse_stages"]

log = get_logger("sagesweep.submit")

_STAGE = re.compile(r"(?P<rate>[0-9]+(?:\.[0-9]+)?):(?P<n>[0-9]+(?:\.[0-9]+)?)(?P<unit>ms|s|m|h)")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True, slots=True)
class Stage:
    rate: float  #: calls/s at most
    seconds: float  #: how long the stage lasts


def parse_stages(text: str) -> tuple[Stage, ...]:
    """``RATE:DURATION,...`` (durations in ms, s, m or h) into stages; bad input names
    the stage that is wrong."""
    stages = []
    for part in text.split(","):
        part = part.strip()
        match = _STAGE.fullmatch(part)
        if match is None:
            why = f"{part!r}: want RATE:DURATION such as 20:30s (units ms, s, m, h)"
            raise InputError.one("<cli>", "", "--rate-stages", why)
        rate = float(match["rate"])
        seconds = float(match["n"]) * _UNIT[match["unit"]]
        if rate <= 0 or seconds <= 0:
            why = f"{part!r}: the rate and the duration must be above 0"
            raise InputError.one("<cli>", "", "--rate-stages", why)
        stages.append(Stage(rate, seconds))
    return tuple(stages)


class Ceilinged(Protocol):
    def set_ceiling(self, rate: float) -> None: ...


async def follow(
    limiter: Ceilinged,
    stages: Sequence[Stage],
    *,
    on_stage: Callable[[int, Stage], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> None:
    """Set each stage's ceiling in turn; returns once the last stage has begun."""
    for index, stage in enumerate(stages):
        if index:
            await sleep(stages[index - 1].seconds)
        limiter.set_ceiling(stage.rate)
        if on_stage is not None:
            on_stage(index, stage)
        log.info("submit.rate_stage", stage=index + 1, rate=stage.rate, seconds=stage.seconds)
