"""Each schema rule from both directions: the same edit of a schema is judged differently when
callers send the value (request) than when they receive it (response)."""

from __future__ import annotations

from typing import Any

import pytest

from generator.diff import RULES, Level
from tests.diff.conftest import Pair, make_spec

S = {"type": "string"}


def obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = required
    return schema


# (name, old schema, new schema, rule in a request, rule in a response)
CASES: list[tuple[str, Any, Any, str, str]] = [
    (
        "required property added",
        obj({"a": S}),
        obj({"a": S, "b": S}, ["b"]),
        "request-property-added-required",
        "response-property-added",
    ),
    (
        "optional property added",
        obj({"a": S}),
        obj({"a": S, "b": S}),
        "request-property-added",
        "response-property-added",
    ),
    (
        "property removed from an open object",
        obj({"a": S, "b": S}),
        obj({"a": S}),
        "request-property-removed",
        "response-property-removed",
    ),
    (
        "property removed from a closed object",
        obj({"a": S, "b": S}, additionalProperties=False),
        obj({"a": S}, additionalProperties=False),
        "request-property-refused",
        "response-property-removed",
    ),
    (
        "property added to a closed object",
        obj({"a": S}, additionalProperties=False),
        obj({"a": S, "b": S}, additionalProperties=False),
        "request-property-added",
        "response-property-added-to-closed-object",
    ),
    (
        "property became required",
        obj({"a": S}),
        obj({"a": S}, ["a"]),
        "request-property-became-required",
        "response-property-became-required",
    ),
    (
        "property became optional",
        obj({"a": S}, ["a"]),
        obj({"a": S}),
        "request-property-became-optional",
        "response-property-became-optional",
    ),
    (
        "enum value removed",
        {"type": "string", "enum": ["x", "y"]},
        {"type": "string", "enum": ["x"]},
        "request-enum-value-removed",
        "response-enum-value-removed",
    ),
    (
        "enum value added",
        {"type": "string", "enum": ["x"]},
        {"type": "string", "enum": ["x", "y"]},
        "request-enum-value-added",
        "response-enum-value-added",
    ),
    (
        "enum introduced",
        S,
        {"type": "string", "enum": ["x"]},
        "request-enum-value-removed",
        "response-constraint-tightened",
    ),
    (
        "enum dropped",
        {"type": "string", "enum": ["x"]},
        S,
        "request-constraint-relaxed",
        "response-enum-removed",
    ),
    (
        "number became integer",
        {"type": "number"},
        {"type": "integer"},
        "request-type-narrowed",
        "response-type-narrowed",
    ),
    (
        "integer became number",
        {"type": "integer"},
        {"type": "number"},
        "request-type-widened",
        "response-type-widened",
    ),
    (
        "null allowed",
        S,
        {"type": ["string", "null"]},
        "request-type-widened",
        "response-type-widened",
    ),
    (
        "null no longer allowed",
        {"type": ["string", "null"]},
        S,
        "request-type-narrowed",
        "response-type-narrowed",
    ),
    (
        "string became integer",
        S,
        {"type": "integer"},
        "request-type-narrowed",
        "response-type-widened",
    ),
    (
        "format added",
        S,
        {"type": "string", "format": "date"},
        "request-format-changed",
        "response-constraint-tightened",
    ),
    (
        "format removed",
        {"type": "string", "format": "date"},
        S,
        "request-constraint-relaxed",
        "response-format-changed",
    ),
    (
        "format widened int32 to int64",
        {"type": "integer", "format": "int32"},
        {"type": "integer", "format": "int64"},
        "request-constraint-relaxed",
        "response-format-changed",
    ),
    (
        "maxLength lowered",
        {"type": "string", "maxLength": 10},
        {"type": "string", "maxLength": 5},
        "request-length-narrowed",
        "response-constraint-tightened",
    ),
    (
        "maxLength raised",
        {"type": "string", "maxLength": 5},
        {"type": "string", "maxLength": 10},
        "request-constraint-relaxed",
        "response-length-widened",
    ),
    (
        "minItems added",
        {"type": "array", "items": S},
        {"type": "array", "items": S, "minItems": 1},
        "request-length-narrowed",
        "response-constraint-tightened",
    ),
    (
        "minimum raised",
        {"type": "integer", "minimum": 0},
        {"type": "integer", "minimum": 1},
        "request-range-narrowed",
        "response-constraint-tightened",
    ),
    (
        "maximum raised",
        {"type": "integer", "maximum": 10},
        {"type": "integer", "maximum": 20},
        "request-constraint-relaxed",
        "response-range-widened",
    ),
    (
        "bound became exclusive",
        {"type": "number", "minimum": 0},
        {"type": "number", "exclusiveMinimum": 0},
        "request-range-narrowed",
        "response-constraint-tightened",
    ),
    (
        "multipleOf added",
        {"type": "number"},
        {"type": "number", "multipleOf": 0.5},
        "request-range-narrowed",
        "response-constraint-tightened",
    ),
    (
        "pattern added",
        S,
        {"type": "string", "pattern": "^[A-Z]+$"},
        "request-pattern-changed",
        "response-constraint-tightened",
    ),
    (
        "pattern removed",
        {"type": "string", "pattern": "^[A-Z]+$"},
        S,
        "request-constraint-relaxed",
        "response-pattern-changed",
    ),
    (
        "object closed",
        obj({"a": S}),
        obj({"a": S}, additionalProperties=False),
        "request-object-closed",
        "response-constraint-tightened",
    ),
    (
        "object opened",
        obj({"a": S}, additionalProperties=False),
        obj({"a": S}),
        "request-constraint-relaxed",
        "response-object-opened",
    ),
    (
        "alternative removed",
        {"oneOf": [obj({"a": S}, ["a"]), obj({"b": S}, ["b"]), obj({"c": S}, ["c"])]},
        {"oneOf": [obj({"a": S}, ["a"]), obj({"b": S}, ["b"])]},
        "request-variant-removed",
        "response-constraint-tightened",
    ),
    (
        "alternative added",
        {"oneOf": [obj({"a": S}, ["a"]), obj({"b": S}, ["b"])]},
        {"oneOf": [obj({"a": S}, ["a"]), obj({"b": S}, ["b"]), obj({"c": S}, ["c"])]},
        "request-constraint-relaxed",
        "response-variant-added",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "in_request", "in_response"),
    [pytest.param(o, n, rq, rs, id=name) for name, o, n, rq, rs in CASES],
)
def test_each_edit_is_judged_by_direction(
    pair: Pair, old: Any, new: Any, in_request: str, in_response: str
) -> None:
    wrap_old, wrap_new = obj({"v": old}, ["v"]), obj({"v": new}, ["v"])
    assert pair.rules(make_spec(request=wrap_old), make_spec(request=wrap_new)) == [in_request]
    assert pair.rules(make_spec(response=wrap_old), make_spec(response=wrap_new)) == [in_response]
    # and the change is reported where it is: at the property, in the right place
    (change,) = pair.changes(make_spec(response=wrap_old), make_spec(response=wrap_new))
    where = "response 200 application/json: v"
    expected = {f"{where}.a", f"{where}.b"} if "property" in change.rule else {where}
    assert change.location in expected
    assert change.old is not None and change.old.pointer.startswith(
        "/paths/~1things~1{id}/post/responses/200/content/application~1json/schema/properties/v"
    )


