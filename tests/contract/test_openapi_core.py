"""`check` against an independent oracle: openapi-core (a test dependency) judges the same
exchanges, generated from two public specs nobody on this project wrote (Swagger's Petstore,
OpenAPI 3.0; Redocly's museum, OpenAPI 3.1; both under tests/data/public with their
licences), and every verdict must agree, apart from the differences listed in DELIBERATE,
where the OpenAPI text is on our side.

Requests come from schemathesis (a pinned test dependency): valid ones and invalid ones for
every operation, serialized as a client sends them (path, query, headers, JSON and form
bodies). Responses come the same way: each documented JSON response schema is given to
schemathesis as a request body schema of a stand-in operation, and what it draws is sent back
as that response. Hypothesis runs derandomized, so the exchanges are the same on every run.

Pointers are tested apart: valid JSON bodies drawn for every request and response schema are
spoilt in one place at a time (a wrong type, a dropped property, an unknown property); every
spoilt body openapi-core rejects must get a finding of `check` at the exact pointer spoilt.
"""

from __future__ import annotations

import copy
import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import HypothesisException
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse
from schemathesis import GenerationMode

from generator.contract import Contract, ContractFinding
from generator.load import pointer as jp
from tests.conftest import ROOT

PUBLIC = ROOT / "tests" / "data" / "public"
SPECS = {
    "petstore-3.0": PUBLIC / "swagger-petstore" / "openapi.yaml",
    "museum-3.1": PUBLIC / "redocly-museum" / "openapi.yaml",
}
#: credentials for every security scheme the specs use, so both judge the rest
CREDENTIALS = {
    "petstore-3.0": {"Authorization": "Bearer token", "api_key": "key"},
    "museum-3.1": {"Authorization": "Basic dXNlcjpwdw=="},
}
EXAMPLES = 16  # per operation, per mode (valid / invalid), for requests and for responses
HOP_BY_HOP = {"user-agent", "x-schemathesis-testcaseid", "accept-encoding", "connection"}


@dataclass
class Verdict:
    what: str  # "request" | "response"
    mode: str  # "positive" | "negative"
    operation: str
    sent: str
    theirs: bool  # openapi-core: valid?
    why: str  # openapi-core's error chain, when invalid
    ours: list[ContractFinding] = field(default_factory=list)

    @property
    def agrees(self) -> bool:
        return self.theirs == (not self.ours)


# -- where the two differ on purpose ---------------------------------------------------------
def _empty_query_value(v: Verdict) -> bool:
    """openapi-core rejects `?name=` unless the parameter has `allowEmptyValue: true`. OpenAPI
    3.0.4 and 3.1.1: "The value _empty_ denotes the empty string, and is unrelated to the
    `allowEmptyValue` field", which only lets a client send `name=` "in place of parameters
    that would otherwise be omitted". So `check` judges the empty string by the schema (a
    string schema without minLength accepts it)."""
    return not v.theirs and "EmptyQueryParameterValue" in v.why and not v.ours


def _float_range(v: Verdict) -> bool:
    """`format: float` is a binary32 number (OpenAPI's format registry: "single precision");
    `check` rejects numbers beyond its range (3.4e38), openapi-core checks no numeric format
    range. Every finding of ours is such a range check."""
    return (
        v.theirs
        and bool(v.ours)
        and all(f.kind.value == "bad_format" and f.expected == "float" for f in v.ours)
    )


def _xml_body(v: Verdict) -> bool:
    """openapi-core parses an XML body into an ElementTree element and then finds that it is
    not of type object, so every XML body is invalid to it, well-formed or not. `check` does
    not read XML into objects: it checks the media type and charset of such bodies, and says
    once, when the spec is loaded, that their object schema is not applied."""
    return not v.theirs and "<Element " in v.why and not v.ours


DELIBERATE: dict[str, Callable[[Verdict], bool]] = {
    "empty query value": _empty_query_value,
    "float range": _float_range,
    "xml body": _xml_body,
}


