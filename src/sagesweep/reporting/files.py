"""Writing a file the reporting commands produce: whole or not at all.

A temporary file beside the target is renamed over it, so a reader (or a run killed
mid-write) only ever sees a complete file; the file gets the permissions any new file
would (the umask's), not the temporary file's private ones.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sagesweep.errors import StorageError

__all__ = ["write_whole"]


def write_whole(path: Path, text: str, what: str) -> None:
    """Write ``text`` to ``path`` whole; ``what`` names it in the error ("the report")."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            mask = os.umask(0)
            os.umask(mask)
            os.chmod(temporary, 0o666 & ~mask)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(str(path), f"cannot write {what}: {exc.strerror or exc}") from exc
