"""The commands. Thin: parse, call, print. Heavy imports happen inside commands.

:mod:`~sagesweep.cli.app` is the group; each module beside it adds its commands.
"""

from sagesweep.cli import (
    clone,
    compare,
    mock,
    plan,
    report,
    resubmit,
    results,
    status,
    stop,
    submit,
)
from sagesweep.cli.app import main

__all__ = ["main"]

_COMMANDS = (
    plan,
    submit,
    resubmit,
    status,
    stop,
    results,
    report,
    compare,
    clone,
    mock,
)  # imported for their commands
