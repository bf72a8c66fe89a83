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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchlib.contenders import aio_gather


def main(argv: list[str]) -> int:
    url, path, concurrency = argv[0], Path(argv[1]), int(argv[2])
    requests = pickle.loads(path.read_bytes())
    retries = {"total_max_attempts": 1, "mode": "standard"}
    _, failed = asyncio.run(aio_gather(url, requests, concurrency, retries))
    if failed:
        print(f"{failed} of {len(requests)} calls failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
