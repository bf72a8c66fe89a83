"""``sagesweep mock``: the local SageMaker, until SIGINT or SIGTERM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from sagesweep.cli.app import main
from sagesweep.cli.options import (
    parsed,
)
from sagesweep.errors import InputError, StorageError


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option(
    "--throttle-rate",
    type=float,
    default=None,
    help="Token refill per second of the bucket every call draws on, unless its family "
    "has a bucket of its own (--read-rate, --stop-rate).",
)
@click.option("--throttle-burst", type=int, default=None, help="Token bucket size.")
@click.option("--read-rate", type=float, default=None, help="Own bucket for Describe/List/Search.")
@click.option("--read-burst", type=int, default=None, help="Size of the read bucket.")
@click.option("--stop-rate", type=float, default=None, help="Own bucket for StopTrainingJob.")
@click.option("--stop-burst", type=int, default=None, help="Size of the stop bucket.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="P(HTTP 500).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="P(create, then drop).")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added to every call.")
@click.option(
    "--quota",
    "quotas",
    multiple=True,
    metavar="INSTANCE_TYPE=N",
    help="Instances of a type InProgress jobs may hold; a create beyond is refused "
    "(ResourceLimitExceeded). Also served as Service Quotas. Repeatable.",
)
@click.option(
    "--capacity",
    "capacities",
    multiple=True,
    metavar="INSTANCE_TYPE=N",
    help="Instances of a type that can run at once; beyond it a job fails in Starting "
    "with a CapacityError. Repeatable.",
)
@click.option(
    "--job-seconds",
    default="0",
    metavar="SECONDS|MIN-MAX",
    help="How long a job runs; a MIN-MAX range is drawn per job. 0: done at once.",
)
@click.option(
    "--start-seconds",
    default="0",
    metavar="SECONDS|MIN-MAX",
    help="How long a cold job stays Starting before --job-seconds begin (a warm start "
    "onto a pool takes 0.5 s). 0: Starting is the first 15 %% of --job-seconds.",
)
@click.option(
    "--warm-pool-quota",
    "warm_pool_quotas",
    multiple=True,
    metavar="INSTANCE_TYPE=N",
    help="Instances of a type warm pools may hold; a job with a keep-alive beyond it is "
    "refused (ResourceLimitExceeded). Without it, no limit. Repeatable.",
)
@click.option(
    "--curve-points",
    type=click.IntRange(0, 1000),
    default=10,
    show_default=True,
    help="Points of each metric's learning curve a job publishes to CloudWatch over its "
    "Training phase (docs/mock-conformance.md); 0: none.",
)
@click.option(
    "--metric-delay",
    type=click.FloatRange(0),
    default=0.0,
    metavar="SECONDS",
    help="Seconds before a published curve point is visible (CloudWatch's ingestion delay).",
)
@click.option("--fail-rate", type=click.FloatRange(0, 1), default=0.0, help="P(a job fails).")
@click.option(
    "--fail-reasons",
    default=None,
    metavar="KIND=W,...",
    help="Mix of failures, e.g. CapacityError=2,AlgorithmError=1 (also InternalServerError).",
)
@click.option("--seed", type=int, default=None, help="Seed for faults, fates and metric noise.")
@click.option(
    "--state",
    "state_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Keep the account in this file between runs (FILE and FILE.journal).",
)
def mock(
    host: str,
    port: int,
    throttle_rate: float | None,
    throttle_burst: int | None,
    read_rate: float | None,
    read_burst: int | None,
    stop_rate: float | None,
    stop_burst: int | None,
    error_rate: float,
    drop_rate: float,
    latency_ms: float,
    quotas: tuple[str, ...],
    capacities: tuple[str, ...],
    job_seconds: str,
    start_seconds: str,
    warm_pool_quotas: tuple[str, ...],
    curve_points: int,
    metric_delay: float,
    fail_rate: float,
    fail_reasons: str | None,
    seed: int | None,
    state_file: Path | None,
) -> None:
    """Run the realistic local SageMaker mock until SIGINT/SIGTERM."""
    from sagesweep.mock import (
        MockConfig,
        StateFileError,
        parse_fail_reasons,
        parse_job_seconds,
        parse_quotas,
        serve_forever,
    )

    optional: dict[str, Any] = {}
    if fail_reasons is not None:
        optional["fail_reasons"] = parsed("--fail-reasons", parse_fail_reasons, fail_reasons)
    try:
        config = MockConfig(
            host=host,
            port=port,
            throttle_rate=throttle_rate,
            throttle_burst=throttle_burst,
            read_rate=read_rate,
            read_burst=read_burst,
            stop_rate=stop_rate,
            stop_burst=stop_burst,
            error_rate=error_rate,
            drop_rate=drop_rate,
            latency_ms=latency_ms,
            quotas=parsed("--quota", parse_quotas, quotas),
            capacity=parsed("--capacity", lambda c: parse_quotas(c, "capacity"), capacities),
            job_seconds=parsed("--job-seconds", parse_job_seconds, job_seconds),
            start_seconds=parsed("--start-seconds", parse_job_seconds, start_seconds),
            warm_pool_quotas=parsed(
                "--warm-pool-quota",
                lambda q: parse_quotas(q, "warm pool quota"),
                warm_pool_quotas,
            ),
            curve_points=curve_points,
            metric_delay=metric_delay,
            fail_rate=fail_rate,
            seed=seed,
            state_file=state_file,
            **optional,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        serve_forever(config)
    except StateFileError as exc:
        if exc.disk:
            raise StorageError(exc.file, exc.reason) from None
        field = "" if exc.line is None else f"line {exc.line}"
        raise InputError.one(exc.file, "", field, exc.reason) from None
