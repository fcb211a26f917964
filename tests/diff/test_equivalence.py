"""Rewrites that mean the same contract must report nothing."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import yaml

from generator.diff import diff
from tests.diff.conftest import Pair, make_spec

REPO = Path(__file__).resolve().parents[2]
STATE = {"type": "string", "enum": ["Booked", "Sent", "Complete"], "maxLength": 20}


def obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props, **extra}


def test_inline_schema_equals_the_same_schema_behind_a_ref(pair: Pair) -> None:
    inline = make_spec(request=obj({"state": STATE}), response=obj({"state": STATE}))
    ref = {"$ref": "#/components/schemas/Thing"}
    behind = make_spec(request=ref, response=ref, components={"Thing": obj({"state": STATE})})
    assert pair.rules(inline, behind) == []
    assert pair.rules(behind, inline) == []


def test_nested_refs_across_files_equal_inline(pair: Pair, tmp_path: Path) -> None:
    (tmp_path / "schemas.yaml").write_text(
        yaml.safe_dump({"Thing": obj({"state": {"$ref": "#/State"}}), "State": STATE})
    )
    split = make_spec(
        request={"$ref": "schemas.yaml#/Thing"}, response={"$ref": "schemas.yaml#/Thing"}
    )
    inline = make_spec(request=obj({"state": STATE}), response=obj({"state": STATE}))
    assert pair.rules(inline, split) == []


def test_openapi_30_nullable_equals_a_31_type_array(pair: Pair) -> None:
    v30 = make_spec(
        request=obj({"n": {"type": "string", "nullable": True}}),
        response=obj(
            {"n": {"type": "integer", "nullable": True, "minimum": 0, "exclusiveMinimum": True}}
        ),
        version="3.0.3",
    )
    v31 = make_spec(
        request=obj({"n": {"type": ["string", "null"]}}),
        response=obj({"n": {"type": ["integer", "null"], "exclusiveMinimum": 0}}),
        version="3.1.0",
    )
    assert pair.rules(v30, v31) == []
    assert pair.rules(v31, v30) == []


def test_nullable_ref_spellings_are_equal(pair: Pair) -> None:
    components = {"Thing": obj({"state": STATE})}
    v30 = make_spec(
        response=obj({"t": {"allOf": [{"$ref": "#/components/schemas/Thing"}], "nullable": True}}),
        components=components,
        version="3.0.3",
    )
    v31 = make_spec(
        response=obj({"t": {"oneOf": [{"$ref": "#/components/schemas/Thing"}, {"type": "null"}]}}),
        components=components,
    )
    v31_any = make_spec(
        response=obj({"t": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/Thing"}]}}),
        components=components,
    )
    assert pair.rules(v30, v31) == []
    assert pair.rules(v31, v31_any) == []
    # while dropping the null really is a change
    plain = make_spec(
        response=obj({"t": {"$ref": "#/components/schemas/Thing"}}), components=components
    )
    assert pair.rules(v31, plain) == ["response-type-narrowed"]
    assert pair.rules(plain, v31) == ["response-type-widened"]


def test_descriptions_titles_examples_and_order_do_not_count(pair: Pair) -> None:
    old = make_spec(
        request=obj({"a": STATE, "b": {"type": "integer"}}, required=["a", "b"]),
        response={"oneOf": [obj({"x": STATE}, required=["x"]), obj({"y": STATE}, required=["y"])]},
    )
    new = make_spec(
        request={
            "description": "moved here",
            "required": ["b", "a"],
            "properties": {
                "b": {"type": "integer", "title": "B", "example": 3},
                "a": {**STATE, "enum": ["Complete", "Booked", "Sent"], "description": "state"},
            },
            "type": "object",
        },
        response={"oneOf": [obj({"y": STATE}, required=["y"]), obj({"x": STATE}, required=["x"])]},
    )
    new["paths"]["/things/{id}"]["post"]["description"] = "a new description"
    assert pair.rules(old, new) == []


PROSE = ("description", "summary", "example", "examples", "title")
NAME_MAPS = ("properties", "schemas", "responses", "headers", "parameters", "content", "paths")


def _strip(value: Any, names: bool = False) -> Any:
    """Drop prose keywords (never property or component names) and shuffle key order."""
    if isinstance(value, dict):
        items = [
            (k, _strip(v, k in NAME_MAPS)) for k, v in value.items() if names or k not in PROSE
        ]
        random.Random(len(items)).shuffle(items)
        return dict(items)
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def test_the_shipped_specs_rewritten_without_prose_and_reordered_report_nothing(
    tmp_path: Path,
) -> None:
    for style in ("v1", "quickstart"):
        source = REPO / "specs" / style / "fulfillments.yaml"
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        rewritten = tmp_path / f"{style}.json"

        rewritten.write_text(json.dumps(_strip(copy.deepcopy(data)), indent=1), encoding="utf-8")
        assert diff(str(source), str(rewritten)).changes == []
