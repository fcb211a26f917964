"""Files that appear only when complete: everything the tool writes for a user (generated code,
reports, HAR recordings) goes through here, so an interrupted run never leaves half a file.

The text goes to a temporary file in the target's folder, which is renamed over the target.
The result has the mode a plain `open()` would give it (the old file's, else 0666 minus the
umask), not mkstemp's 0600. `durable=True` also fsyncs before the rename, for reports a CI job
reads after the process ends; generated files skip it (a rerun recreates them).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_text(path: Path, *, durable: bool = True) -> Iterator[TextIO]:
    """A UTF-8 text file (LF newlines) that replaces `path` when the block ends without error.
    OSError propagates: the caller words it for the user."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


def write_text(path: Path, text: str, *, durable: bool = True) -> None:
    with atomic_text(path, durable=durable) as out:
        out.write(text)
