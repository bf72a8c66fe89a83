"""Structured logging: sagesweep's loggers, and the CLI's setup (console or JSON lines
on stderr, namespaced events).

As a library sagesweep says nothing until logging is set up: its loggers
(:func:`get_logger`) drop every event while structlog is not configured, by the CLI
(:func:`configure_logging`) or by the program that uses sagesweep (``structlog.configure``).
Events are dropped by the level filter before any formatting happens, so per-job debug
events cost almost nothing when they are not shown. Every string an event carries has
credential-shaped runs masked before it is rendered, whichever the format.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog

from sagesweep.redaction.secrets import redact_text

__all__ = ["LogFormat", "configure_logging", "get_logger", "redact_event"]

LogFormat = Literal["console", "json"]


class _Quiet:
    """A logger that drops every event until structlog is configured."""

    __slots__ = ("_logger",)

    def __init__(self, name: str) -> None:
        self._logger = structlog.get_logger(name)

    def __getattr__(self, method: str) -> Any:
        if not structlog.is_configured():
            return _drop
        return getattr(self._logger, method)


def _drop(*args: object, **fields: object) -> None:
    return None


def get_logger(name: str) -> Any:
    """sagesweep's logger ``name``: silent until logging is set up (see the module docstring)."""
    return _Quiet(name)


def redact_event(
    logger: object, method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """A structlog processor: mask credential shapes in every string of an event."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact_text(value)
    return event


def configure_logging(
    fmt: LogFormat = "console", *, quiet: bool = False, stream: TextIO | None = None
) -> None:
    """JSON shows every event (per job too); console shows what a person wants to see."""
    level = logging.WARNING if quiet else logging.DEBUG if fmt == "json" else logging.INFO
    processors: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_event,
    ]
    if fmt == "json":
        processors.append(structlog.processors.JSONRenderer())
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
