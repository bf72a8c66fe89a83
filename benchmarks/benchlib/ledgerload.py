"""The timed load of a big ledger, run as a script in its own process::

    python benchmarks/benchlib/ledgerload.py LEDGER   # prints the seconds load_ledger took

The ledger itself is written by ``benchmarks/ledger_bench.py``'s ``generate`` (the
writer's own line format, re-recorded jobs, failures), so both benchmarks read the
same kind of file.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1]


def write_ledger(path: Path, lines: int) -> int:
    """``lines`` job records as sagesweep writes them; returns the file size."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    from ledger_bench import generate

    path.parent.mkdir(parents=True, exist_ok=True)
    return int(generate(path, lines, fast=True))


def main() -> None:
    from sagesweep.ledger import load_ledger

    path = Path(sys.argv[1])
    start = time.perf_counter()
    state = load_ledger(path)
    seconds = time.perf_counter() - start
    print(f"{seconds:.6f} {len(state.jobs)}")


if __name__ == "__main__":
    main()
