"""One spec pair per rule for JSON Schema 2020-12 keywords, oneOf exclusivity, const and
default values, wire-level judgement of parameters, webhooks and callbacks, and the two bugs of
issue 13, each run through `apicontract diff --format json` in a subprocess as CI runs it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diff import RULES
from tests.conftest import ROOT, CliRunner
from tests.diff.conftest import make_spec

S: dict[str, Any] = {"type": "string"}
N: dict[str, Any] = {"type": "integer"}


def obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": props, **extra}
    if required:
        schema["required"] = required
    return schema


def req(old: Any, new: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schemas as the request body of one operation."""
    return make_spec(request=old), make_spec(request=new)


def res(old: Any, new: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The schemas as its 200 response."""
    return make_spec(response=old), make_spec(response=new)


def query(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two versions of a query parameter `filter` (parameter objects without name and `in`)."""

    def spec(param: dict[str, Any]) -> dict[str, Any]:
        return make_spec(parameters=[{"name": "filter", "in": "query", **param}])

    return spec(old), spec(new)


def webhooks(old: dict[str, Any], new: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Specs with no paths and the given `webhooks` maps."""

    def spec(hooks: dict[str, Any]) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "hooks", "version": "1"},
            "webhooks": copy.deepcopy(hooks),
        }

    return spec(old), spec(new)


def hook(
    body: Any = None,
    *,
    required: bool = True,
    answer: Any = None,
    parameters: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A path item whose POST the provider sends: `body` is its request, `answer` the 200
    body the receiver answers with."""
    op: dict[str, Any] = {"responses": {"200": {"description": "received"}}}
    if body is not None:
        op["requestBody"] = {
            "required": required,
            "content": {"application/json": {"schema": body}},
        }
    if answer is not None:
        op["responses"]["200"]["content"] = {"application/json": {"schema": answer}}
    if parameters is not None:
        op["parameters"] = parameters
    return {"post": op}


def with_callback(callbacks: dict[str, Any]) -> dict[str, Any]:
    return make_spec(operation={"callbacks": copy.deepcopy(callbacks)})


EVENT = obj({"id": S, "amount": N}, ["id", "amount"])
PETS = {
    "Cat": obj({"name": S}),
    "Dog": obj({"name": S, "breed": S}, ["breed"]),
    "Rabbit": obj({"name": {"type": "string", "description": "spelled apart"}}, title="Rabbit"),
}


def path_param(placeholder: str, schema: dict[str, Any]) -> dict[str, Any]:
    """An operation under `/api/test/{placeholder}` whose one path parameter is `testId`."""
    spec = make_spec(
        parameters=[{"name": "testId", "in": "path", "required": True, "schema": schema}]
    )
    spec["paths"] = {f"/api/test/{{{placeholder}}}": spec["paths"]["/things/{id}"]}
    return spec


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# (id, old spec, new spec, (rule, severity) pairs that must be reported, rules that must not be)
Case = tuple[str, dict[str, Any], dict[str, Any], list[tuple[str, str]], list[str]]
CASES: list[Case] = [
    # -- JSON Schema 2020-12 keywords -----------------------------------------------------------
    (
        "contains added to a request array",
        *req(
            {"type": "array", "items": S}, {"type": "array", "items": S, "contains": {"const": "x"}}
        ),
        [("request-contains-added", "breaking")],
        [],
    ),
    (
        "contains removed from a response array",
        *res({"type": "array", "contains": N}, {"type": "array"}),
        [("response-contains-removed", "warning")],
        [],
    ),
    (
        "minContains raised in a request",
        *req(
            {"type": "array", "contains": S, "minContains": 1},
            {"type": "array", "contains": S, "minContains": 2},
        ),
        [("request-length-narrowed", "breaking")],
        [],
    ),
    (
        "maxContains removed from a response",
        *res({"type": "array", "contains": S, "maxContains": 2}, {"type": "array", "contains": S}),
        [("response-length-widened", "warning")],
        [],
    ),
    (
        "a constraint tightened inside contains",
        *req(
            {"type": "array", "contains": S},
            {"type": "array", "contains": {"type": "string", "maxLength": 3}},
        ),
        [("request-length-narrowed", "breaking")],
        [],
    ),
    (
        "dependentRequired gains a dependency in a request",
        *req(
            obj({"a": S, "b": S}, dependentRequired={"a": []}),
            obj({"a": S, "b": S}, dependentRequired={"a": ["b"]}),
        ),
        [("request-dependency-added", "breaking")],
        [],
    ),
    (
        "dependentRequired loses a dependency in a response",
        *res(
            obj({"a": S, "b": S}, dependentRequired={"a": ["b"]}),
            obj({"a": S, "b": S}),
        ),
        [("response-dependency-removed", "breaking")],
        [],
    ),
    (
        "dependentSchemas added with a required property",
        *req(
            obj({"a": S, "b": S}),
            obj({"a": S, "b": S}, dependentSchemas={"a": {"required": ["b"]}}),
        ),
        [("request-property-added-required", "breaking")],
        ["request-type-widened"],
    ),
    (
        "if condition changed in a request",
        *req(
            obj({"kind": S}, **{"if": obj({"kind": {"const": "a"}}), "then": {"required": ["x"]}}),
            obj({"kind": S}, **{"if": obj({"kind": {"const": "b"}}), "then": {"required": ["x"]}}),
        ),
        [("request-condition-changed", "breaking")],
        [],
    ),
    (
        "if condition changed in a response",
        *res(
            obj({"kind": S}, **{"if": obj({"kind": {"const": "a"}}), "then": {"required": ["x"]}}),
            obj({"kind": S}, **{"if": obj({"kind": {"const": "b"}}), "then": {"required": ["x"]}}),
        ),
        [("response-condition-changed", "warning")],
        [],
    ),
    (
        "a bound raised inside then",
        *req(
            obj({"n": N}, **{"if": {"required": ["n"]}, "then": obj({"n": {"minimum": 0}})}),
            obj({"n": N}, **{"if": {"required": ["n"]}, "then": obj({"n": {"minimum": 5}})}),
        ),
        [("request-range-narrowed", "breaking")],
        ["request-condition-changed"],
    ),
    (
        "patternProperties schema narrowed in a request",
        *req(obj({}, patternProperties={"^x-": S}), obj({}, patternProperties={"^x-": N})),
        [("request-type-narrowed", "breaking")],
        [],
    ),
    (
        "patternProperties added to a closed response object",
        *res(
            obj({"a": S}, additionalProperties=False),
            obj({"a": S}, additionalProperties=False, patternProperties={"^x-": S}),
        ),
        [("response-property-added-to-closed-object", "warning")],
        [],
    ),
    (
        "prefixItems position narrowed in a request",
        *req(
            {"type": "array", "prefixItems": [S, N]},
            {"type": "array", "prefixItems": [S, {"type": "integer", "maximum": 9}]},
        ),
        [("request-range-narrowed", "breaking")],
        [],
    ),
    (
        "propertyNames gains a length limit",
        *req(obj({}), obj({}, propertyNames={"maxLength": 8})),
        [("request-length-narrowed", "breaking")],
        [],
    ),
    (
        "unevaluatedProperties false closes a request object",
        *req(obj({"a": S}), obj({"a": S}, unevaluatedProperties=False)),
        [("request-object-closed", "breaking")],
        [],
    ),
    (
        "unevaluatedItems constrains the items of a request array",
        *req({"type": "array"}, {"type": "array", "unevaluatedItems": N}),
        [("request-type-narrowed", "breaking")],
        [],
    ),
    (
        "contentSchema gains a required property",
        *req(
            {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": obj({"a": S}),
            },
            {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": obj({"a": S}, ["a"]),
            },
        ),
        [("request-property-became-required", "breaking")],
        [],
    ),
    (
        "contentMediaType changed in a request",
        *req(
            {"type": "string", "contentMediaType": "application/json"},
            {"type": "string", "contentMediaType": "application/xml"},
        ),
        [("request-format-changed", "breaking")],
        [],
    ),
    (
        "contentEncoding changed in a response",
        *res(
            {"type": "string", "contentEncoding": "base64"},
            {"type": "string", "contentEncoding": "base32"},
        ),
        [("response-format-changed", "warning")],
        [],
    ),
    (
        "the schema inside a request not widened",
        *req(
            obj({"a": S}, **{"not": {"type": "object", "required": ["a", "b"]}}),
            obj({"a": S}, **{"not": {"type": "object", "required": ["a"]}}),
        ),
        [("request-negation-narrowed", "breaking")],
        [],
    ),
    (
        "not removed from a response",
        *res(obj({"a": S}, **{"not": {"required": ["a"]}}), obj({"a": S})),
        [("response-negation-widened", "warning")],
        [],
    ),
    # -- oneOf and anyOf ------------------------------------------------------------------------
    (
        "request body wrapped in a oneOf whose alternatives overlap",
        *req(
            obj({"foo": S, "bar": S}, ["foo", "bar"]),
            {
                "oneOf": [
                    obj({"foo": S, "bar": S}, ["foo"]),
                    obj({"foo": S, "bar": S}, ["bar"]),
                ]
            },
        ),
        [("request-variants-overlap", "breaking")],
        [],
    ),
    (
        "response oneOf became anyOf with overlapping alternatives",
        *res(
            {"oneOf": [obj({"a": S}, ["a"]), obj({"a": S, "b": S}, ["a", "b"])]},
            {"anyOf": [obj({"a": S}, ["a"]), obj({"a": S, "b": S}, ["a", "b"])]},
        ),
        [("response-variants-overlap", "warning")],
        [],
    ),
    (
        "response anyOf gains an alternative identical to an existing one",
        make_spec(response={"anyOf": [ref("Cat"), ref("Dog")]}, components=PETS),
        make_spec(response={"anyOf": [ref("Cat"), ref("Dog"), ref("Rabbit")]}, components=PETS),
        [("response-variant-duplicated", "info")],
        ["response-variant-added"],
    ),
    # -- const and default ----------------------------------------------------------------------
    (
        "response const changed",
        *res(obj({"status": {"const": "ok"}}), obj({"status": {"const": "success"}})),
        [("response-const-changed", "breaking")],
        ["response-enum-value-added"],
    ),
    (
        "default of a query parameter changed",
        *query(
            {"schema": {"type": "string", "default": "all"}},
            {"schema": {"type": "string", "default": "open"}},
        ),
        [("request-default-changed", "warning")],
        [],
    ),
    (
        "default of a response property changed",
        *res(
            obj({"page": {"type": "integer", "default": 1}}),
            obj({"page": {"type": "integer", "default": 0}}),
        ),
        [("response-default-changed", "warning")],
        [],
    ),
    (
        "default written beside a $ref changed (3.1)",
        make_spec(
            request=obj({"page": {"$ref": "#/components/schemas/Page", "default": 1}}),
            components={"Page": {"type": "integer"}},
        ),
        make_spec(
            request=obj({"page": {"$ref": "#/components/schemas/Page", "default": 0}}),
            components={"Page": {"type": "integer"}},
        ),
        [("request-default-changed", "warning")],
        [],
    ),
    (
        "default of a request property removed",
        *req(obj({"page": {"type": "integer", "default": 1}}), obj({"page": N})),
        [("request-default-changed", "warning")],
        [],
    ),
    (
        "a request media type gains a schema",
        *req({}, obj({"a": S}, ["a"])),
        [("request-type-narrowed", "breaking"), ("request-property-added-required", "breaking")],
        [],
    ),
    # -- judged on the wire ---------------------------------------------------------------------
    (
        "deepObject query property number to string",
        *query(
            {"style": "deepObject", "schema": obj({"groupId": {"type": ["number", "null"]}})},
            {"style": "deepObject", "schema": obj({"groupId": {"type": ["string", "null"]}})},
        ),
        [("request-type-widened", "info")],
        ["request-type-narrowed"],
    ),
    (
        "form-exploded query value to an array of strings",
        *query(
            {"schema": {"type": ["string", "integer"]}},
            {"schema": {"type": "array", "items": S}},
        ),
        [("request-type-widened", "info")],
        ["request-type-narrowed"],
    ),
    (
        "form-exploded query value number to string",
        *query({"schema": {"type": "number"}}, {"schema": S}),
        [("request-type-widened", "info")],
        ["request-type-narrowed"],
    ),
    (
        "a JSON body property number to string still breaks",
        *req(obj({"groupId": {"type": "number"}}), obj({"groupId": S})),
        [("request-type-narrowed", "breaking")],
        [],
    ),
    # -- the two bugs ---------------------------------------------------------------------------
    (
        "pattern became the empty pattern",
        *req(
            obj({"name": {"type": "string", "pattern": "^\\w+$"}}),
            obj({"name": {"type": "string", "pattern": ""}}),
        ),
        [("request-constraint-relaxed", "info")],
        ["request-pattern-changed"],
    ),
    (
        "a path parameter named apart from its template placeholder changes",
        path_param("id", S),
        path_param("testId", {"type": "string", "maxLength": 4}),
        [("request-length-narrowed", "breaking")],
        ["request-parameter-added-required", "request-parameter-removed"],
    ),
    # -- webhooks and callbacks -----------------------------------------------------------------
    (
        "webhook removed",
        *webhooks(
            {"orderPaid": hook(EVENT), "orderShipped": hook(EVENT)}, {"orderShipped": hook(EVENT)}
        ),
        [("webhook-removed", "breaking")],
        [],
    ),
    (
        "webhook added",
        *webhooks(
            {"orderPaid": hook(EVENT)}, {"orderPaid": hook(EVENT), "orderShipped": hook(EVENT)}
        ),
        [("webhook-added", "info")],
        [],
    ),
    (
        "a webhook body loses a property: what callers receive",
        *webhooks(
            {"orderPaid": hook(EVENT)},
            {"orderPaid": hook(obj({"id": S}, ["id"]))},
        ),
        [("response-property-removed", "breaking")],
        ["request-property-removed"],
    ),
    (
        "a webhook body gains a required property: news to receivers",
        *webhooks(
            {"orderPaid": hook(EVENT)},
            {
                "orderPaid": hook(
                    obj({"id": S, "amount": N, "currency": S}, ["id", "amount", "currency"])
                )
            },
        ),
        [("response-property-added", "info")],
        ["request-property-added-required"],
    ),
    (
        "a webhook body became optional",
        *webhooks({"orderPaid": hook(EVENT)}, {"orderPaid": hook(EVENT, required=False)}),
        [("callback-body-became-optional", "breaking")],
        [],
    ),
    (
        "a webhook header parameter is no longer sent",
        *webhooks(
            {
                "orderPaid": hook(
                    EVENT,
                    parameters=[
                        {"name": "X-Signature", "in": "header", "required": True, "schema": S}
                    ],
                )
            },
            {"orderPaid": hook(EVENT, parameters=[])},
        ),
        [("response-header-removed", "breaking")],
        ["request-parameter-removed"],
    ),
    (
        "callback removed",
        with_callback({"onPaid": {"{$request.body#/url}": hook(EVENT)}}),
        make_spec(),
        [("callback-removed", "breaking")],
        [],
    ),
    (
        "callback added",
        make_spec(),
        with_callback({"onPaid": {"{$request.body#/url}": hook(EVENT)}}),
        [("callback-added", "info")],
        [],
    ),
    (
        "the answer to a callback must carry a new required property",
        with_callback({"onPaid": {"{$request.body#/url}": hook(EVENT, answer=obj({"ok": S}))}}),
        with_callback(
            {
                "onPaid": {
                    "{$request.body#/url}": hook(EVENT, answer=obj({"ok": S, "ack": S}, ["ack"]))
                }
            }
        ),
        [("request-property-added-required", "breaking")],
        ["response-property-added"],
    ),
]


def run_diff(
    cli: CliRunner, tmp_path: Path, old: dict[str, Any], new: dict[str, Any]
) -> tuple[int, list[dict[str, Any]]]:
    paths = []
    for name, spec in (("old.yaml", old), ("new.yaml", new)):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
        paths.append(path)
    done = cli("diff", *paths, "--format", "json")
    assert done.returncode in (0, 1), done.stderr
    return done.returncode, json.loads(done.stdout)["changes"]


@pytest.mark.parametrize(
    ("old", "new", "expected", "absent"),
    [pytest.param(o, n, e, a, id=name) for name, o, n, e, a in CASES],
)
def test_rule_through_the_cli(
    cli: CliRunner,
    tmp_path: Path,
    old: dict[str, Any],
    new: dict[str, Any],
    expected: list[tuple[str, str]],
    absent: list[str],
) -> None:
    code, changes = run_diff(cli, tmp_path, old, new)
    found = {(c["rule"], c["severity"]) for c in changes}
    for rule, severity in expected:
        assert (rule, severity) in found, (rule, changes)
        assert RULES[rule].level.label == severity
    for rule in absent:
        assert rule not in {c["rule"] for c in changes}, (rule, changes)
    assert code == (1 if any(c["severity"] == "breaking" for c in changes) else 0)


def test_every_rule_is_exercised_by_some_test() -> None:
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "tests" / "diff").glob("*.py"))
    missing = [rule for rule in RULES if f'"{rule}"' not in sources]
    assert missing == []


