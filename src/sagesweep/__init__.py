"""sagesweep: launch thousands of SageMaker training jobs, exactly once."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

try:
    __version__ = version("sagesweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

if TYPE_CHECKING:
    from sagesweep.api import Summary, submit, submit_sync

__all__ = ["Summary", "__version__", "submit", "submit_sync"]


def __getattr__(name: str) -> Any:
    # The submit machinery (aiobotocore, anyio) loads only when asked for: the CLI's
    # `plan` and `--help` stay quick.
    if name in ("Summary", "submit", "submit_sync"):
        from sagesweep import api

        return getattr(api, name)
    raise AttributeError(f"module 'sagesweep' has no attribute {name!r}")
