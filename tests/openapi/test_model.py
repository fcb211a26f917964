"""The OpenAPI model: one reading of a spec, with OpenAPI's implicit rules made explicit."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from generator.findings import InputError
from generator.load.workspace import Workspace
from generator.openapi import build_model
from generator.openapi.dialect import Dialect, require_dialect
from generator.openapi.media import MediaKind, best_match, classify
from generator.openapi.model import (
    OpenApi,
    OperationKind,
    ParameterIn,
    SecurityType,
    StatusKind,
    Style,
)
from generator.openapi.servers import ServerMatcher
from tests.conftest import ROOT, CliRunner

PUBLIC = ROOT / "tests" / "data" / "public" / "oai"


def model_of(tmp_path: Path, text: str, name: str = "spec.yaml") -> OpenApi:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return build_model(Workspace.open(path))


def rules(model: OpenApi) -> list[tuple[str, str]]:
    return [(p.finding.rule, p.finding.pointer) for p in model.problems]


def test_parameters_merge_path_level_and_operation_level(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        paths:
          /items/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {type: string}}
              - {name: X-Trace, in: header, schema: {type: string}, description: shared}
              - {name: limit, in: query, schema: {type: integer}}
            get:
              parameters:
                - {name: x-trace, in: header, schema: {type: integer}, description: own}
                - {name: Accept, in: header, schema: {type: string}}
                - {name: session, in: cookie, schema: {type: string}}
              responses: {'200': {description: ok}}
        """,
    )
    (op,) = model.operations
    by_key = {p.key: p for p in op.parameters}
    # the operation's header overrides the path item's, whatever the case of its name
    assert by_key[(ParameterIn.HEADER, "x-trace")].description == "own"
    assert [p.name for p in op.parameters_in(ParameterIn.HEADER)] == ["x-trace"]
    assert op.parameter("header", "X-TRACE") is by_key[(ParameterIn.HEADER, "x-trace")]
    assert op.parameter("cookie", "session") is not None
    assert op.parameter("path", "id") is not None and op.parameter("path", "id").required
    # OpenAPI: an Accept header parameter SHALL be ignored
    assert [p.name for p in op.ignored_parameters] == ["Accept"]
    assert op.parameter("header", "accept") is None
    assert model.problems == ()


def test_serialization_defaults_and_invalid_styles(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /x/{p}:
            get:
              parameters:
                - {name: p, in: path, required: true, schema: {type: array, items: {type: string}}}
                - {name: q, in: query, schema: {type: array, items: {type: string}}}
                - {name: pipes, in: query, style: pipeDelimited, schema: {type: array}}
                - {name: deep, in: query, style: deepObject, explode: true, schema: {type: object}}
                - {name: h, in: header, schema: {type: string}}
                - {name: c, in: cookie, schema: {type: string}}
                - {name: r, in: query, allowReserved: true, schema: {type: string}}
                - {name: bad, in: header, style: form, schema: {type: string}}
                - name: j
                  in: query
                  content:
                    application/json:
                      schema: {type: object, properties: {a: {type: integer}}}
              responses: {'200': {description: ok}}
        """,
    )
    (op,) = model.operations
    seen = {p.name: (p.style, p.explode, p.allow_reserved) for p in op.parameters}
    assert seen == {
        "p": (Style.SIMPLE, False, False),
        "q": (Style.FORM, True, False),
        "pipes": (Style.PIPE_DELIMITED, False, False),
        "deep": (Style.DEEP_OBJECT, True, False),
        "h": (Style.SIMPLE, False, False),
        "c": (Style.FORM, True, False),
        "r": (Style.FORM, True, True),
        "bad": (Style.SIMPLE, False, False),  # refused and reported; the default stands
        "j": (Style.FORM, True, False),
    }
    content = op.parameter("query", "j")
    assert content is not None and content.schema is None and content.content is not None
    assert content.content.kind is MediaKind.JSON
    assert content.effective_schema is content.content.schema
    assert rules(model) == [("parameter-style-invalid", "/paths/~1x~1{p}/get/parameters/7/style")]


def test_responses_by_exact_status_range_and_default(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        paths:
          /x:
            get:
              responses:
                200: {description: exact}
                2xx: {description: range}
                4XX: {description: client}
                Default: {description: fallback}
                x-note: {description: not a response}
                '20': {description: broken}
        """,
    )
    (op,) = model.operations
    assert [(r.status, r.kind) for r in op.responses] == [
        ("200", StatusKind.EXACT),
        ("2XX", StatusKind.RANGE),
        ("4XX", StatusKind.RANGE),
        ("default", StatusKind.DEFAULT),
    ]
    found = {code: op.response_for(code) for code in (200, 201, 404, 500)}
    assert {code: r.description if r else None for code, r in found.items()} == {
        200: "exact",
        201: "range",
        404: "client",
        500: "fallback",
    }
    assert op.response("2xx") is op.responses[1]
    assert rules(model) == [("response-status-invalid", "/paths/~1x/get/responses/20")]