# -- what the issue reported as wrong, pinned with the reported spellings --------------------------
def test_an_empty_pattern_is_no_pattern_in_a_request(cli: CliRunner, tmp_path: Path) -> None:
    old, new = req(
        obj({"name": {"type": "string", "pattern": "^\\w+$"}}),
        obj({"name": {"type": "string", "pattern": ""}}),
    )
    code, changes = run_diff(cli, tmp_path, old, new)
    assert code == 0
    assert [(c["rule"], c["location"]) for c in changes] == [
        ("request-constraint-relaxed", "request body application/json: name")
    ]
    # and a pattern that matches everything added to a response tightens nothing
    code, changes = run_diff(
        cli, tmp_path, *res(obj({"n": S}), obj({"n": {"type": "string", "pattern": ".*"}}))
    )
    assert (code, changes) == (0, [])


def test_a_path_parameter_named_apart_from_its_template_is_the_same_parameter(
    cli: CliRunner, tmp_path: Path
) -> None:
    code, changes = run_diff(cli, tmp_path, path_param("id", S), path_param("testId", S))
    assert (code, changes) == (0, [])
    # a real change to it is still reported once, as a change of that parameter
    code, changes = run_diff(
        cli, tmp_path, path_param("id", S), path_param("testId", {"type": "string", "maxLength": 4})
    )
    assert code == 1
    assert [(c["rule"], c["severity"], c["location"]) for c in changes] == [
        ("request-length-narrowed", "breaking", "path parameter testId")
    ]


