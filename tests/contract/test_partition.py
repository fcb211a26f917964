"""Traffic cut into pieces and put back together (generator.contract.partition), without a
cluster: byte ranges on line boundaries read exactly the lines the streaming reader reads,
and pieces checked one by one number every exchange and line as a local run does."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.contract.partition import (
    RangeLines,
    check_locally,
    plan_partitions,
)
from generator.contract.run import iter_results, load_contract
from generator.contract.traffic import TrafficError
from generator.contract.traffic.jsonl import iter_lines
from tests.contract.test_check_cli import (
    QS_BAD,
    QS_FORMATS,
    QS_GOOD,
    QS_TEAPOT,
    V1_ENTRIES,
    har,
)

QS = "specs/quickstart/fulfillments.yaml"

LINES = st.lists(
    st.sampled_from([b"", b" ", b"\r", b"{}", b"\xef\xbb\xbf{}", b"abc", b"x" * 70, b"\t\r"]),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@given(
    LINES,
    st.booleans(),
    st.booleans(),
    st.integers(min_value=1, max_value=90),
    st.integers(min_value=1, max_value=9),
)
def test_ranges_read_exactly_the_lines_of_the_whole_file(
    lines: list[bytes], bom: bool, trailing: bool, size: int, chunk: int
) -> None:
    data = (b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + (b"\n" if trailing else b"")
    expected = list(iter_lines([data]))
    got: list[tuple[int, bytes]] = []
    before = 0
    for start in range(0, max(len(data), 1), size):
        reader = RangeLines(io.BytesIO(data), start, min(len(data), start + size), "t", chunk)
        got.extend((before + number, line) for number, line in reader)
        before += reader.lines
    assert got == expected


def mixed_traffic(folder: Path) -> list[str]:
    """JSONL with a byte-order mark, CRLF, blank and broken lines and no final newline; a
    HAR with an entry that has no request; a HAR cut short; an empty file."""
    lines = [json.dumps(QS_GOOD), "", json.dumps(QS_BAD), "{broken", "  ", "[1, 2]"]
    lines += [json.dumps(QS_TEAPOT), json.dumps(QS_FORMATS)] * 6 + ['{"request": 7}']
    first = folder / "a.jsonl"
    first.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())
    session = folder / "b.har"
    session.write_text(har(*V1_ENTRIES))
    cut = folder / "c.har"
    cut.write_text(har(*V1_ENTRIES)[:-60])
    empty = folder / "d.jsonl"
    empty.write_text("")
    second = folder / "e.jsonl"
    second.write_text("\n".join([json.dumps(QS_BAD), "nope", json.dumps(QS_GOOD)] * 5) + "\n")
    return [str(p) for p in (first, session, cut, empty, second)]


def test_pieces_checked_apart_equal_one_local_run(tmp_path: Path) -> None:
    sources = mixed_traffic(tmp_path)
    contract = load_contract(QS)
    expected = list(iter_results(QS, sources, contract=contract))
    assert any(not r.method for r in expected)  # invalid lines are in the mix
    for size in (1, 7, 100, 333, 1 << 20):
        plan = plan_partitions(sources, size)
        assert [p.format for p in plan if p.first] == ["jsonl", "har", "har", "jsonl", "jsonl"]
        assert sum(1 for p in plan if p.format == "har") == 2  # one piece per HAR file
        got = list(check_locally(contract, plan))
        assert got == expected, size


def test_standard_input_cannot_be_planned() -> None:
    try:
        plan_partitions(["-"], 100)
    except TrafficError as exc:
        assert str(exc) == "<stdin>: cannot be read by a Dask cluster; give files"
    else:
        raise AssertionError("stdin was planned")