def test_bodies_per_media_type_with_encoding(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        paths:
          /upload:
            post:
              requestBody:
                required: true
                content:
                  multipart/form-data:
                    schema:
                      type: object
                      properties:
                        file: {type: string, contentMediaType: image/png}
                        meta: {type: object}
                    encoding:
                      meta:
                        contentType: application/json
                        headers: {X-Part: {schema: {type: string}}}
                      tags: {style: form, explode: false}
                  application/x-www-form-urlencoded:
                    schema: {type: object}
                  '*/*': {}
              responses:
                '200':
                  description: ok
                  content:
                    image/png: {schema: {type: string, format: binary}}
                    text/plain; charset=utf-8: {schema: {type: string}}
                    application/problem+json: {schema: {type: object}}
        """,
    )
    (op,) = model.operations
    body = op.request_body
    assert body is not None and body.required
    kinds = [(m.name, m.kind) for m in body.content]
    assert kinds == [
        ("multipart/form-data", MediaKind.MULTIPART),
        ("application/x-www-form-urlencoded", MediaKind.FORM),
        ("*/*", MediaKind.ANY),
    ]
    multipart = body.content[0]
    assert multipart.encoding["meta"].content_type == "application/json"
    assert [h.name for h in multipart.encoding["meta"].headers] == ["X-Part"]
    assert not multipart.encoding["meta"].style_given
    assert multipart.encoding["tags"].style_given and not multipart.encoding["tags"].explode
    # the most specific documented type governs a message
    assert body.media_type("multipart/form-data; boundary=x") is multipart
    assert body.media_type("application/json") is body.content[2]
    response = op.response_for(200)
    assert response is not None
    assert [m.kind for m in response.content] == [MediaKind.BINARY, MediaKind.TEXT, MediaKind.JSON]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("application/json", MediaKind.JSON),
        ("Application/JSON; charset=utf-8", MediaKind.JSON),
        ("application/vnd.api+json", MediaKind.JSON),
        ("text/json", MediaKind.JSON),
        ("application/x-www-form-urlencoded", MediaKind.FORM),
        ("multipart/form-data", MediaKind.MULTIPART),
        ("multipart/mixed", MediaKind.MULTIPART),
        ("text/plain", MediaKind.TEXT),
        ("text/csv", MediaKind.TEXT),
        ("application/xml", MediaKind.TEXT),
        ("application/atom+xml", MediaKind.TEXT),
        ("application/x-ndjson", MediaKind.TEXT),
        ("application/octet-stream", MediaKind.BINARY),
        ("image/png", MediaKind.BINARY),
        ("application/pdf", MediaKind.BINARY),
        ("*/*", MediaKind.ANY),
        ("application/*", MediaKind.ANY),
        ("text/*", MediaKind.TEXT),
        ("json", MediaKind.ANY),  # no subtype: never taken for application/json
    ],
)
def test_media_kinds(name: str, kind: MediaKind) -> None:
    assert classify(name) is kind


def test_most_specific_media_type_wins() -> None:
    documented = ["*/*", "text/*", "text/plain"]
    assert best_match(documented, "text/plain; charset=utf-8") == "text/plain"
    assert best_match(documented, "text/html") == "text/*"
    assert best_match(documented, "image/png") == "*/*"
    assert best_match(["application/json"], "text/plain") is None


def test_servers_at_every_level_with_variables(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        servers:
          - url: https://{region}.example.com/{version}
            variables:
              region: {default: eu, enum: [eu, us]}
              version: {default: v2}
        paths:
          /a:
            get: {responses: {'200': {description: ok}}}
          /b:
            servers: [{url: /files}]
            get: {responses: {'200': {description: ok}}}
            post:
              servers: [{url: 'https://upload.example.com/raw'}]
              responses: {'200': {description: ok}}
        """,
    )
    a, b_get, b_post = model.operations
    assert [s.default_url for s in a.servers] == ["https://eu.example.com/v2"]
    assert [s.url for s in b_get.servers] == ["/files"]
    assert [s.url for s in b_post.servers] == ["https://upload.example.com/raw"]
    matcher = ServerMatcher(a.servers)
    assert matcher.paths("https://us.example.com/v7/a") == ["/a", "/v7/a"]
    assert matcher.paths("http://127.0.0.1:8000/v2/a") == ["/a", "/v2/a"]
    assert matcher.templates[0].matches_host("https://us.example.com/v2/a")
    assert not matcher.templates[0].matches_host("https://ca.example.com/v2/a")
    assert ServerMatcher(b_get.servers).paths("/files/b") == ["/b", "/files/b"]


