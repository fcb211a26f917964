"""Traffic files -> exchanges, streamed: HAR 1.2 or JSONL (told apart by content), or `-`
for standard input.

Two steps, so that a process pool can do the expensive one:
`read_raw(sources)` cuts the input into raw items (one JSONL line or one HAR entry, as bytes,
numbered across all sources), and `decode(item)` parses one into an `Exchange`, or an
`InvalidInput` saying what is wrong with it. `read_exchanges(sources)` does both.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from generator.contract.exchange import Exchange, InvalidInput
from generator.contract.traffic import har, jsonl

STDIN = "-"
STDIN_DISPLAY = "<stdin>"
CHUNK_SIZE = 1 << 16
#: how far into a file to look for HAR's `{"log": {` before deciding it is JSONL
SNIFF_LIMIT = 1 << 20

__all__ = [
    "STDIN",
    "RawItem",
    "TrafficError",
    "check_sources",
    "decode",
    "describe_os_error",
    "detect_format",
    "read_exchanges",
    "read_raw",
]


class TrafficError(Exception):
    """A traffic file that cannot be read at all (exit code 2)."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(f"{source}: {message}")
        self.source = source
        self.message = message


@dataclass(frozen=True, slots=True)
class RawItem:
    """One JSONL line or HAR entry, not parsed yet. `line` is the JSONL line number or the
    1-based HAR entry number (None for a problem with the file as a whole); `problem` is set
    when the scanner already knows the item is broken."""

    index: int
    line: int | None
    source: str
    format: str  # "jsonl" | "har"
    data: bytes | None
    problem: str | None = None


def display_name(path: str) -> str:
    return STDIN_DISPLAY if path == STDIN else path


def describe_os_error(exc: OSError) -> str:
    """An OSError in the words a user reads after the file name."""
    if isinstance(exc, FileNotFoundError):
        return "no such file"
    if isinstance(exc, IsADirectoryError):
        return "is a directory, expected a HAR or JSONL file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read: {exc.strerror or exc}"


def _open(path: str) -> BinaryIO:
    """A local file or an fsspec URL (generator.contract.sources), opened for bytes."""
    from generator.contract.sources import open_source

    return open_source(path)


def check_sources(sources: Sequence[str]) -> None:
    """Fail early (TrafficError) when a source cannot be opened, before any output is
    written."""
    if not sources:
        raise TrafficError("TRAFFIC", "no traffic file given")
    if list(sources).count(STDIN) > 1:
        raise TrafficError(STDIN_DISPLAY, "standard input can be read only once")
    for path in sources:
        if path == STDIN:
            if sys.stdin is None:
                raise TrafficError(STDIN_DISPLAY, "standard input is closed")
            continue
        _open(path).close()


def _chunks(file: BinaryIO, source: str, size: int) -> Iterator[bytes]:
    while True:
        try:
            chunk = file.read(size)
        except OSError as exc:
            raise TrafficError(source, describe_os_error(exc)) from None
        if not chunk:
            return
        yield chunk


def detect_format(chunks: Iterable[bytes]) -> tuple[str, Iterator[bytes]]:
    """("har" | "jsonl", the same chunks from the start). A HAR is a JSON object whose "log"
    member is an object; anything else is read as JSONL (one exchange per line)."""
    source = iter(chunks)
    seen: list[bytes] = []
    scanner = har.HarScanner()
    size = 0
    verdict = "jsonl"
    for chunk in source:
        seen.append(chunk)
        size += len(chunk)
        scanner.feed(chunk)
        if scanner.saw_log:
            verdict = "har"
            break
        if scanner.done or scanner.error or size >= SNIFF_LIMIT:
            break

    def replay() -> Iterator[bytes]:
        yield from seen
        seen.clear()
        yield from source

    return verdict, replay()


def _read_one(path: str, file: BinaryIO, start: int, chunk_size: int) -> Iterator[RawItem]:
    source = display_name(path)
    kind, chunks = detect_format(_chunks(file, source, chunk_size))
    index = start
    if kind == "har":
        for number, raw, problem in har.iter_entries(chunks):
            yield RawItem(index, number, source, "har", raw, problem)
            index += 1
    else:
        for line, raw in jsonl.iter_lines(chunks):
            yield RawItem(index, line, source, "jsonl", raw)
            index += 1


def read_raw(sources: Sequence[str], chunk_size: int = CHUNK_SIZE) -> Iterator[RawItem]:
    """Every line / entry of every source, in order, `index` counting across all of them.
    Raises TrafficError when a source cannot be opened or read."""
    index = 0
    for path in sources:
        if path == STDIN:
            if sys.stdin is None:
                raise TrafficError(STDIN_DISPLAY, "standard input is closed")
            for item in _read_one(path, sys.stdin.buffer, index, chunk_size):
                index = item.index + 1
                yield item
            continue
        with _open(path) as file:
            for item in _read_one(path, file, index, chunk_size):
                index = item.index + 1
                yield item


def decode(item: RawItem) -> Exchange | InvalidInput:
    """Parse one raw item: an Exchange, or an InvalidInput naming the line / entry."""
    if item.format == "har":
        if item.data is None or item.line is None:
            return har.invalid(item.index, item.line, item.source, item.problem or "unreadable")
        return har.decode_entry(item.data, item.index, item.line, item.source)
    if item.data is None or item.line is None:
        return jsonl.invalid(item.index, item.line or 0, item.source, item.problem or "unreadable")
    return jsonl.decode_line(item.data, item.index, item.line, item.source)


def read_exchanges(
    sources: Sequence[str], chunk_size: int = CHUNK_SIZE
) -> Iterator[Exchange | InvalidInput]:
    """Every exchange of every source, in input order (0-based `index` across all sources)."""
    for item in read_raw(sources, chunk_size):
        yield decode(item)
