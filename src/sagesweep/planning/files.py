"""Read a sweep or template file: regular files only, and never more than a bound.

A path on the command line or in ``template_file`` can name anything: ``/dev/zero``
never ends, a FIFO blocks a plain ``open`` until a writer appears, and a huge file is
read whole before any check can say it is too big. So the file is opened with
``O_NONBLOCK`` (opening a FIFO then returns at once), checked with ``fstat`` on the
open descriptor (no window between the check and the read), and read up to
:data:`MAX_FILE_BYTES` plus one byte, which is enough to tell that it is too long.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["MAX_FILE_BYTES", "UnreadableFile", "read_text"]

#: The largest sweep or template file read, in bytes (10 MiB). A sweep of a million
#: jobs is a few lines; this much text is a mistake, or something that is not a sweep.
MAX_FILE_BYTES = 10 * 1024 * 1024
_LIMIT_TEXT = "10 MiB"
_CHUNK = 1 << 20


class UnreadableFile(ValueError):
    """The file cannot be used as input; the message is one line and names the path."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _too_big(path: Path) -> UnreadableFile:
    return UnreadableFile(
        f"{path} is larger than {_LIMIT_TEXT}, the most a sweep or template file may hold"
    )


def read_text(path: Path, *, limit: int = MAX_FILE_BYTES) -> str:
    """The UTF-8 text of the regular file ``path``, at most ``limit`` bytes of it.

    Raises :class:`FileNotFoundError` if there is no such file, :class:`UnreadableFile`
    for anything else that keeps it from being input.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except IsADirectoryError:
        raise UnreadableFile(f"{path} is a directory, not a file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise UnreadableFile(f"cannot read {path}: {exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(f"{path} is {_kind(info.st_mode)}; give a regular file")
        if info.st_size > limit:
            raise _too_big(path)
        # The file may grow between fstat and read: read one byte past the limit.
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise UnreadableFile(f"cannot read {path}: {exc}") from None
    finally:
        os.close(fd)
    if size > limit:
        raise _too_big(path)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"cannot read {path}: not UTF-8 text ({exc.reason})") from None
