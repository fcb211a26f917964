"""Where a report goes: standard output, or a file that appears only when complete (an
interrupted run leaves no half-written report; missing parent folders are created).

Machine formats are UTF-8 whatever the locale; text keeps the terminal's encoding, with
characters it cannot show escaped rather than crashing the run.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from generator.atomic import atomic_text


class OutputError(Exception):
    """The report cannot be written (exit code 2); the message names the file."""


def isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


@contextlib.contextmanager
def report_file(path: str) -> Iterator[TextIO]:
    target = Path(path)
    if target.is_dir():
        raise OutputError(f"{path}: cannot write: is a directory")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_text(target) as out:
            yield out
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from None


@contextlib.contextmanager
def report_stdout(fmt: str, stream: TextIO | None = None) -> Iterator[TextIO]:
    stream = stream if stream is not None else sys.stdout
    buffer = getattr(stream, "buffer", None)
    if buffer is None:
        yield stream
        return
    stream.flush()
    encoding = "utf-8" if fmt != "text" else (stream.encoding or "utf-8")
    wrapper = io.TextIOWrapper(
        buffer, encoding=encoding, errors="backslashreplace", newline="\n", write_through=True
    )
    try:
        yield wrapper
        wrapper.flush()
    finally:
        with contextlib.suppress(ValueError):
            wrapper.detach()


def open_report(
    output: str | None, fmt: str, stream: TextIO | None = None
) -> contextlib.AbstractContextManager[TextIO]:
    """The file `output` (atomically) or standard output. Raises OutputError."""
    return report_file(output) if output is not None else report_stdout(fmt, stream)


def write_report(text: str, output: str | None, fmt: str, stream: TextIO | None = None) -> None:
    with open_report(output, fmt, stream) as out:
        out.write(text)