def test_every_rule_of_a_case_has_its_documented_severity() -> None:
    for _, _, _, in_request, in_response in CASES:
        assert in_request.startswith("request-") and in_response.startswith("response-")
        assert in_request in RULES and in_response in RULES


def test_an_edit_that_breaks_one_direction_is_harmless_in_the_other(pair: Pair) -> None:
    # a new required property breaks senders, and is only news to receivers
    old, new = obj({"a": S}), obj({"a": S, "b": S}, ["b"])
    (req,) = pair.changes(make_spec(request=old), make_spec(request=new))
    (res,) = pair.changes(make_spec(response=old), make_spec(response=new))
    assert (req.level, res.level) == (Level.BREAKING, Level.INFO)


def test_changes_deep_inside_arrays_name_their_path(pair: Pair) -> None:
    old = obj(
        {"items": {"type": "array", "items": obj({"state": {"type": "string", "enum": ["A"]}})}}
    )
    new = obj(
        {
            "items": {
                "type": "array",
                "items": obj({"state": {"type": "string", "enum": ["A", "B"]}}),
            }
        }
    )
    (change,) = pair.changes(make_spec(response=old), make_spec(response=new))
    assert change.rule == "response-enum-value-added"
    assert change.location == "response 200 application/json: items[].state"
    assert "'B'" not in change.message and '"B"' in change.message


def test_read_only_and_write_only_properties_count_only_where_they_travel(pair: Pair) -> None:
    old = obj(
        {
            "id": {"type": "string", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
        }
    )
    new = obj({})
    assert pair.rules(make_spec(request=old), make_spec(request=new)) == [
        "request-property-removed"
    ]
    (req,) = pair.changes(make_spec(request=old), make_spec(request=new))
    assert "'secret'" in req.message
    (res,) = pair.changes(make_spec(response=old), make_spec(response=new))
    assert res.rule == "response-property-removed" and "'id'" in res.message


def test_recursive_schemas_are_compared_without_looping(pair: Pair) -> None:
    def tree(kinds: list[str]) -> dict[str, Any]:
        return {
            "Node": obj(
                {
                    "kind": {"type": "string", "enum": kinds},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                }
            )
        }

    ref = {"$ref": "#/components/schemas/Node"}
    changes = pair.changes(
        make_spec(response=ref, components=tree(["a"])),
        make_spec(response=ref, components=tree(["a", "b"])),
    )
    assert [(c.rule, c.location) for c in changes] == [
        ("response-enum-value-added", "response 200 application/json: kind")
    ]
    assert changes[0].new is not None
    assert changes[0].new.pointer == "/components/schemas/Node/properties/kind"


def test_a_change_inside_a_shared_component_is_reported_for_each_operation(pair: Pair) -> None:
    def spec(kinds: list[str]) -> dict[str, Any]:
        base = make_spec(
            response={"$ref": "#/components/schemas/T"},
            components={"T": obj({"k": {"type": "string", "enum": kinds}})},
        )
        base["paths"]["/others"] = {
            "get": {
                "operationId": "listThings",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/T"}}
                        },
                    }
                },
            }
        }
        return base

    changes = pair.changes(spec(["a"]), spec(["a", "b"]))
    assert sorted(c.operation for c in changes) == ["listThings", "makeThing"]
    assert {c.new.pointer for c in changes if c.new} == {"/components/schemas/T/properties/k"}
