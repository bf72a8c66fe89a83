"""sagesweep: launch thousands of SageMaker training jobs, exactly once.

The public Python API is what ``__all__`` names (see ``docs/python-api.md``);
everything in the subpackages is internal and may change between releases.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sagesweep.version import __version__

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
