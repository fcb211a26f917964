"""Schema rules OpenAPI adds to JSON Schema, decided by the OpenAPI text (see
`generator.openapi.dialect`): the discriminator, `nullable`, 3.0 integers as the JSON text
writes them, the numeric and `byte` formats; a keyword JSON Schema does not allow; and which
branch of a failed oneOf is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.contract import Contract, Exchange, Request, Response
from generator.openapi.dialect import OAS30_INTEGER, schema_to_2020_12
from tests.conftest import ROOT, CliRunner

DATA = ROOT / "tests" / "contract" / "data"
JSON = (("Content-Type", "application/json"),)
SCHEMAS = "/components/schemas"
NUMBERS = f"{SCHEMAS}/Numbers/properties"


@pytest.fixture(scope="module")
def schemas() -> Contract:
    return Contract.load(DATA / "schemas-3.0.yaml")


def summary(contract: Contract, request: Request, response: Response | None = None) -> list[Any]:
    result = contract.check(Exchange(0, request, response))
    return [
        (f.location, f.pointer, f.kind.value, f.schema_pointer.removeprefix("#"))
        for f in result.findings
    ]


def pet(contract: Contract, body: Any) -> list[Any]:
    return summary(contract, Request(method="POST", url="/pets", headers=JSON, body=body))


def numbers(contract: Contract, text: str) -> list[Any]:
    request = Request(method="POST", url="/pets", headers=JSON, body={"petType": "cat"})
    return summary(contract, request, Response(status=200, headers=JSON, text=text))


# -- discriminator -----------------------------------------------------------------------------
def test_the_discriminator_names_the_schema_the_payload_must_match(schemas: Contract) -> None:
    assert pet(schemas, {"petType": "cat", "meows": True}) == []
    assert pet(schemas, {"petType": "dog", "barks": True}) == []
    # says dog, and only a cat would fit: Dog's own findings
    assert pet(schemas, {"petType": "dog", "meows": True}) == [
        ("request", "/barks", "missing_required", f"{SCHEMAS}/Dog/required")
    ]
    # a value no mapping (explicit or implicit) knows: "validation SHOULD fail"
    assert pet(schemas, {"petType": "fish"}) == [
        ("request", "/petType", "not_in_enum", f"{SCHEMAS}/Pet/discriminator/mapping"),
    ]
    # the property MUST be present
    assert pet(schemas, {"meows": True})[0] == (
        "request",
        "/petType",
        "missing_required",
        f"{SCHEMAS}/Pet/discriminator/propertyName",
    )


def test_the_discriminator_does_not_change_what_one_of_rejects(tmp_path: Path) -> None:
    """Branches that overlap still fail oneOf, whatever the discriminator says ("MUST NOT
    change the validation outcome"); the finding says which branches matched."""
    spec = (DATA / "schemas-3.0.yaml").read_text().replace("enum: [cat]", "enum: [cat, dog]")
    path = tmp_path / "overlap.yaml"
    path.write_text(spec)
    overlapping = Contract.load(path)
    result = overlapping.check(
        Exchange(
            0,
            Request(
                method="POST", url="/pets", headers=JSON, body={"petType": "dog", "barks": True}
            ),
        )
    )
    (finding,) = result.findings
    assert (finding.pointer, finding.kind.value, finding.actual) == ("", "other", ["Cat", "Dog"])
    assert finding.schema_pointer == f"#{SCHEMAS}/Pet/oneOf"
    assert "does not change that" in finding.message


# -- nullable ----------------------------------------------------------------------------------
def test_nullable_widens_the_type_and_nothing_else(schemas: Contract) -> None:
    assert numbers(schemas, '{"maybe": null, "colourOrNull": null, "untyped": null}') == []
    assert numbers(schemas, '{"colour": null, "cat": null}') == [
        ("response", "/colour", "not_in_enum", f"{NUMBERS}/colour/enum"),
        ("response", "/cat", "wrong_type", f"{SCHEMAS}/Cat/type"),
    ]


@pytest.mark.parametrize(
    ("schema", "converted"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        (
            {"type": "string", "enum": ["a"], "nullable": True},
            {"type": ["string", "null"], "enum": ["a"]},
        ),
        ({"$ref": "#/x", "nullable": True, "description": "d"}, {"$ref": "#/x"}),
        ({"minLength": 2, "nullable": True}, {"minLength": 2}),
        ({"type": "integer"}, {"type": "integer", OAS30_INTEGER: True}),
        (
            {"type": "number", "minimum": 1, "exclusiveMinimum": True},
            {"type": "number", "exclusiveMinimum": 1},
        ),
    ],
)
def test_3_0_schema_conversion(schema: dict[str, Any], converted: dict[str, Any]) -> None:
    schema_to_2020_12(schema, OAS30_INTEGER)
    assert schema == converted


# -- numbers and formats -----------------------------------------------------------------------
def test_3_0_integers_are_decided_on_the_json_text(schemas: Contract) -> None:
    assert numbers(schemas, '{"plain": 1, "small": -2147483648, "big": 9223372036854775807}') == []
    assert numbers(schemas, '{"plain": 1.0, "small": 1e2, "big": 1E+400}') == [
        ("response", "/plain", "wrong_type", f"{NUMBERS}/plain/type"),
        ("response", "/small", "wrong_type", f"{NUMBERS}/small/type"),
        ("response", "/big", "bad_format", f"{NUMBERS}/big/format"),  # and beyond int64
        ("response", "/big", "wrong_type", f"{NUMBERS}/big/type"),
    ]


def test_numeric_format_ranges(schemas: Contract) -> None:
    text = (
        '{"small": 2147483648, "big": 9223372036854775808, "single": 3.5e38,'
        ' "double": 1e400, "plain": ' + "9" * 400 + "}"
    )
    assert numbers(schemas, text) == [
        ("response", "/small", "bad_format", f"{NUMBERS}/small/format"),
        ("response", "/big", "bad_format", f"{NUMBERS}/big/format"),
        ("response", "/single", "bad_format", f"{NUMBERS}/single/format"),
        ("response", "/double", "bad_format", f"{NUMBERS}/double/format"),
    ]
    edge = '{"small": 2147483647, "big": -9223372036854775808, "single": 3.4e38, "double": 1e308}'
    assert numbers(schemas, edge) == []


def test_byte_is_base64_and_binary_any_string(schemas: Contract) -> None:
    assert numbers(schemas, '{"blob": "YWJj", "file": "\\u0000\\u00ff anything"}') == []
    assert numbers(schemas, '{"blob": "abc"}') == [
        ("response", "/blob", "bad_format", f"{NUMBERS}/blob/format")
    ]
    assert numbers(schemas, '{"blob": "YW Jj"}')[0][2] == "bad_format"


# -- a keyword JSON Schema does not allow ------------------------------------------------------
def test_a_bad_keyword_is_one_spec_problem_and_the_rest_is_checked(
    cli: CliRunner, tmp_path: Path
) -> None:
    spec = DATA / "bad-keyword-3.1.yaml"
    contract = Contract.load(spec)
    (problem,) = contract.problems
    age = "/paths/~1things/post/requestBody/content/application~1json/schema/properties/age"
    assert (problem.pointer, problem.rule, problem.line) == (
        f"{age}/exclusiveMinimum",
        "schema-invalid",
        15,
    )
    lines = [
        {"request": {"method": "POST", "url": "/things", "headers": dict(JSON),
                     "body": {"age": -1, "name": "toolong"}}},
        {"request": {"method": "POST", "url": "/others", "headers": dict(JSON), "body": {}}},
    ] * 3  # fmt: skip
    traffic = tmp_path / "traffic.jsonl"
    traffic.write_text("".join(json.dumps(line) + "\n" for line in lines))
    for jobs in ("1", "2"):
        result = cli("check", spec, traffic, "--format", "json", "--jobs", jobs)
        assert result.returncode == 1, result.stderr
        assert result.stderr.count("schema-invalid") == 1, result.stderr
        assert "bad-keyword-3.1.yaml:15:" in result.stderr
        report = json.loads(result.stdout)
        found = [(f["exchange"], f["pointer"], f["kind"]) for f in report["findings"]]
        assert found[:3] == [
            (0, "/age", "out_of_range"),
            (0, "/name", "out_of_range"),
            (1, "/id", "missing_required"),
        ]
        assert len(found) == 9


# -- oneOf -------------------------------------------------------------------------------------
@pytest.mark.parametrize("tag", ["const: {}", "enum: [{}]"])
def test_nested_one_of_reports_the_branch_the_value_came_closest_to(
    tag: str, tmp_path: Path
) -> None:
    text = (DATA / "nested-oneof-3.1.yaml").read_text()
    for name in ("link", "file"):
        text = text.replace(f"const: {name}", tag.format(name))
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    contract = Contract.load(spec)
    request = Request(method="POST", url="/events", headers=JSON, body={"event": {"kind": "file"}})
    branch = "/paths/~1events/post/requestBody/content/application~1json/schema/properties/event"
    assert summary(contract, request) == [
        ("request", "/event/size", "missing_required", f"{branch}/oneOf/1/required"),
        ("request", "/event/name", "missing_required", f"{branch}/oneOf/1/required"),
    ]


def test_each_bad_keyword_is_left_out_alone(tmp_path: Path) -> None:
    """A bad value where a subschema belongs leaves out that entry only; a bad keyword value
    leaves out that keyword; the schema's other keywords still judge."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /x:\n"
        "    post:\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        "            schema:\n"
        "              type: object\n"
        "              required: id\n"
        "              properties:\n"
        "                a: 5\n"
        "                b: {type: integer, maximum: 3}\n"
        "      responses: {'204': {description: none}}\n"
    )
    contract = Contract.load(spec)
    schema = "/paths/~1x/post/requestBody/content/application~1json/schema"
    assert [(p.pointer, p.line) for p in contract.problems] == [
        (f"{schema}/required", 11),
        (f"{schema}/properties/a", 13),
    ]
    request = Request(method="POST", url="/x", headers=JSON, body={"a": "anything", "b": 4})
    assert summary(contract, request) == [
        ("request", "/b", "out_of_range", f"{schema}/properties/b/maximum")
    ]


def test_a_property_named_by_the_empty_string_is_located(tmp_path: Path) -> None:
    """`""` is a property name like any other (its pointer is `/`), though jsonschema-rs leaves
    it out of the paths it reports: found by the oracle test on the Petstore's inventory map."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "openapi: 3.1.0\n"
        "info: {title: t, version: '1'}\n"
        "paths:\n"
        "  /x:\n"
        "    post:\n"
        "      requestBody:\n"
        "        content:\n"
        "          application/json:\n"
        "            schema:\n"
        "              type: object\n"
        "              properties:\n"
        "                '': {type: object, properties: {'': {type: string, maxLength: 1}}}\n"
        "              additionalProperties:\n"
        "                type: [integer, object]\n"
        "                additionalProperties: {type: integer}\n"
        "      responses: {'204': {description: none}}\n"
    )
    contract = Contract.load(spec)
    body = {"": {"": "xy"}, "a": {"": "y", "b": 1}, "c": {"d": True}, "e": {"": {"": 1}}}
    request = Request(method="POST", url="/x", headers=JSON, body=body)
    schema = "#/paths/~1x/post/requestBody/content/application~1json/schema"
    found = contract.check(Exchange(0, request)).findings
    assert [(f.pointer, f.kind.value, f.schema_pointer) for f in found] == [
        ("//", "out_of_range", f"{schema}/properties//properties//maxLength"),
        ("/a/", "wrong_type", f"{schema}/additionalProperties/additionalProperties/type"),
        ("/c/d", "wrong_type", f"{schema}/additionalProperties/additionalProperties/type"),
        ("/e/", "wrong_type", f"{schema}/additionalProperties/additionalProperties/type"),
    ]