# -- generating exchanges ----------------------------------------------------------------------
def draw(strategy: Any, count: int) -> list[Any]:
    drawn: list[Any] = []

    @settings(
        max_examples=count,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        drawn.append(value)

    try:
        collect()
    except HypothesisException:  # nothing invalid can be made for this operation (no input)
        pass
    return drawn


def base_url(spec: dict[str, Any]) -> str:
    url = str(spec.get("servers", [{"url": "/"}])[0]["url"]).rstrip("/")
    return url if url.startswith("http") else "http://api.test" + url


def http_request(case: Any, base: str, credentials: dict[str, str]) -> httpx.Request:
    kwargs = case.as_transport_kwargs(base_url=base)
    headers = {k: v for k, v in kwargs.get("headers", {}).items() if k.lower() not in HOP_BY_HOP}
    headers.update(credentials)
    body: dict[str, Any] = {}
    if "json" in kwargs:
        body["content"] = json.dumps(kwargs["json"]).encode()
    elif isinstance(kwargs.get("data"), (bytes, str)):
        body["content"] = kwargs["data"]
    elif kwargs.get("data") is not None:
        body["data"] = kwargs["data"]
    if kwargs.get("files"):
        body["files"] = kwargs["files"]
    return httpx.Request(
        kwargs["method"],
        kwargs["url"],
        params=kwargs.get("params"),
        headers=headers,
        cookies=kwargs.get("cookies") or None,
        **body,
    )


def mock_request(request: httpx.Request, base: str) -> MockRequest:
    cookies: dict[str, str] = {}
    for part in request.headers.get("cookie", "").split(";"):
        name, eq, value = part.strip().partition("=")
        if eq:
            cookies[name] = value
    host = "/".join(base.split("/")[:3])
    return MockRequest(
        host,
        request.method,
        request.url.path,
        args=list(request.url.params.multi_items()),  # type: ignore[arg-type]
        headers=dict(request.headers),
        cookies=cookies,
        data=request.content,
        content_type=request.headers.get("content-type", ""),
    )


def reason(error: BaseException) -> str:
    parts = []
    while error is not None and len(parts) < 4:
        try:
            parts.append(f"{type(error).__name__}: {error}")
        except Exception:  # openapi-core cannot always print what it rejected
            parts.append(type(error).__name__)
        error = error.__cause__  # type: ignore[assignment]
    return " <- ".join(parts)[:400]


def verdicts(name: str) -> Iterator[Verdict]:
    path = SPECS[name]
    spec = yaml.safe_load(path.read_text())
    base = base_url(spec)
    credentials = CREDENTIALS[name]
    oracle = OpenAPI.from_file_path(str(path))
    contract = Contract.load(path)
    generated = schemathesis.openapi.from_path(str(path))
    modes = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    for result in generated.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        for mode in modes:
            for case in draw(operation.as_strategy(generation_mode=mode), EXAMPLES):
                request = http_request(case, base, credentials)
                try:
                    oracle.validate_request(mock_request(request, base))
                    theirs, why = True, ""
                except OpenAPIError as exc:
                    theirs, why = False, reason(exc)
                ours = contract.check_httpx(request).findings
                sent = f"{request.url} {request.content[:200]!r}"
                yield Verdict("request", mode.value, label, sent, theirs, why, ours)
    # responses: each JSON response schema as the request body of a stand-in operation
    stand_in = copy.deepcopy(spec)
    stand_in["paths"], stand_in["security"], targets = {}, [], {}
    for template, item in spec["paths"].items():
        for method, op in item.items():
            for status, response in (op.get("responses") or {}).items():
                media = (response.get("content") or {}).get("application/json")
                if not str(status).isdigit() or not media or "schema" not in media:
                    continue
                stand = f"/responses/{len(targets)}"
                body = {"required": True, "content": {"application/json": media}}
                stand_in["paths"][stand] = {
                    "post": {"requestBody": body, "responses": {"200": {"description": "-"}}}
                }
                targets[stand] = (template, method, int(status))
    for result in schemathesis.openapi.from_dict(stand_in).get_all_operations():
        operation = result.ok()
        template, method, status = targets[operation.path]
        url = base + re.sub(r"\{[^}]+\}", "1", template)
        request = httpx.Request(method.upper(), url, headers=credentials)
        for mode in modes:
            for case in draw(operation.as_strategy(generation_mode=mode), EXAMPLES):
                content = http_request(case, base, {}).content
                headers = {"Content-Type": "application/json"}
                response = httpx.Response(status, content=content, headers=headers)
                try:
                    oracle.validate_response(
                        mock_request(request, base),
                        MockResponse(content, status, headers, "application/json"),
                    )
                    theirs, why = True, ""
                except OpenAPIError as exc:
                    theirs, why = False, reason(exc)
                ours = [
                    f
                    for f in contract.check_httpx(request, response).findings
                    if f.location == "response"
                ]
                label = f"{method.upper()} {template} -> {status}"
                yield Verdict("response", mode.value, label, repr(content[:200]), theirs, why, ours)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SPECS))
