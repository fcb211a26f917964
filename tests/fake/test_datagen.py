"""Values the fake makes from response schemas conform to them (checked with jsonschema-rs,
formats included), take what they are seeded with, and say when none can be made."""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs
import pytest

from generator.fake.datagen import CannotGenerate, Generator, example_for_pattern, unique_string

SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "format": "date-time"},
    {"type": "string", "format": "uuid"},
    {"type": "string", "format": "email"},
    {"type": "string", "minLength": 12, "maxLength": 14},
    {"type": "string", "pattern": "^[A-Z]{2}-\\d{4}$"},
    {"type": "integer", "minimum": 10, "maximum": 20, "multipleOf": 7},
    {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
    {"type": "array", "minItems": 3, "items": {"type": "boolean"}},
    {"type": ["null", "string"], "enum": [None, "b"]},
    {
        "type": "object",
        "required": ["id", "tags"],
        "properties": {
            "id": {"type": "integer", "format": "int64"},
            "tags": {"type": "array", "items": {"$ref": "#/$defs/Tag"}, "minItems": 1},
        },
        "additionalProperties": False,
    },
    {"allOf": [{"$ref": "#/$defs/Tag"}, {"required": ["colour"]}]},
    {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/Tag"}]},
    {"type": "object", "minProperties": 2, "additionalProperties": {"type": "integer"}},
]
DEFS = {
    "Tag": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}, "colour": {"enum": ["red", "blue"]}},
    }
}


@pytest.mark.parametrize("schema", SCHEMAS, ids=[str(i) for i in range(len(SCHEMAS))])
def test_made_values_conform(schema: dict[str, Any]) -> None:
    document = {"$defs": DEFS, "x": schema}
    value = Generator(document).at("/x")
    validator = jsonschema_rs.validator_for({**document, "$ref": "#/x"}, validate_formats=True)
    assert validator.is_valid(value), value


def test_seeds_are_kept_where_the_schema_has_room_for_them() -> None:
    document = {"$defs": DEFS}
    made = Generator(document).value(
        {"$ref": "#/$defs/Tag"}, {"name": "rex", "colour": "green", "extra": 1}
    )
    # the name is kept, a colour outside the enum is replaced, extra properties stay
    assert made == {"name": "rex", "colour": "red", "extra": 1}


def test_unsatisfiable_schemas_say_so() -> None:
    with pytest.raises(CannotGenerate):
        Generator({}).value({"type": "integer", "minimum": 5, "maximum": 4})
    with pytest.raises(CannotGenerate):
        Generator({}).value({"type": "object", "required": ["a"], "properties": {"a": False}})
    with pytest.raises(CannotGenerate):
        Generator({}).value({"$ref": "#/nowhere"})


def test_patterns_and_unique_ids() -> None:
    for pattern in ("^F-\\d{8}$", "^[a-f0-9]{32}$", "(ab|cd)+x?", "^\\w+@\\w+\\.com$"):
        assert re.search(pattern, example_for_pattern(pattern)), pattern
    ids = {unique_string({"type": "string", "pattern": "^F-\\d{8}$"}, n) for n in range(1, 50)}
    assert len(ids) == 49 and all(re.fullmatch(r"F-\d{8}", i) for i in ids)
    uuids = {unique_string({"type": "string", "format": "uuid"}, n) for n in range(1, 20)}
    assert len(uuids) == 19
