"""Running an API coroutine to its end from code that is not async (a script, a notebook
cell without ``await``): the ``*_sync`` functions.

On uvloop where it is installed: the client is CPU-bound at high rates, and uvloop's
event loop leaves more of the CPU to the HTTP path. Called where an event loop already
runs in the thread, it raises ``RuntimeError``: ``await`` the coroutine there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import anyio

__all__ = ["run_sync"]

T = TypeVar("T")


def run_sync(function: Callable[[], Awaitable[T]]) -> T:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        backend_options: dict[str, Any] = {}
    else:
        backend_options = {"use_uvloop": True}
    return anyio.run(function, backend_options=backend_options)
