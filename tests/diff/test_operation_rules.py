"""Operation-level rules: operations, parameters, bodies, media types, statuses, headers,
security and operationIds."""

from __future__ import annotations

import copy
from typing import Any

from tests.diff.conftest import Pair, make_spec

BODY = {"type": "object", "properties": {"a": {"type": "string"}}}


def with_param(**param: Any) -> list[dict[str, Any]]:
    return [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
        {"in": "query", "schema": {"type": "integer"}, **param},
    ]


def test_operation_removed_and_added(pair: Pair) -> None:
    old = make_spec(response=BODY)
    new = copy.deepcopy(old)
    new["paths"]["/things"] = new["paths"].pop("/things/{id}")
    new["paths"]["/things"]["post"]["parameters"] = []
    changes = pair.changes(old, new)
    assert sorted((c.rule, c.endpoint) for c in changes) == [
        ("operation-added", "POST /things"),
        ("operation-removed", "POST /things/{id}"),
    ]
    removed = next(c for c in changes if c.rule == "operation-removed")
    assert removed.old is not None and removed.old.pointer == "/paths/~1things~1{id}/post"
    assert removed.old.line > 1 and removed.new is None


def test_renaming_a_path_parameter_is_not_a_change(pair: Pair) -> None:
    old = make_spec(response=BODY)
    new = copy.deepcopy(old)
    item = new["paths"].pop("/things/{id}")
    item["post"]["parameters"][0]["name"] = "thing_id"
    new["paths"]["/things/{thing_id}"] = item
    assert pair.rules(old, new) == []


def test_parameters(pair: Pair) -> None:
    base = make_spec(response=BODY)
    assert pair.rules(
        base, make_spec(response=BODY, parameters=with_param(name="q", required=True))
    ) == ["request-parameter-added-required"]
    assert pair.rules(base, make_spec(response=BODY, parameters=with_param(name="q"))) == [
        "request-parameter-added"
    ]
    optional = make_spec(response=BODY, parameters=with_param(name="q"))
    required = make_spec(response=BODY, parameters=with_param(name="q", required=True))
    assert pair.rules(optional, required) == ["request-parameter-became-required"]
    assert pair.rules(required, optional) == ["request-parameter-became-optional"]
    assert pair.rules(optional, base) == ["request-parameter-removed"]


def test_parameter_schemas_are_request_schemas(pair: Pair) -> None:
    def page(maximum: int) -> dict[str, Any]:
        return make_spec(
            response=BODY,
            parameters=with_param(name="page_size", schema={"type": "integer", "maximum": maximum}),
        )

    (change,) = pair.changes(page(100), page(50))
    assert (change.rule, change.location) == ("request-range-narrowed", "query parameter page_size")
    assert pair.rules(page(50), page(100)) == ["request-constraint-relaxed"]


def test_header_parameters_pair_case_insensitively(pair: Pair) -> None:
    def spec(name: str) -> dict[str, Any]:
        return make_spec(
            response=BODY,
            parameters=with_param(name=name, **{"in": "header"}, schema={"type": "string"}),
        )

    assert pair.rules(spec("Idempotency-Key"), spec("idempotency-key")) == []


def test_request_bodies(pair: Pair) -> None:
    none = make_spec(response=BODY)
    required = make_spec(request=BODY, response=BODY)
    optional = make_spec(request=BODY, response=BODY, operation={})
    optional["paths"]["/things/{id}"]["post"]["requestBody"]["required"] = False
    assert pair.rules(none, required) == ["request-body-added-required"]
    assert pair.rules(none, optional) == ["request-body-added"]
    assert pair.rules(optional, required) == ["request-body-became-required"]
    assert pair.rules(required, optional) == ["request-body-became-optional"]
    assert pair.rules(required, none) == ["request-body-removed"]


