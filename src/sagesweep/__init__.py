"""sagesweep: launch thousands of SageMaker training jobs, exactly once, and operate them.

The public Python API is what ``__all__`` names (see ``docs/python-api.md``);
everything in the subpackages is internal and may change between releases.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sagesweep.version import __version__

if TYPE_CHECKING:
    from sagesweep.commands.status import results, status, stop
    from sagesweep.commands.submit import Summary, submit, submit_sync
    from sagesweep.operating.results import ResultRow, Results
    from sagesweep.operating.status import JobRow, SweepStatus
    from sagesweep.operating.stop import StopReport

__all__ = [
    "JobRow",
    "ResultRow",
    "Results",
    "StopReport",
    "Summary",
    "SweepStatus",
    "__version__",
    "results",
    "status",
    "stop",
    "submit",
    "submit_sync",
]

# The machinery (aiobotocore, anyio) loads only when asked for: the CLI's `plan` and
# `--help` stay quick.
_LAZY = {
    "Summary": "sagesweep.commands.submit",
    "submit": "sagesweep.commands.submit",
    "submit_sync": "sagesweep.commands.submit",
    "status": "sagesweep.commands.status",
    "results": "sagesweep.commands.status",
    "stop": "sagesweep.commands.status",
    "SweepStatus": "sagesweep.operating.status",
    "JobRow": "sagesweep.operating.status",
    "Results": "sagesweep.operating.results",
    "ResultRow": "sagesweep.operating.results",
    "StopReport": "sagesweep.operating.stop",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sagesweep' has no attribute {name!r}")
    return getattr(import_module(module), name)
