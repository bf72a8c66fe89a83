"""The contenders: sagesweep and the loops people write by hand, on identical requests.

Each one is timed from client creation to the last answer, in a warm process (the
runner warms every contender up before measuring), and reports what it achieved.
SDK retries are off everywhere (one attempt per call, as in sagesweep) except in the
``adaptive`` baseline, whose whole point is botocore's own retry-and-pace loop.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sagesweep.commands.parts import Parts

REGION = "us-east-1"
KEY = "bench"


@dataclass
class RunResult:
    """What one timed run achieved."""

    contender: str
    jobs: int
    elapsed: float
    ok: int
    failed: int = 0
    counts: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed > 0 else 0.0


def _check(result: RunResult) -> RunResult:
    if result.ok != result.jobs:
        print(
            f"  warning: {result.contender}: {result.ok}/{result.jobs} ok, {result.failed} failed"
        )
    return result


# -- aiobotocore ------------------------------------------------------------------


async def _aio_gather(
    url: str, requests: Sequence[dict[str, Any]], concurrency: int, retries: dict[str, Any]
) -> tuple[int, int]:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    session = AioSession()
    session.set_credentials(KEY, KEY)
    config = AioConfig(
        retries=retries,
        max_pool_connections=concurrency,
        connect_timeout=10,
        read_timeout=60,
    )
    async with session.create_client(
        "sagemaker", region_name=REGION, endpoint_url=url, config=config
    ) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(request: dict[str, Any]) -> None:
            async with gate:
                await client.create_training_job(**request)

        outcomes = await asyncio.gather(*(one(r) for r in requests), return_exceptions=True)
    failed = sum(1 for o in outcomes if isinstance(o, BaseException))
    return len(requests) - failed, failed


def raw_aiobotocore(url: str, requests: Sequence[dict[str, Any]], concurrency: int) -> RunResult:
    """asyncio.gather over every request behind a semaphore; one attempt per call."""
    retries = {"total_max_attempts": 1, "mode": "standard"}
    start = time.perf_counter()
    ok, failed = asyncio.run(_aio_gather(url, requests, concurrency, retries))
    elapsed = time.perf_counter() - start
    return _check(RunResult("aiobotocore gather", len(requests), elapsed, ok, failed))


def aiobotocore_adaptive(
    url: str, requests: Sequence[dict[str, Any]], concurrency: int, max_attempts: int = 50
) -> RunResult:
    """The same gather loop with botocore's ``adaptive`` retry mode doing the pacing."""
    retries = {"mode": "adaptive", "max_attempts": max_attempts}
    start = time.perf_counter()
    ok, failed = asyncio.run(_aio_gather(url, requests, concurrency, retries))
    elapsed = time.perf_counter() - start
    return _check(RunResult("aiobotocore adaptive", len(requests), elapsed, ok, failed))


# -- boto3 --------------------------------------------------------------------------


def _boto3_client(url: str, pool: int) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        "sagemaker",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=KEY,
        aws_secret_access_key=KEY,
        config=Config(retries={"total_max_attempts": 1}, max_pool_connections=pool),
    )


def boto3_sequential(url: str, requests: Sequence[dict[str, Any]]) -> RunResult:
    """The loop everyone writes first."""
    start = time.perf_counter()
    client = _boto3_client(url, 1)
    ok = failed = 0
    for request in requests:
        try:
            client.create_training_job(**request)
            ok += 1
        except Exception:
            failed += 1
    elapsed = time.perf_counter() - start
    return _check(RunResult("boto3 sequential", len(requests), elapsed, ok, failed))


def boto3_threads(url: str, requests: Sequence[dict[str, Any]], threads: int) -> RunResult:
    """One shared boto3 client, ``threads`` threads."""
    start = time.perf_counter()
    client = _boto3_client(url, threads)

    def one(request: dict[str, Any]) -> bool:
        try:
            client.create_training_job(**request)
        except Exception:
            return False
        return True

    with ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(one, requests))
    elapsed = time.perf_counter() - start
    name = f"boto3 {threads} threads"
    return _check(RunResult(name, len(requests), elapsed, ok, len(requests) - ok))


# -- sagesweep ----------------------------------------------------------------------

_logging_configured = False


def sagesweep_submit(
    url: str,
    sweep: Path,
    jobs: int,
    concurrency: int,
    rate: float,
    ledger: Path,
    parts: Parts | None = None,
    report: Path | None = None,
) -> RunResult:
    """``sagesweep.submit_sync``: plan, validate, name, submit, ledger; as ``--quiet``
    (and, with ``report``, measured as ``--report`` does).

    The same entry point the CLI uses, event loop included (uvloop where installed).
    ``parts`` swaps components out (the profile's ablations).
    """
    global _logging_configured
    from sagesweep.commands.submit import submit_sync

    if not _logging_configured:
        from sagesweep.logs import configure_logging

        configure_logging("console", quiet=True)
        _logging_configured = True
    ledger.unlink(missing_ok=True)
    start = time.perf_counter()
    summary = submit_sync(
        sweep,
        ledger=ledger,
        rate=rate,
        concurrency=concurrency,
        endpoint_url=url,
        progress=False,
        summary_stream=io.StringIO(),
        parts=parts,
        report=report,
    )
    elapsed = time.perf_counter() - start
    counts = dict(summary.counts)
    ok = int(counts.get("submitted", 0)) + int(counts.get("exists", 0))
    name = "sagesweep --report" if report is not None else "sagesweep"
    result = RunResult(name, jobs, elapsed, ok, int(counts.get("failed", 0)), counts)
    return _check(result)
