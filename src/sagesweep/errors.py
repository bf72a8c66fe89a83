"""sagesweep's own exceptions and the exit codes they end a command with.

Tree::

    SagesweepError
    ├── InputError            bad sweep file / bad CLI input: exit code 2
    │   └── PlanError         one or more problems found while planning
    ├── LedgerLockedError     another submitter holds the ledger: exit code 2
    ├── StorageError          a file cannot be read or written (full disk...): exit code 3
    │   ├── LedgerIOError     the ledger or its lock
    │   └── SpoolIOError      the planned jobs' temporary file
    └── CredentialsError      no credentials and no endpoint: exit code 2

AWS errors are not wrapped in exceptions of ours: :func:`sagesweep.aws.outcomes.classify`
sorts any exception an AWS call raises into what to do about it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sagesweep.redaction.secrets import MASK, redact_text

__all__ = [
    "CredentialsError",
    "InputError",
    "LedgerIOError",
    "LedgerLockedError",
    "PlanError",
    "Problem",
    "SagesweepError",
    "SpoolIOError",
    "StorageError",
]

#: How many problems a plan error prints before it only counts the rest.
DEFAULT_MAX_PROBLEMS = 50


class SagesweepError(Exception):
    """Base of every error sagesweep raises on purpose."""

    exit_code: int = 1


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the input, printable as one line."""

    source: str  #: the file (or "<cli>")
    subject: str  #: the job name or parameter the problem belongs to; "" if global
    field: str  #: the field path inside the request / sweep file; "" if none
    message: str

    def __str__(self) -> str:
        parts = [self.source or "<input>"]
        if self.subject:
            parts.append(self.subject)
        if self.field:
            parts.append(self.field)
        message = redact_text(self.message)
        if _ENVIRONMENT.match(self.subject) or _ENVIRONMENT.match(self.field):
            message = _QUOTED.sub(f"'{MASK}'", message)
        parts.append(message)
        return ": ".join(_one_line(p) for p in parts)


# A problem never echoes a secret: token shapes are masked in every message, and a
# problem about an Environment value (every one of which is masked wherever shown)
# has every quoted value in its message masked.
_ENVIRONMENT = re.compile(r"(?:template\.)?Environment(?:$|[.\[])")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


def _one_line(text: str) -> str:
    """A problem is one line whatever a file held: control characters are escaped."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class InputError(SagesweepError):
    """Bad input. Printed as one line per problem, exit code 2."""

    exit_code = 2

    def __init__(
        self,
        problems: Sequence[Problem],
        *,
        max_shown: int = DEFAULT_MAX_PROBLEMS,
        total: int | None = None,
    ) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.total = len(self.problems) if total is None else total
        self.max_shown = max_shown
        super().__init__("\n".join(self.lines()))

    @classmethod
    def one(cls, source: str, subject: str, field: str, message: str) -> InputError:
        return cls([Problem(source, subject, field, message)])

    def lines(self) -> list[str]:
        shown = [str(p) for p in self.problems[: self.max_shown]]
        hidden = self.total - len(shown)
        if hidden > 0:
            shown.append(f"... and {hidden} more problem{'s' if hidden != 1 else ''}")
        return shown


class PlanError(InputError):
    """Problems found while expanding / rendering / validating a plan."""


class LedgerLockedError(SagesweepError):
    """Another process holds the ledger lock."""

    exit_code = 2

    def __init__(self, path: str, holder: str = "") -> None:
        self.path = path
        self.holder = holder
        super().__init__(
            f"{path}: ledger is locked by {_holder(holder)}; "
            "wait for it to finish or use another --ledger"
        )


def _holder(text: str) -> str:
    """``pid=42 host=h command=resubmit`` (the lock file) -> ``sagesweep resubmit (pid 42
    on h)``; other text is shown as it is."""
    fields = dict(part.split("=", 1) for part in text.split() if "=" in part)
    if "pid" not in fields:
        return f"another process ({text})" if text else "another sagesweep process"
    where = f" on {fields['host']}" if fields.get("host") else ""
    return f"sagesweep {fields.get('command', 'submit')} (pid {fields['pid']}{where})"


class StorageError(SagesweepError, OSError):
    """A file sagesweep must read or write cannot be (full disk, read-only, permissions).

    Exit code 3 for every such file, because "some jobs failed" (1) would send a user to
    the jobs when the disk is what needs attention. The message names the file. Also an
    ``OSError``, which it is.
    """

    exit_code = 3

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        SagesweepError.__init__(self, f"{path}: {message}")


class LedgerIOError(StorageError):
    """The ledger (or its lock file) cannot be read or written."""

    def __init__(self, path: str, cause: OSError) -> None:
        self.cause = cause
        reason = cause.strerror or str(cause)
        super().__init__(
            path,
            f"cannot use the ledger: {reason}; jobs created and not recorded "
            "are found by name on the next run",
        )


class SpoolIOError(StorageError):
    """The planned jobs cannot be written to the temporary directory (full, read-only).

    Nothing was sent.
    """

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        super().__init__(
            where,
            f"cannot keep the planned jobs: {reason}; nothing was sent. "
            "Set TMPDIR to a directory with room (about 100 bytes a job)",
        )


class CredentialsError(SagesweepError):
    """No AWS credentials and no local endpoint to talk to."""

    exit_code = 2

    def __init__(self, detail: str = "") -> None:
        extra = f" ({detail})" if detail else ""
        super().__init__(
            "no AWS credentials found"
            f"{extra}; configure a profile (--profile) or environment credentials, "
            "or try the local mock with --mock"
        )