def test_media_types(pair: Pair) -> None:
    old = make_spec(request=BODY, response=BODY)
    new = copy.deepcopy(old)
    op = new["paths"]["/things/{id}"]["post"]
    op["requestBody"]["content"]["application/xml"] = {"schema": BODY}
    assert pair.rules(old, new) == ["request-media-type-added"]
    assert pair.rules(new, old) == ["request-media-type-removed"]
    op["responses"]["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    del op["requestBody"]["content"]["application/xml"]
    assert pair.rules(old, new) == ["response-media-type-added"]
    assert pair.rules(new, old) == ["response-media-type-removed"]


def test_media_type_parameters_and_case_do_not_count(pair: Pair) -> None:
    old = make_spec(request=BODY, response=BODY)
    new = copy.deepcopy(old)
    content = new["paths"]["/things/{id}"]["post"]["requestBody"]["content"]
    content["Application/JSON; charset=utf-8"] = content.pop("application/json")
    assert pair.rules(old, new) == []


def test_statuses(pair: Pair) -> None:
    old = make_spec(response=BODY)
    new = copy.deepcopy(old)
    responses = new["paths"]["/things/{id}"]["post"]["responses"]
    responses["404"] = {"description": "missing"}
    assert pair.rules(old, new) == ["response-status-added"]
    (change,) = pair.changes(new, old)
    assert (change.rule, change.location) == ("response-status-removed", "response 404")


def test_a_status_covered_by_a_range_is_still_documented(pair: Pair) -> None:
    old = make_spec(response=BODY)
    old["paths"]["/things/{id}"]["post"]["responses"]["404"] = {"description": "missing"}
    new = copy.deepcopy(old)
    new["paths"]["/things/{id}"]["post"]["responses"]["4XX"] = new["paths"]["/things/{id}"]["post"][
        "responses"
    ].pop("404")
    # the 404 is still documented (by 4XX): only the new range is news
    assert pair.rules(old, new) == ["response-status-added"]


def test_response_headers(pair: Pair) -> None:
    def spec(headers: dict[str, Any]) -> dict[str, Any]:
        base = make_spec(response=BODY)
        base["paths"]["/things/{id}"]["post"]["responses"]["200"]["headers"] = headers
        return base

    required = spec({"X-Request-Id": {"required": True, "schema": {"type": "string"}}})
    optional = spec({"X-Request-Id": {"schema": {"type": "string"}}})
    none = spec({})
    assert pair.rules(required, optional) == ["response-header-became-optional"]
    assert pair.rules(optional, none) == ["response-header-removed"]
    assert pair.rules(none, optional) == ["response-header-added"]
    widened = spec({"X-Request-Id": {"schema": {"type": ["string", "null"]}}})
    (change,) = pair.changes(optional, widened)
    assert (change.rule, change.location) == (
        "response-type-widened",
        "response 200 header X-Request-Id",
    )


def test_operation_id_and_deprecation(pair: Pair) -> None:
    old = make_spec(response=BODY)
    new = copy.deepcopy(old)
    new["paths"]["/things/{id}"]["post"]["operationId"] = "createThing"
    new["paths"]["/things/{id}"]["post"]["deprecated"] = True
    changes = pair.changes(old, new)
    assert sorted(c.rule for c in changes) == ["operation-deprecated", "operation-id-changed"]
    assert {c.operation for c in changes} == {"createThing"}


def test_security(pair: Pair) -> None:
    def spec(security: list[dict[str, list[str]]] | None) -> dict[str, Any]:
        base = make_spec(response=BODY)
        base["components"] = {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "key": {"type": "apiKey", "in": "header", "name": "X-Key"},
            }
        }
        if security is not None:
            base["security"] = security
        return base

    assert pair.rules(spec(None), spec([{"bearer": []}])) == ["security-requirement-changed"]
    assert pair.rules(spec([{"bearer": []}]), spec([{"key": []}])) == [
        "security-requirement-changed"
    ]
    assert pair.rules(spec([{"bearer": []}]), spec([{"bearer": []}, {"key": []}])) == [
        "security-requirement-relaxed"
    ]
    assert pair.rules(spec([{"bearer": []}]), spec(None)) == ["security-requirement-relaxed"]


def test_default_responses_keep_their_spelling(pair: Pair) -> None:
    old = make_spec(response=BODY)
    old["paths"]["/things/{id}"]["post"]["responses"]["default"] = {"description": "error"}
    (change,) = pair.changes(old, make_spec(response=BODY))
    assert (change.rule, change.location) == ("response-status-removed", "response default")
    assert change.message == "response default is no longer documented"


def test_parameter_serialization(pair: Pair) -> None:
    def spec(**style: Any) -> dict[str, Any]:
        return make_spec(
            response=BODY,
            parameters=with_param(
                name="ids", schema={"type": "array", "items": {"type": "string"}}, **style
            ),
        )

    # OpenAPI's defaults for a query parameter are style form, explode true
    assert pair.rules(spec(), spec(style="form", explode=True)) == []
    (change,) = pair.changes(spec(), spec(explode=False))
    assert change.rule == "request-parameter-style-changed"
    assert change.message == "serialized as style=form, explode=True; now style=form, explode=False"
    assert pair.rules(spec(), spec(style="pipeDelimited")) == ["request-parameter-style-changed"]


def test_servers(pair: Pair) -> None:
    def spec(*urls: str, **variables: str) -> dict[str, Any]:
        base = make_spec(response=BODY)
        base["servers"] = [{"url": url} for url in urls]
        if variables:
            base["servers"][0]["variables"] = {k: {"default": v} for k, v in variables.items()}
        return base

    old = spec("https://rest.zuora.com", "https://rest.apisandbox.zuora.com/")
    new = spec("https://rest.zuora.com", "https://rest.test.zuora.com")
    changes = pair.changes(old, new)
    assert sorted((c.rule, c.location) for c in changes) == [
        ("server-added", "https://rest.test.zuora.com"),
        ("server-removed", "https://rest.apisandbox.zuora.com"),
    ]
    assert all(c.operation == "servers" for c in changes)
    # a variable with its default spells the same URL
    assert (
        pair.rules(
            old, spec("https://{host}", "https://rest.apisandbox.zuora.com", host="rest.zuora.com")
        )
        == []
    )
