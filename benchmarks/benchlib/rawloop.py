"""A raw aiobotocore ``gather`` loop as a whole process: what a load test written by hand
costs from the interpreter's start to its exit.

    python rawloop.py URL REQUESTS.pickle CONCURRENCY

It is handed its requests ready-made (a pickle written by the runner, read at start-up),
so what it is timed on is interpreter start, imports, client start and the sends: the
least a client that sends these calls through aiobotocore must do.
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from pathlib import Path
from typing import Any


async def send(url: str, requests: list[dict[str, Any]], concurrency: int) -> int:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    session = AioSession()
    session.set_credentials("bench", "bench")
    config = AioConfig(
        retries={"total_max_attempts": 1, "mode": "standard"},
        max_pool_connections=concurrency,
        connect_timeout=10,
        read_timeout=60,
    )
    async with session.create_client(
        "sagemaker", region_name="us-east-1", endpoint_url=url, config=config
    ) as client:
        gate = asyncio.Semaphore(concurrency)

        async def one(request: dict[str, Any]) -> None:
            async with gate:
                await client.create_training_job(**request)

        outcomes = await asyncio.gather(*(one(r) for r in requests), return_exceptions=True)
    return sum(1 for o in outcomes if isinstance(o, BaseException))


def main(argv: list[str]) -> int:
    url, path, concurrency = argv[0], Path(argv[1]), int(argv[2])
    requests = pickle.loads(path.read_bytes())
    failed = asyncio.run(send(url, requests, concurrency))
    if failed:
        print(f"{failed} of {len(requests)} calls failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
