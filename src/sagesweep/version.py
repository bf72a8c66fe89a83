"""The installed version of sagesweep, in a module of its own so that nothing imports
the package root (and, through it, the whole API) just to learn it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("sagesweep")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"
