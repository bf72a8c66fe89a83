"""The commands sagesweep suggests: each one line that works as printed.

A hint names the sweep file, its ledger and the target the run used (``--mock``,
``--endpoint-url``, ``--region``, ``--profile``), shell-quoted, so that pasting it runs
against the same jobs. Hints are printed with ``print``, never through a console that
wraps long lines.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from sagesweep.aws.target import Target

__all__ = ["hint"]


def hint(command: str, sweep: Path, ledger: Path, target: Target, extra: Sequence[str] = ()) -> str:
    """``sagesweep <command> <sweep> --ledger <ledger> <target options> <extra>``."""
    words = ["sagesweep", command, str(sweep), "--ledger", str(ledger)]
    if target.mock:
        words.append("--mock")
    if target.endpoint_url:
        words += ["--endpoint-url", target.endpoint_url]
    if target.region:
        words += ["--region", target.region]
    if target.profile:
        words += ["--profile", target.profile]
    words += extra
    return shlex.join(words)
