"""sagesweep: launch thousands of SageMaker training jobs, exactly once."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("sagesweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["__version__"]