def test_check_agrees_with_openapi_core(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openapi-core warns about schemes it does not check
        found = list(verdicts(name))
    tally: Counter[tuple[str, str, bool]] = Counter()
    deliberate: Counter[str] = Counter()
    unexplained = []
    for verdict in found:
        valid = not verdict.ours
        tally[(verdict.what, "valid" if valid else "invalid", verdict.agrees)] += 1
        if verdict.agrees:
            continue
        why = next((k for k, rule in DELIBERATE.items() if rule(verdict)), None)
        if why is None:
            unexplained.append(verdict)
        else:
            deliberate[why] += 1
    agreed = sum(1 for v in found if v.agrees)
    print(
        f"\n{name}: {len(found)} exchanges, {agreed} verdicts agree "
        f"({100 * agreed / len(found):.1f}%), deliberate differences {dict(deliberate)}"
    )
    assert not unexplained, "\n".join(
        f"{v.what} {v.operation} ({v.mode}): openapi-core says "
        f"{'valid' if v.theirs else 'invalid: ' + v.why}; check says "
        f"{[(f.part.value, f.pointer, f.kind.value, f.message) for f in v.ours]}; sent {v.sent}"
        for v in unexplained[:10]
    )
    # the mix is what makes the comparison worth something: both verdicts, both directions
    for what in ("request", "response"):
        for verdict_kind in ("valid", "invalid"):
            assert sum(n for (w, k, _), n in tally.items() if (w, k) == (what, verdict_kind)) >= 20
    assert sum(deliberate.values()) <= 0.1 * len(found), deliberate


@pytest.mark.filterwarnings("ignore:Unsupported scheme type")
def test_deliberate_differences_are_real(tmp_path: Path) -> None:
    """Each listed difference, on one hand-made exchange, with both verdicts as described."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "openapi": "3.1.0",
                "info": {"title": "t", "version": "1"},
                "paths": {
                    "/items": {
                        "get": {
                            "parameters": [
                                {"name": "q", "in": "query", "schema": {"type": "string"}}
                            ],
                            "responses": {
                                "200": {
                                    "description": "ok",
                                    "content": {
                                        "application/json": {
                                            "schema": {"type": "number", "format": "float"}
                                        }
                                    },
                                }
                            },
                        }
                    }
                },
            }
        )
    )
    oracle = OpenAPI.from_file_path(str(spec))
    contract = Contract.load(spec)
    request = httpx.Request("GET", "http://api.test/items?q=")
    with pytest.raises(OpenAPIError) as raised:
        oracle.validate_request(mock_request(request, "http://api.test"))
    empty = Verdict("request", "-", "-", "-", False, reason(raised.value))
    empty.ours = contract.check_httpx(request).findings
    assert _empty_query_value(empty)
    body = b"1e39"
    response = httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
    oracle.validate_response(
        mock_request(httpx.Request("GET", "http://api.test/items"), "http://api.test"),
        MockResponse(body, 200, {"Content-Type": "application/json"}, "application/json"),
    )
    ours = contract.check_httpx(httpx.Request("GET", "http://api.test/items"), response).findings
    assert _float_range(Verdict("response", "-", "-", "-", True, "", ours))
    petstore = SPECS["petstore-3.0"]
    xml = httpx.Request(
        "POST",
        "https://petstore3.swagger.io/api/v3/pet",
        content=b"<pet><name>doggie</name><photoUrls><photoUrl>x</photoUrl></photoUrls></pet>",
        headers={"Content-Type": "application/xml", **CREDENTIALS["petstore-3.0"]},
    )
    with pytest.raises(OpenAPIError) as raised:
        OpenAPI.from_file_path(str(petstore)).validate_request(
            mock_request(xml, "https://petstore3.swagger.io/api/v3")
        )
    verdict = Verdict("request", "-", "-", "-", False, reason(raised.value))
    verdict.ours = Contract.load(petstore).check_httpx(xml).findings
    assert _xml_body(verdict)


# -- pointers: one located defect at a time ----------------------------------------------------
#: what a value of each JSON type is replaced with to make it the wrong type
WRONG_TYPE: dict[type, Any] = {str: 12345, int: "x", float: "x", bool: "x", list: {}, dict: []}
UNKNOWN = "zzUnknownProperty"


def places(value: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON pointer, value) inside a JSON value, the root first."""
    yield at, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from places(item, jp.join(at, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield from places(item, f"{at}/{number}")


def _at(body: Any, pointer: str) -> Any:
    for step in jp.split(pointer):
        body = body[int(step)] if isinstance(body, list) else body[step]
    return body


def _parent(body: Any, pointer: str) -> tuple[Any, str | int]:
    parent = _at(body, jp.parent(pointer))
    last = jp.split(pointer)[-1]
    return parent, (int(last) if isinstance(parent, list) else last)


def mutations(body: Any) -> Iterator[tuple[str, str, Any]]:
    """(what, the pointer the defect is at, the mutated body): each defect in one place."""
    for pointer, value in places(body):
        if isinstance(value, dict):
            yield "unknown property", jp.join(pointer, UNKNOWN), _changed(body, pointer, "add")
        if not pointer:
            continue
        wrong = WRONG_TYPE[type(value)] if value is not None else "x"
        yield "wrong type", pointer, _changed(body, pointer, "replace", wrong)
        if isinstance(_parent(body, pointer)[0], dict):
            yield "dropped", pointer, _changed(body, pointer, "drop")


def _changed(body: Any, pointer: str, how: str, value: Any = None) -> Any:
    body = copy.deepcopy(body)
    if how == "add":
        _at(body, pointer)[UNKNOWN] = 1
        return body
    parent, key = _parent(body, pointer)
    if how == "drop":
        del parent[key]
    else:
        parent[key] = value
    return body


@dataclass
class Located:
    spec: str
    what: str
    where: str  # "request" | "response"
    operation: str
    pointer: str
    ours: list[ContractFinding]

    @property
    def found(self) -> bool:
        return bool(self.ours)

    @property
    def exact(self) -> bool:
        return any(f.pointer == self.pointer for f in self.ours)


def located(name: str, bodies_per_schema: int = 6) -> Iterator[Located]:
    """Valid JSON bodies (request bodies and responses) drawn for every schema of the spec,
    each mutated in one place at a time; kept when openapi-core rejects the mutation (so the
    defect is real and sits where it was made), with what `check` reports for it."""
    from openapi_core.validation.request.validators import (
        V30RequestBodyValidator,
        V31RequestBodyValidator,
    )
    from openapi_core.validation.response.validators import (
        V30ResponseDataValidator,
        V31ResponseDataValidator,
    )

    path = SPECS[name]
    spec = yaml.safe_load(path.read_text())
    base = base_url(spec)
    credentials = CREDENTIALS[name]
    v31 = str(spec["openapi"]).startswith("3.1")
    oracle = OpenAPI.from_file_path(str(path))
    body_oracle = (V31RequestBodyValidator if v31 else V30RequestBodyValidator)(oracle.spec)
    data_oracle = (V31ResponseDataValidator if v31 else V30ResponseDataValidator)(oracle.spec)
    contract = Contract.load(path)
    stand_in = copy.deepcopy(spec)
    stand_in["paths"], stand_in["security"] = {}, []
    targets: dict[str, tuple[str, str, int | None]] = {}
    for template, item in spec["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            described = [(None, op.get("requestBody") or {})]
            described += [
                (int(s), r) for s, r in (op.get("responses") or {}).items() if s.isdigit()
            ]
            for status, holder in described:
                media = (holder.get("content") or {}).get("application/json")
                if not media or "schema" not in media:
                    continue
                stand = f"/bodies/{len(targets)}"
                body = {"required": True, "content": {"application/json": media}}
                stand_in["paths"][stand] = {
                    "post": {"requestBody": body, "responses": {"200": {"description": "-"}}}
                }
                targets[stand] = (template, method, status)
    json_headers = {"Content-Type": "application/json"}
    for result in schemathesis.openapi.from_dict(stand_in).get_all_operations():
        operation = result.ok()
        template, method, status = targets[operation.path]
        url = base + re.sub(r"\{[^}]+\}", "1", template)
        label = f"{method.upper()} {template}" + (f" -> {status}" if status else "")
        strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
        for case in draw(strategy, bodies_per_schema):
            for what, pointer, body in mutations(case.body):
                content = json.dumps(body).encode()
                if status is None:
                    request = httpx.Request(
                        method.upper(),
                        url,
                        content=content,
                        headers={**credentials, **json_headers},
                    )
                    try:
                        body_oracle.validate(mock_request(request, base))
                        continue  # not a defect by the spec (an open object, a nullable...)
                    except OpenAPIError:
                        pass
                    ours = [
                        f
                        for f in contract.check_httpx(request).findings
                        if f.location == "request" and f.part.value == "body"
                    ]
                else:
                    request = httpx.Request(method.upper(), url, headers=credentials)
                    response = httpx.Response(status, content=content, headers=json_headers)
                    try:
                        data_oracle.validate(
                            mock_request(request, base),
                            MockResponse(content, status, json_headers, "application/json"),
                        )
                        continue
                    except OpenAPIError:
                        pass
                    ours = [
                        f
                        for f in contract.check_httpx(request, response).findings
                        if f.location == "response" and f.part.value == "body"
                    ]
                where = "request" if status is None else "response"
                yield Located(name, what, where, label, pointer, ours)


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_located_defect_is_reported_where_it_is(name: str) -> None:
    """One defect at a time (a wrong type, a dropped property, an unknown property), made in
    a body both tools accept, and kept when openapi-core rejects it: `check` must report it,
    and at the exact pointer where it was made."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        found = list(located(name))
    exact = sum(1 for m in found if m.exact)
    print(f"\n{name}: {len(found)} located defects, pointers exact in {exact}")
    assert len(found) >= 100, len(found)
    missed = [m for m in found if not m.exact]
    assert not missed, "\n".join(
        f"{m.where} {m.operation}: {m.what} at {m.pointer!r}; check says "
        f"{[(f.pointer, f.kind.value) for f in m.ours]}"
        for m in missed[:10]
    )
