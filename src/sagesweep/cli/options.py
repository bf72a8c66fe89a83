"""Options and helpers the commands share: the target options, running a coroutine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from sagesweep.aws.target import (
    DEFAULT_CONCURRENCY,
    DEFAULT_RATE,
    DEFAULT_READ_RATE,
    MAX_CONCURRENCY,
    MIN_RATE,
)

__all__ = ["parsed", "pop_target", "run_async", "target_options"]

_T = TypeVar("_T")
_R = TypeVar("_R")
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

#: The keywords :func:`target_options` adds, as the Python API names them.
_TARGET_KEYS = (
    "mock",
    "mock_options",
    "endpoint_url",
    "region",
    "profile",
    "rate",
    "read_rate",
    "concurrency",
)


def parsed(option: str, parse: Callable[[_T], _R], value: _T) -> _R:
    """``parse(value)``, a ValueError becoming a usage error that names the option."""
    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def target_options(
    *, rate: Literal["rate", "read_rate"], sweep: bool = True, mock_help: str | None = None
) -> Callable[[F], F]:
    """The options every command that reads or acts on AWS takes.

    ``rate``: what ``--rate`` sets, creates (``rate``) or reads (``read_rate``); its
    default is the target's. ``sweep``: the SWEEP argument and ``--ledger`` too.
    ``mock_help``: None hides ``--mock`` (a command it makes no sense for refuses it).
    """
    default = DEFAULT_RATE if rate == "rate" else DEFAULT_READ_RATE
    what = "creates" if rate == "rate" else "AWS calls"
    options = [
        click.option(
            "--mock",
            is_flag=True,
            hidden=mock_help is None,
            help=mock_help or "",
        ),
        click.option(
            "--mock-option",
            "mock_options",
            multiple=True,
            metavar="KEY=VALUE",
            hidden=mock_help is None,
            help="A setting of the embedded mock, e.g. job_seconds=1-2 or fail_rate=0 "
            "(docs/mock.md); remembered beside its account. Repeatable.",
        ),
        click.option("--endpoint-url", default=None, help="Another SageMaker endpoint."),
        click.option("--region", default=None, help="AWS region."),
        click.option("--profile", default=None, help="AWS profile."),
        click.option(
            "--rate",
            rate,
            type=click.FloatRange(min=MIN_RATE),
            default=None,
            help=f"Ceiling on {what} per second (default {default:g}; adapts down on throttling).",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, MAX_CONCURRENCY),
            default=None,
            help=f"AWS calls in flight at once (default {DEFAULT_CONCURRENCY}).",
        ),
    ]
    if sweep:
        options[:0] = [
            click.argument("sweep", type=click.Path(path_type=Path, dir_okay=False)),
            click.option(
                "--ledger",
                type=click.Path(path_type=Path, dir_okay=False),
                default=None,
                help="The sweep's ledger; default <sweep>.ledger.jsonl beside the sweep file.",
            ),
        ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def pop_target(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Take the target's keywords (as the Python API names them) out of ``kwargs``."""
    return {key: kwargs.pop(key) for key in _TARGET_KEYS if key in kwargs}


def run_async(function: Callable[[], Awaitable[T]]) -> T:
    import anyio

    from sagesweep.logs import configure_logging

    configure_logging("console", quiet=True)
    return anyio.run(function)


def prices_option(
    help: str = "instance_type,usd_per_hour lines, instead of the AWS Price List API.",
    dest: str = "prices",
) -> Callable[[F], F]:
    """``--prices FILE.csv``, as every command that prices instance-hours takes it."""
    return click.option(
        "--prices",
        dest,
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        metavar="FILE.csv",
        help=help,
    )