def test_webhook_and_callback_changes_name_where_they_are(cli: CliRunner, tmp_path: Path) -> None:
    _, changes = run_diff(
        cli,
        tmp_path,
        *webhooks({"orderPaid": hook(EVENT)}, {"orderPaid": hook(obj({"id": S}, ["id"]))}),
    )
    (change,) = changes
    assert change["endpoint"] == "webhook orderPaid POST"
    assert change["location"] == "request body application/json: amount"
    assert change["pointer_old"] == (
        "/webhooks/orderPaid/post/requestBody/content/application~1json/schema/properties/amount"
    )
    old = with_callback({"onPaid": {"{$request.body#/url}": hook(EVENT)}})
    _, changes = run_diff(cli, tmp_path, old, make_spec())
    (change,) = changes
    assert change["endpoint"] == "callback onPaid POST {$request.body#/url} of POST /things/{id}"
    assert change["pointer_new"] == "/paths/~1things~1{id}/post"


def test_a_subschema_on_one_side_only_is_located_where_the_other_side_has_something(
    cli: CliRunner, tmp_path: Path
) -> None:
    """A `then` added with a required property: the old side has no `then`, so the report
    points at the schema that held it (a pointer that resolves in the old file)."""
    old, new = req(
        obj({"kind": S}),
        obj({"kind": S}, **{"if": obj({"kind": {"const": "a"}}), "then": obj({"x": S}, ["x"])}),
    )
    _, changes = run_diff(cli, tmp_path, old, new)
    added = [c for c in changes if c["rule"] == "request-property-added-required"]
    assert [c["location"] for c in added] == ["request body application/json: (then).x"]
    schema = "/paths/~1things~1{id}/post/requestBody/content/application~1json/schema"
    assert added[0]["pointer_old"] == schema
    assert added[0]["pointer_new"] == f"{schema}/then/properties/x"


