"""The safe YAML parser: JSON-compatible values, positions, and the problems it reports."""

from __future__ import annotations

import pytest

from generator.load import pointer as jp
from generator.load.parse import Limits, ParseError, parse_yaml


def test_values_are_json_compatible() -> None:
    parsed = parse_yaml(
        "200: ok\ndate: 2022-01-01\nstamp: 2022-01-01T10:00:00Z\n"
        "flag: true\nnone: ~\nnum: 1.5\nhex: 0x1f\nquoted: '12'\n"
    )
    assert parsed.data == {
        "200": "ok",
        "date": "2022-01-01",
        "stamp": "2022-01-01T10:00:00Z",
        "flag": True,
        "none": None,
        "num": 1.5,
        "hex": 31,
        "quoted": "12",
    }


def test_positions_point_at_keys_and_items() -> None:
    parsed = parse_yaml("a:\n  b:\n    - x\n    - {c: 1}\n")
    assert parsed.positions["/a"] == (1, 1)
    assert parsed.positions["/a/b"] == (2, 3)
    assert parsed.positions["/a/b/0"] == (3, 7)
    assert parsed.positions["/a/b/1/c"] == (4, 8)


def test_duplicate_keys_reported_last_wins() -> None:
    parsed = parse_yaml("a: 1\nb: 2\na: 3\n")
    assert parsed.data == {"a": 3, "b": 2}
    assert [(p[0], p[2], p[3]) for p in parsed.problems] == [("yaml-duplicate-key", "/a", 3)]


def test_aliases_and_merge_keys() -> None:
    parsed = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nsame: *b\n")
    assert parsed.data["use"] == {"x": 1, "y": 3}
    assert parsed.data["same"] == {"x": 1, "y": 2}


def test_alias_expansion_is_bounded() -> None:
    text = "a: &a [1, 2, 3, 4]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\n"
    assert parse_yaml(text, Limits(max_nodes=1000)).data["c"][0][0] == [1, 2, 3, 4]
    with pytest.raises(ParseError) as error:
        parse_yaml(text, Limits(max_nodes=50))
    assert error.value.rule == "alias-limit"
    assert error.value.line == 3


def test_unsupported_tag_is_reported() -> None:
    parsed = parse_yaml("a: !!python/object:os.system 'echo hi'\n")
    assert parsed.data == {"a": "echo hi"}
    assert parsed.problems[0][0] == "yaml-unsupported-tag"


def test_multiple_documents_refused() -> None:
    with pytest.raises(ParseError) as error:
        parse_yaml("a: 1\n---\nb: 2\n")
    assert error.value.rule == "yaml-multiple-documents"


def test_pointer_escaping_round_trip() -> None:
    pointer = jp.join("", "paths", "/a/{b}", "~x")
    assert pointer == "/paths/~1a~1{b}/~0x"
    assert jp.split(pointer) == ["paths", "/a/{b}", "~x"]
    assert jp.resolve({"paths": {"/a/{b}": {"~x": 5}}}, pointer) == 5
    with pytest.raises(KeyError):
        jp.resolve({"a": [1]}, "/a/01")
