"""One module per scenario; each exposes ``run(ctx) -> Scenario``."""

from __future__ import annotations

NAMES = (
    "ceiling",
    "realistic",
    "latency",
    "mockspeed",
    "loadgen",
    "scale",
    "firstcall",
    "throttled",
    "startup",
    "makespan",
)
