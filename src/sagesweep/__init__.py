"""sagesweep: launch thousands of SageMaker training jobs, exactly once, and operate them.

The public Python API is what ``__all__`` names (see ``docs/python-api.md``);
everything in the subpackages is internal and may change between releases.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from sagesweep.version import __version__

if TYPE_CHECKING:
    from sagesweep.aws.target import Target
    from sagesweep.cloning.roundtrip import NotReproducible
    from sagesweep.commands.clone import Cloned, clone
    from sagesweep.commands.report import report, report_sync
    from sagesweep.commands.resubmit import Resubmission, resubmit
    from sagesweep.commands.results import results, results_sync
    from sagesweep.commands.status import status, status_sync
    from sagesweep.commands.stop import stop
    from sagesweep.commands.submit import Summary, submit, submit_sync
    from sagesweep.errors import InputError, SagesweepError
    from sagesweep.operating.results import ResultRow, Results
    from sagesweep.operating.status import JobRow, SweepStatus
    from sagesweep.operating.stop import StopReport
    from sagesweep.reporting.facts import ReportFacts
    from sagesweep.resubmitting.choose import Pick

__all__ = [
    "Cloned",
    "InputError",
    "JobRow",
    "NotReproducible",
    "Pick",
    "ReportFacts",
    "Resubmission",
    "ResultRow",
    "Results",
    "SagesweepError",
    "StopReport",
    "Summary",
    "SweepStatus",
    "Target",
    "__version__",
    "clone",
    "report",
    "report_sync",
    "resubmit",
    "results",
    "results_sync",
    "status",
    "status_sync",
    "stop",
    "submit",
    "submit_sync",
]

# The machinery (aiobotocore, anyio) loads only when asked for: the CLI's `plan` and
# `--help` stay quick.
_LAZY = {
    "Cloned": "sagesweep.commands.clone",
    "InputError": "sagesweep.errors",
    "JobRow": "sagesweep.operating.status",
    "NotReproducible": "sagesweep.cloning.roundtrip",
    "Pick": "sagesweep.resubmitting.choose",
    "ReportFacts": "sagesweep.reporting.facts",
    "Resubmission": "sagesweep.commands.resubmit",
    "ResultRow": "sagesweep.operating.results",
    "Results": "sagesweep.operating.results",
    "SagesweepError": "sagesweep.errors",
    "StopReport": "sagesweep.operating.stop",
    "Summary": "sagesweep.commands.submit",
    "SweepStatus": "sagesweep.operating.status",
    "Target": "sagesweep.aws.target",
    "clone": "sagesweep.commands.clone",
    "report": "sagesweep.commands.report",
    "report_sync": "sagesweep.commands.report",
    "resubmit": "sagesweep.commands.resubmit",
    "results": "sagesweep.commands.results",
    "results_sync": "sagesweep.commands.results",
    "status": "sagesweep.commands.status",
    "status_sync": "sagesweep.commands.status",
    "stop": "sagesweep.commands.stop",
    "submit": "sagesweep.commands.submit",
    "submit_sync": "sagesweep.commands.submit",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sagesweep' has no attribute {name!r}")
    return getattr(import_module(module), name)
