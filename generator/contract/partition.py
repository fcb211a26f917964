"""Traffic cut into independent pieces of work, and put back together in input order.

A JSONL file is cut into byte ranges on line boundaries: a range owns the lines that *start*
inside it, so a line that straddles a boundary is read whole by the range it starts in and
skipped by the next. A HAR file is one piece (its entries sit inside one JSON document).
Pieces are checked anywhere (`check_partition`) without knowing how many exchanges or lines
come before them; `Reassembly` then numbers each exchange as a local run would (0-based across
all files, JSONL lines per file), so every report is identical to the one `--jobs 1` writes.
Lines that are not exchanges come back raw and are decoded again with their final numbers,
since their messages name the line.

Needs no Dask: `generator.contract.distributed` ships these pieces to a cluster.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from generator.contract.check import Contract
from generator.contract.exchange import InvalidInput
from generator.contract.findings import ExchangeResult
from generator.contract.sources import is_url, open_source, source_size
from generator.contract.traffic import (
    CHUNK_SIZE,
    STDIN,
    RawItem,
    TrafficError,
    decode,
    describe_os_error,
    detect_format,
    display_name,
    har,
)

#: bytes of JSONL per piece of work, unless told otherwise
DEFAULT_PARTITION_SIZE = 64 << 20
_BOM = b"\xef\xbb\xbf"

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "ClusterError",
    "Partition",
    "PartitionResult",
    "RangeLines",
    "RawLine",
    "Reassembly",
    "check_locally",
    "check_partition",
    "plan_partitions",
]


class ClusterError(Exception):
    """A cluster that cannot be reached or fails the run (exit code 2)."""


@dataclass(frozen=True)
class Partition:
    number: int  # position in the plan
    source: str  # the file as reports name it
    location: str  # what a worker opens: an absolute path or a URL
    format: str  # "jsonl" | "har"
    start: int
    end: int  # JSONL: lines starting before this byte; HAR: the whole file
    first: bool  # the first piece of its file


@dataclass(frozen=True)
class RawLine:
    """A JSONL line that is not an exchange, numbered within its piece."""

    index: int
    line: int
    data: bytes


@dataclass
class PartitionResult:
    items: int  # exchanges (and invalid lines / entries) in the piece
    lines: int  # JSONL lines starting in the piece, blank ones included
    results: list[ExchangeResult | RawLine]
    cpu: float = 0.0  # CPU seconds the checking thread spent on the piece


def _read(file: BinaryIO, size: int, source: str) -> bytes:
    try:
        return file.read(size)
    except OSError as exc:
        raise TrafficError(source, describe_os_error(exc)) from None


def _sniff(source: str) -> str:
    with open_source(source) as file:
        verdict, _ = detect_format(iter(lambda: _read(file, CHUNK_SIZE, source), b""))
    return verdict


def _location(source: str) -> str:
    return source if is_url(source) else os.path.abspath(source)


def plan_partitions(sources: Sequence[str], partition_size: int) -> list[Partition]:
    """The pieces of work for these files (already expanded: no patterns, no `-`), in input
    order. Reads the start of each file to tell HAR from JSONL, as a local run does."""
    if partition_size < 1:
        raise ValueError("partition_size must be at least 1 byte")
    plan: list[Partition] = []
    for source in sources:
        if source == STDIN:
            raise TrafficError(display_name(source), "cannot be read by a Dask cluster; give files")
        kind = _sniff(source)
        size = source_size(source)
        location = _location(source)
        if kind == "har":
            plan.append(Partition(len(plan), source, location, "har", 0, size, True))
            continue
        start = 0
        while True:
            end = min(size, start + partition_size)
            plan.append(Partition(len(plan), source, location, "jsonl", start, end, start == 0))
            if end >= size:
                break
            start = end
    return plan


class RangeLines:
    """The lines of `file` that start at a byte in [start, end), as `(number, line)` with
    `number` counting from 1 within the range; blank lines are counted but not yielded, and a
    byte-order mark is dropped from the first line of the file (as jsonl.iter_lines does).
    `lines` holds the count once iteration is over."""

    def __init__(
        self, file: BinaryIO, start: int, end: int, source: str, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self.file = file
        self.start = start
        self.end = end
        self.source = source
        self.chunk_size = chunk_size
        self.lines = 0

    def _chunks(self) -> Iterator[bytes]:
        while chunk := _read(self.file, self.chunk_size, self.source):
            yield chunk

    def __iter__(self) -> Iterator[tuple[int, bytes]]:
        chunks = self._chunks()
        position = self.start  # where the current line starts
        chunk, offset = b"", 0
        if self.start > 0:
            # the line holding byte start-1 started earlier: skip to the first line start
            self.file.seek(self.start - 1)
            position = self.start - 1
            for chunk in chunks:
                newline = chunk.find(b"\n")
                if newline >= 0:
                    offset = newline + 1
                    position += offset
                    break
                position += len(chunk)
            else:
                return
        else:
            self.file.seek(0)
        pending: list[bytes] = []
        while True:
            if position >= self.end and not pending:
                return  # this line belongs to the next range
            newline = chunk.find(b"\n", offset)
            if newline < 0:
                if offset < len(chunk):
                    pending.append(chunk[offset:])
                chunk = next(chunks, b"")
                offset = 0
                if not chunk:
                    break
                continue
            piece = chunk[offset:newline]
            line = b"".join([*pending, piece]) if pending else piece
            pending = []
            offset = newline + 1
            position += len(line) + 1
            yield from self._emit(line)
        if pending:
            yield from self._emit(b"".join(pending))

    def _emit(self, line: bytes) -> Iterator[tuple[int, bytes]]:
        self.lines += 1
        if self.lines == 1 and self.start == 0 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if line.strip():
            yield self.lines, line


def check_partition(contract: Contract, part: Partition) -> PartitionResult:
    """Check one piece. Exchanges are numbered from 0 within it; JSONL lines that are not
    exchanges come back raw. Raises TrafficError when the file cannot be read."""
    started = time.thread_time()
    piece = _check_partition(contract, part)
    piece.cpu = time.thread_time() - started
    return piece


def _check_partition(contract: Contract, part: Partition) -> PartitionResult:
    from generator.contract.run import check_one

    results: list[ExchangeResult | RawLine] = []
    with open_source(part.location) as file:
        if part.format == "har":
            chunks = iter(lambda: _read(file, CHUNK_SIZE, part.source), b"")
            for local, (number, raw, problem) in enumerate(har.iter_entries(chunks)):
                item = RawItem(local, number, part.source, "har", raw, problem)
                results.append(check_one(contract, decode(item)))
            return PartitionResult(len(results), 0, results)
        reader = RangeLines(file, part.start, part.end, part.source)
        for local, (line, raw) in enumerate(reader):
            decoded = decode(RawItem(local, line, part.source, "jsonl", raw))
            if isinstance(decoded, InvalidInput):
                results.append(RawLine(local, line, raw))
            else:
                results.append(check_one(contract, decoded))
        return PartitionResult(len(results), reader.lines, results)


def _shifted(result: ExchangeResult, by: int) -> ExchangeResult:
    if by == 0:
        return result
    return dataclasses.replace(
        result,
        index=result.index + by,
        findings=[dataclasses.replace(f, exchange=f.exchange + by) for f in result.findings],
    )


class Reassembly:
    """Puts the results of consecutive pieces back into one numbered stream."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.exchanges = 0  # exchanges before the next piece
        self.lines = 0  # lines of the current file before the next piece

    def results(self, part: Partition, piece: PartitionResult) -> Iterator[ExchangeResult]:
        from generator.contract.run import check_one

        if part.first:
            self.lines = 0
        for result in piece.results:
            if isinstance(result, RawLine):
                item = RawItem(
                    self.exchanges + result.index,
                    self.lines + result.line,
                    part.source,
                    "jsonl",
                    result.data,
                )
                yield check_one(self.contract, decode(item))
            else:
                yield _shifted(result, self.exchanges)
        self.exchanges += piece.items
        self.lines += piece.lines


def check_locally(contract: Contract, plan: Iterable[Partition]) -> Iterator[ExchangeResult]:
    """Every piece checked here, one after the other: what a cluster does, without one."""
    reassembly = Reassembly(contract)
    for part in plan:
        yield from reassembly.results(part, check_partition(contract, part))
