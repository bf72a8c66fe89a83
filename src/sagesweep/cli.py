"""The commands. Thin: parse, call, print. Heavy imports happen inside commands."""

from __future__ import annotations

import click

from sagesweep import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sagesweep")
def main() -> None:
    """Launch thousands of SageMaker training jobs, exactly once."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=0, show_default=True, type=int, help="Port; 0 picks a free one.")
@click.option("--throttle-rate", type=float, default=None, help="Token refill per second.")
@click.option("--throttle-burst", type=int, default=None, help="Token bucket size.")
@click.option("--error-rate", type=click.FloatRange(0, 1), default=0.0, help="P(HTTP 500).")
@click.option("--drop-rate", type=click.FloatRange(0, 1), default=0.0, help="P(create, then drop).")
@click.option("--latency-ms", type=click.FloatRange(0), default=0.0, help="Added to every call.")
@click.option("--quota", "quotas", multiple=True, metavar="INSTANCE_TYPE=N")
@click.option("--job-seconds", type=click.FloatRange(0), default=0.0, help="InProgress duration.")
@click.option("--seed", type=int, default=None, help="Seed for fault injection.")
def mock(
    host: str,
    port: int,
    throttle_rate: float | None,
    throttle_burst: int | None,
    error_rate: float,
    drop_rate: float,
    latency_ms: float,
    quotas: tuple[str, ...],
    job_seconds: float,
    seed: int | None,
) -> None:
    """Run the realistic local SageMaker mock until SIGINT/SIGTERM."""
    from sagesweep.mock import MockConfig, parse_quotas, serve_forever

    try:
        parsed = parse_quotas(quotas)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--quota") from None
    config = MockConfig(
        host=host,
        port=port,
        throttle_rate=throttle_rate,
        throttle_burst=throttle_burst,
        error_rate=error_rate,
        drop_rate=drop_rate,
        latency_ms=latency_ms,
        quotas=parsed,
        job_seconds=job_seconds,
        seed=seed,
    )
    serve_forever(config)