@pytest.mark.parametrize(
    "new",
    [
        {"type": "array", "items": S},
        {"type": "array", "prefixItems": [S]},
        {"type": "object", "additionalProperties": S},
    ],
    ids=["array with items", "array with prefixItems", "object with additionalProperties"],
)
def test_a_type_change_is_one_finding_not_one_more_per_subschema(
    cli: CliRunner, tmp_path: Path, new: dict[str, Any]
) -> None:
    """A string that became an array (or a map) is one narrowing: its items are not also
    compared against the "any item" an array without `items` would have."""
    code, changes = run_diff(cli, tmp_path, *req(obj({"p": S}), obj({"p": new})))
    assert code == 1
    assert [(c["rule"], c["severity"], c["location"]) for c in changes] == [
        ("request-type-narrowed", "breaking", "request body application/json: p")
    ]


def test_a_reference_that_cannot_be_read_is_exit_2_not_a_removal(
    cli: CliRunner, tmp_path: Path
) -> None:
    """A webhook behind an unresolved `$ref` is unreadable, not removed: exit 2 naming the file,
    line and pointer, no `webhook-removed`."""
    hook = {"post": {"responses": {"200": {"description": "ok"}}}}
    old = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "webhooks": {"ping": hook},
    }
    new = copy.deepcopy(old)
    new["webhooks"]["ping"] = {"$ref": "#/components/pathItems/Missing"}
    (tmp_path / "old.yaml").write_text(yaml.safe_dump(old), "utf-8")
    (tmp_path / "new.yaml").write_text(yaml.safe_dump(new), "utf-8")
    done = cli("diff", "old.yaml", "new.yaml", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "webhook-removed" not in done.stdout + done.stderr
    assert "new.yaml:" in done.stderr and "ref-unresolved" in done.stderr, done.stderr
    assert "[/webhooks/ping/$ref]" in done.stderr, done.stderr