def test_security_schemes_and_requirements(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        security: [{bearer: []}]
        components:
          securitySchemes:
            bearer: {type: http, scheme: Bearer}
            key: {type: apiKey, in: cookie, name: sid}
            oauth:
              type: oauth2
              flows: {clientCredentials: {tokenUrl: /token, scopes: {read: r}}}
            oidc: {type: openIdConnect, openIdConnectUrl: https://x/.well-known}
            broken: {type: password}
        paths:
          /a:
            get: {responses: {'200': {description: ok}}}
          /b:
            get:
              security: [{key: [], oauth: [read]}, {}]
              responses: {'200': {description: ok}}
          /c:
            get:
              security: []
              responses: {'200': {description: ok}}
        """,
    )
    schemes = model.security_schemes
    assert schemes["bearer"].type is SecurityType.HTTP and schemes["bearer"].scheme == "bearer"
    assert (schemes["key"].key_location, schemes["key"].key_name) == (ParameterIn.COOKIE, "sid")
    assert schemes["oauth"].flows["clientCredentials"]["tokenUrl"] == "/token"
    assert schemes["oidc"].type is SecurityType.OPEN_ID_CONNECT
    assert "broken" not in schemes and "broken" in model.security_scheme_names
    a, b, c = model.operations
    assert [r.names for r in a.security] == [("bearer",)]
    assert a.security_loc is not None and a.security_loc.pointer == "/security"
    assert [r.schemes for r in b.security] == [(("key", ()), ("oauth", ("read",))), ()]
    assert c.security == () and c.security_loc is not None
    assert rules(model) == [("security-scheme-invalid", "/components/securitySchemes/broken/type")]


def test_webhooks_and_callbacks_are_operations_of_their_own_kind() -> None:
    webhook = build_model(Workspace.open(PUBLIC / "webhook-example.yaml"))
    assert [(o.kind, o.method, o.path, o.owner) for o in webhook.webhooks] == [
        (OperationKind.WEBHOOK, "post", "newPet", "newPet")
    ]
    callback = build_model(Workspace.open(PUBLIC / "callback-example.yaml"))
    (streams,) = callback.operations
    (on_data,) = streams.callbacks
    assert on_data.name == "onData"
    assert on_data.expressions == ("{$request.query.callbackUrl}/data",)
    (op,) = on_data.operations
    assert (op.kind, op.method, op.owner) == (OperationKind.CALLBACK, "post", "onData")
    assert [r.status for r in op.responses] == ["202", "204"]
    assert [o.kind for o in callback.all_operations()] == [
        OperationKind.PATH,
        OperationKind.CALLBACK,
    ]
    # the published example refers to a schema it never defines: reported, not dropped
    assert [(r, p.rsplit("/", 2)[-2]) for r, p in rules(callback)] == [
        ("ref-unresolved", "userData")
    ]


def test_public_spec_with_server_variables_and_a_form_body() -> None:
    model = build_model(Workspace.open(PUBLIC / "uspto.yaml"))
    assert model.dialect is Dialect.OAS30 and model.problems == ()
    search = model.operation("perform-search")
    assert search is not None and search.request_body is not None
    assert [m.kind for m in search.request_body.content] == [MediaKind.FORM]
    matcher = ServerMatcher(search.servers)
    assert matcher.paths("http://developer.uspto.gov/ds-api/oa_citations/v1/records")[0] == (
        "/oa_citations/v1/records"
    )


def test_multi_file_spec_with_referenced_path_items_and_operations(tmp_path: Path) -> None:
    (tmp_path / "paths").mkdir()
    (tmp_path / "paths" / "pets.yaml").write_text(
        textwrap.dedent(
            """
            get:
              operationId: listPets
              parameters: [{$ref: '../common.yaml#/parameters/limit'}]
              responses: {'200': {description: ok}}
            post: {$ref: '../ops.yaml#/createPet'}
            """
        )
    )
    (tmp_path / "common.yaml").write_text(
        "parameters:\n  limit: {name: limit, in: query, schema: {type: integer}}\n"
    )
    (tmp_path / "ops.yaml").write_text(
        "createPet:\n  operationId: createPet\n  responses: {'201': {description: made}}\n"
    )
    model = model_of(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: t, version: '1'}
        paths:
          /pets: {$ref: 'paths/pets.yaml'}
        """,
        name="openapi.yaml",
    )
    listing, create = model.operations
    assert (listing.operation_id, listing.loc.doc.display.endswith("pets.yaml")) == (
        "listPets",
        True,
    )
    limit = listing.parameter("query", "limit")
    assert limit is not None and limit.loc.doc.display.endswith("common.yaml")
    assert limit.site.pointer == "/get/parameters/0"
    assert create.operation_id == "createPet"
    # an operation written as a $ref is not OpenAPI: followed, and said so
    assert rules(model) == [("operation-ref", "/post")]


def test_unreadable_parts_are_problems_not_silence(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: t, version: '1'}
        servers: [{url: 'https://{tenant}.example.com', variables: {tenant: {enum: [a]}}}]
        paths:
          /x:
            get:
              parameters:
                - {$ref: '#/components/parameters/Missing'}
                - {in: query, schema: {type: string}}
                - {name: w, in: body, schema: {type: string}}
                - {name: n, in: query}
                - {name: p, in: path, schema: {type: string}}
              responses:
                '200': {$ref: '#/components/responses/Gone'}
        """,
    )
    assert rules(model) == [
        ("server-variable-invalid", "/servers/0/variables/tenant"),
        ("ref-unresolved", "/paths/~1x/get/parameters/0/$ref"),
        ("parameter-invalid", "/paths/~1x/get/parameters/1"),
        ("parameter-invalid", "/paths/~1x/get/parameters/2/in"),
        ("parameter-invalid", "/paths/~1x/get/parameters/3"),
        ("parameter-invalid", "/paths/~1x/get/parameters/4"),
        ("ref-unresolved", "/paths/~1x/get/responses/200/$ref"),
    ]
    (op,) = model.operations
    assert [p.name for p in op.parameters] == ["n", "p"]


def test_one_version_message_for_every_command(tmp_path: Path) -> None:
    for text, found in [
        ("openapi: 4.0.0\ninfo: {title: t, version: '1'}\n", "'4.0.0'"),
        ("swagger: '2.0'\ninfo: {title: t, version: '1'}\n", "Swagger '2.0'"),
        ("info: {title: t, version: '1'}\n", "no `openapi` key"),
    ]:
        path = tmp_path / "spec.yaml"
        path.write_text(text)
        with pytest.raises(InputError) as caught:
            require_dialect(Workspace.open(path).root)
        assert caught.value.finding.rule == "openapi-version"
        assert caught.value.finding.message == (
            f"expected an OpenAPI 3.0 or 3.1 document (`openapi: 3.0.x` or `3.1.x`), found {found}"
        )


def test_swagger2_is_read_through_the_upgrade(tmp_path: Path) -> None:
    model = model_of(
        tmp_path,
        """
        swagger: '2.0'
        info: {title: t, version: '1'}
        host: api.example.com
        basePath: /v1
        paths:
          /pets:
            post:
              consumes: [application/x-www-form-urlencoded]
              parameters:
                - {name: name, in: formData, type: string, required: true}
              responses: {'200': {description: ok}}
        """,
    )
    assert model.upgraded_from == "2.0" and model.dialect is Dialect.OAS30
    (op,) = model.operations
    assert op.request_body is not None
    assert [m.kind for m in op.request_body.content] == [MediaKind.FORM]
    assert [s.url for s in op.servers] == ["https://api.example.com/v1"]


def test_zuora_specs_read_without_problems() -> None:
    for spec, count in (("v1", 8), ("quickstart", 12)):
        model = build_model(Workspace.open(ROOT / "specs" / spec / "fulfillments.yaml"))
        assert model.problems == ()
        assert len(model.operations) == count
        assert all(op.operation_id for op in model.operations)


def test_check_finds_the_operation_behind_a_server_url_with_variables(
    cli: CliRunner, tmp_path: Path
) -> None:
    """`https://{region}.example.com/{version}` servers: the request path is matched after the
    server's own path, whatever the variables' values (here `{version}` is free)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        textwrap.dedent(
            """
            openapi: 3.1.0
            info: {title: t, version: '1'}
            servers:
              - url: https://{region}.example.com/{version}
                variables:
                  region: {default: eu}
                  version: {default: v2}
            paths:
              /items/{id}:
                get:
                  operationId: getItem
                  parameters: [{name: id, in: path, required: true, schema: {type: integer}}]
                  responses: {'200': {description: ok}}
            """
        )
    )
    traffic = tmp_path / "t.jsonl"
    exchanges = [
        {"request": {"method": "GET", "url": "https://us.example.com/v7/items/12"}},
        {"request": {"method": "GET", "url": "https://us.example.com/v7/items/twelve"}},
    ]
    traffic.write_text("".join(json.dumps(e) + "\n" for e in exchanges))
    done = cli("check", spec, traffic, "--format", "json")
    report = json.loads(done.stdout)
    assert (report["exchanges"], report["conforming"]) == (2, 1)
    assert [
        (f["exchange"], f["operation"], f["kind"], f["pointer"]) for f in report["findings"]
    ] == [(1, "getItem", "wrong_type", "/id")]
    assert done.returncode == 1
