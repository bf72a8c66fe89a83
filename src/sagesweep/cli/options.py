"""Options and helpers the commands share: the target options, running a coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

__all__ = [
    "clone_target_options",
    "create_target_options",
    "parsed",
    "run_async",
    "target_kwargs",
    "target_options",
]

_T = TypeVar("_T")
_R = TypeVar("_R")


def parsed(option: str, parse: Callable[[_T], _R], value: _T) -> _R:
    """``parse(value)``, a ValueError becoming a usage error that names the option."""
    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


# -- operating a launched sweep ---------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


def target_options(command: F, *, rate: float = 5.0) -> F:
    """The options every command that reads or acts on AWS takes."""
    options = [
        click.argument("sweep", type=click.Path(path_type=Path, dir_okay=False)),
        click.option(
            "--ledger",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="The sweep's ledger; default <sweep>.ledger.jsonl beside the sweep file.",
        ),
        click.option(
            "--mock", is_flag=True, help="The embedded mock (its account beside the ledger)."
        ),
        click.option("--endpoint-url", default=None, help="Another SageMaker endpoint."),
        click.option("--region", default=None, help="AWS region."),
        click.option("--profile", default=None, help="AWS profile."),
        click.option(
            "--rate",
            type=click.FloatRange(min=0.5),
            default=rate,
            show_default=True,
            help="Ceiling on AWS calls per second (adapts down on throttling).",
        ),
        click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def create_target_options(command: F) -> F:
    """:func:`target_options` for a command that creates jobs: ``--rate`` is submit's."""
    from sagesweep.submitting.pacing import DEFAULT_RATE

    return target_options(command, rate=DEFAULT_RATE)


def target_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    keys = ("ledger", "mock", "endpoint_url", "region", "profile", "rate", "concurrency")
    if kwargs.get("mock") and kwargs.get("endpoint_url"):
        raise click.UsageError("--mock and --endpoint-url are exclusive: pick one target")
    return {key: kwargs[key] for key in keys}


def run_async(function: Callable[[], Awaitable[T]]) -> T:
    import anyio

    from sagesweep.logs import configure_logging

    configure_logging("console", quiet=True)
    return anyio.run(function)


def clone_target_options(command: F) -> F:
    """The target options of a command that reads jobs not launched by a sweep."""
    options = [
        # The embedded mock keeps its account beside a sweep's ledger; a clone has
        # none, so it would start empty. Say where the jobs are instead.
        click.option("--mock", is_flag=True, hidden=True),
        click.option(
            "--endpoint-url",
            default=None,
            help="Another SageMaker endpoint, e.g. a `sagesweep mock --state FILE`.",
        ),
        click.option("--region", default=None, help="AWS region."),
        click.option("--profile", default=None, help="AWS profile."),
        click.option(
            "--rate",
            type=click.FloatRange(min=0.5),
            default=5.0,
            show_default=True,
            help="Ceiling on AWS calls per second (adapts down on throttling).",
        ),
        click.option("--concurrency", type=click.IntRange(1, 1024), default=16, show_default=True),
    ]
    for option in reversed(options):
        command = option(command)
    return command
