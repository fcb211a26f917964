"""End to end: the generated FastAPI server stubs, served by uvicorn on 127.0.0.1, driven by the
generated `Client` / `AsyncClient` of the same package, for both Zuora styles (v1 and
Quickstart). The handlers are an in-memory store written against the generated `Handlers`
protocol."""

from __future__ import annotations

import ast
import asyncio
import dataclasses
import gzip
import importlib
import itertools
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from generator.generate import build_package
from tests.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
#: package names unique to this test module, so other tests' imports never clash with ours
QUICKSTART = "zq_server_e2e"
V1 = "zv1_server_e2e"
HOSTILE = "hostile_server_e2e"
SPECS = {
    QUICKSTART: ROOT / "specs/quickstart/fulfillments.yaml",
    V1: ROOT / "specs/v1/fulfillments.yaml",
}


# --------------------------------------------------------------------------------------------
# Generated packages, live servers
# --------------------------------------------------------------------------------------------


def hostile_spec(marker: Path) -> dict[str, Any]:
    """Spec text that would run code (touch `marker`) if it ever reached generated source as
    code, plus names that are keywords, duplicates of generated names or not identifiers."""
    payload = f'"""\nimport pathlib; pathlib.Path({str(marker)!r}).touch()\n"""'
    text = "'''\\\n\u2028{{ x }}{% raw %}" + payload
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Evil " + text, "version": "1" + payload, "description": text},
        "paths": {
            "/things/{thing-id}/{class}/x'\"": {
                "parameters": [
                    {
                        "name": "thing-id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "class",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                ],
                "get": {
                    "operationId": "get" + payload,
                    "summary": text,
                    "description": text + "\\",
                    "parameters": [
                        {
                            "name": "q" + payload,
                            "in": "query",
                            "description": text,
                            "schema": {
                                "type": "array",
                                "items": {"type": "string", "enum": ["a" + payload, "b"]},
                            },
                        },
                        {
                            "name": "context",
                            "in": "query",
                            "schema": {"type": "integer", "enum": [1, 2]},
                        },
                        {"name": 'X-Evil"Header', "in": "header", "schema": {"type": "boolean"}},
                    ],
                    "responses": {
                        "200": {
                            "description": text,
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {"na'\"me" + payload: {"type": "string"}},
                                    }
                                }
                            },
                        },
                        "4XX": {
                            "description": "error",
                            "content": {"application/json": {"schema": error}},
                        },
                    },
                },
                "post": {
                    "operationId": "class",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/vnd.x'\"+json": {
                                "schema": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {'a"b': {"type": "integer"}},
                                }
                            }
                        },
                    },
                    "responses": {"204": {"description": "none"}},
                },
            },
            "/Request": {
                "get": {"operationId": "2fa", "responses": {"default": {"description": "any"}}}
            },
        },
    }


@dataclass
class Generated:
    root: Path
    quickstart: ModuleType
    v1: ModuleType
    hostile: ModuleType
    hostile_spec: dict[str, Any]
    marker: Path


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    root = tmp_path_factory.mktemp("server_e2e")
    marker = root / "PWNED"
    spec_data = hostile_spec(marker)
    (root / "hostile.yaml").write_text(json.dumps(spec_data, indent=1), "utf-8")
    for package, spec in {**SPECS, HOSTILE: root / "hostile.yaml"}.items():
        result = build_package(spec, package)
        assert result.ok, [str(f) for f in result.findings]
        assert "server.py" in result.files
        target = root / package
        target.mkdir()
        for name, text in result.files.items():
            (target / name).parent.mkdir(exist_ok=True)
            (target / name).write_text(text, "utf-8")
    sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    try:
        packages = {}
        for package in (*SPECS, HOSTILE):
            packages[package] = importlib.import_module(package)
            importlib.import_module(f"{package}.server")
        yield Generated(
            root, packages[QUICKSTART], packages[V1], packages[HOSTILE], spec_data, marker
        )
    finally:
        sys.path.remove(str(root))
        for name in list(sys.modules):
            if name.split(".")[0] in (*SPECS, HOSTILE):
                del sys.modules[name]


# --------------------------------------------------------------------------------------------
# In-memory handlers
# --------------------------------------------------------------------------------------------


class Recorder:
    """Records every call a handler receives and answers queued failures first."""

    def __init__(self, package: ModuleType) -> None:
        self.models = package.models
        self.server = package.server
        self.calls: list[tuple[str, Any]] = []
        self.failures: dict[str, list[Any]] = {}
        self.numbers = itertools.count(1)

    def next_number(self) -> str:
        return f"F-{next(self.numbers):08d}"

    def fail_next(self, operation: str, *replies: Any) -> None:
        self.failures.setdefault(operation, []).extend(replies)

    def enter(self, operation: str, request: Any) -> Any:
        self.calls.append((operation, request))
        queue = self.failures.get(operation)
        return queue.pop(0) if queue else None

    def requests(self, operation: str) -> list[Any]:
        return [r for name, r in self.calls if name == operation]


def new_id() -> str:
    return uuid.uuid4().hex


class QuickstartHandlers(Recorder):
    def __init__(self, package: ModuleType) -> None:
        super().__init__(package)
        self.fulfillments: dict[str, Any] = {}
        self.items: dict[str, Any] = {}

    def _page(self, values: list[Any], request: Any, model: Any) -> Any:
        size = request.page_size or 2
        start = int(request.cursor or 0)
        end = start + size
        return model(next_page=str(end) if end < len(values) else None, data=values[start:end])

    def _accepted(self, request: Any) -> Any:
        return self.server.Reply(202, self.models.AsyncAccepted(request_id=str(uuid.uuid4())))

    def _missing(self, what: str, key: str, parameter: str) -> Any:
        return self.server.error_reply(
            404, f"No {what} was found with id {key}.", parameter=parameter
        )

    def _fulfillment(self, data: dict[str, Any]) -> Any:
        data.pop("items", None)
        data.pop("processing_options", None)
        fid = new_id()
        stored = self.models.Fulfillment.model_validate(
            {
                **data,
                "id": fid,
                "fulfillment_number": self.next_number(),
                "state": data.get("state") or "accepted",
            }
        )
        self.fulfillments[fid] = stored
        return stored

    async def list_fulfillments(self, request: Any) -> Any:
        if (failure := self.enter("list_fulfillments", request)) is not None:
            return failure
        return self._page(list(self.fulfillments.values()), request, self.models.FulfillmentList)

    async def create_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillment", request)) is not None:
            return failure
        if request.async_:
            return self._accepted(request)
        return self._fulfillment(request.body.model_dump(exclude_none=True))

    async def create_fulfillments(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillments", request)) is not None:
            return failure
        if request.async_:
            return self._accepted(request)
        created = [self._fulfillment(f.model_dump(exclude_none=True)) for f in request.body.data]
        return self.models.FulfillmentBulkCreateResponse(data=created)

    async def get_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("get_fulfillment", request)) is not None:
            return failure
        found = self.fulfillments.get(request.fulfillment_id)
        return found or self._missing("fulfillment", request.fulfillment_id, "fulfillment_id")

    async def update_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("update_fulfillment", request)) is not None:
            return failure
        found = self.fulfillments.get(request.fulfillment_id)
        if found is None:
            return self._missing("fulfillment", request.fulfillment_id, "fulfillment_id")
        if request.async_:
            return self._accepted(request)
        changes = request.body.model_dump(exclude_unset=True)
        updated = found.model_validate({**found.model_dump(exclude_none=True), **changes})
        self.fulfillments[request.fulfillment_id] = updated
        return updated

    async def delete_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("delete_fulfillment", request)) is not None:
            return failure
        if self.fulfillments.pop(request.fulfillment_id, None) is None:
            return self._missing("fulfillment", request.fulfillment_id, "fulfillment_id")
        return self._accepted(request) if request.async_ else None

    def _item(self, data: dict[str, Any]) -> Any:
        number = data.pop("fulfillment_number")
        parent = next(
            (f for f in self.fulfillments.values() if f.fulfillment_number == number), None
        )
        if parent is None:
            raise self.server.ApiFailure(
                404, self.server.error_reply(404, f"No fulfillment {number}.").body
            )
        item = self.models.FulfillmentItem.model_validate(
            {**data, "id": new_id(), "fulfillment_id": parent.id}
        )
        self.items[item.id] = item
        return item

    async def list_fulfillment_items(self, request: Any) -> Any:
        if (failure := self.enter("list_fulfillment_items", request)) is not None:
            return failure
        return self._page(list(self.items.values()), request, self.models.FulfillmentItemList)

    async def create_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillment_item", request)) is not None:
            return failure
        return self._item(request.body.model_dump(exclude_none=True))

    async def create_fulfillment_items(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillment_items", request)) is not None:
            return failure
        created = [self._item(i.model_dump(exclude_none=True)) for i in request.body.data]
        return self.models.FulfillmentItemBulkCreateResponse(
            data=[{"id": item.id} for item in created]
        )

    async def get_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("get_fulfillment_item", request)) is not None:
            return failure
        found = self.items.get(request.fulfillment_item_id)
        return found or self._missing("item", request.fulfillment_item_id, "fulfillment_item_id")

    async def update_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("update_fulfillment_item", request)) is not None:
            return failure
        found = self.items.get(request.fulfillment_item_id)
        if found is None:
            return self._missing("item", request.fulfillment_item_id, "fulfillment_item_id")
        changes = request.body.model_dump(exclude_unset=True)
        updated = found.model_validate({**found.model_dump(exclude_none=True), **changes})
        self.items[request.fulfillment_item_id] = updated
        return updated

    async def delete_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("delete_fulfillment_item", request)) is not None:
            return failure
        if self.items.pop(request.fulfillment_item_id, None) is None:
            return self._missing("item", request.fulfillment_item_id, "fulfillment_item_id")
        return None


class V1Handlers(Recorder):
    """Zuora v1: business failures are HTTP 200 with `success: false`."""

    def __init__(self, package: ModuleType) -> None:
        super().__init__(package)
        self.fulfillments: dict[str, Any] = {}  # by fulfillment number
        self.items: dict[str, Any] = {}

    def _reasons(self, status: int, code: int, message: str) -> Any:
        body = self.models.ErrorResponse(
            success=False, reasons=[self.models.ErrorReason(code=code, message=message)]
        )
        return self.server.Reply(status, body)

    def _key(self, key: str) -> str | None:
        if key in self.fulfillments:
            return key
        return next((n for n, f in self.fulfillments.items() if f.id == key), None)

    async def create_fulfillments(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillments", request)) is not None:
            return failure
        for fulfillment in request.body.fulfillments:
            if fulfillment.quantity <= 0:
                return self._reasons(200, 53100320, "quantity must be greater than 0.")
        created = []
        for fulfillment in request.body.fulfillments:
            number = self.next_number()
            data = fulfillment.model_dump(exclude_none=True)
            data.pop("fulfillment_items", None)
            stored = self.models.FulfillmentResponse.model_validate(
                {**data, "id": new_id(), "fulfillment_number": number}
            )
            self.fulfillments[number] = stored
            created.append({"id": stored.id, "fulfillmentNumber": number})
        return self.models.CreateFulfillmentsResponse(success=True, fulfillments=created)

    async def get_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("get_fulfillment", request)) is not None:
            return failure
        number = self._key(request.key)
        if number is None:
            return self._reasons(404, 53100340, f"Nothing matches the key {request.key}.")
        return self.models.GetFulfillmentResponse(
            success=True, fulfillment=self.fulfillments[number]
        )

    async def update_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("update_fulfillment", request)) is not None:
            return failure
        number = self._key(request.key)
        if number is None:
            return self._reasons(404, 53100340, f"Nothing matches the key {request.key}.")
        current = self.fulfillments[number]
        changes = request.body.model_dump(exclude_unset=True)
        self.fulfillments[number] = current.model_validate(
            {**current.model_dump(exclude_none=True), **changes}
        )
        return self.models.SuccessResponse(success=True)

    async def delete_fulfillment(self, request: Any) -> Any:
        if (failure := self.enter("delete_fulfillment", request)) is not None:
            return failure
        number = self._key(request.key)
        if number is None:
            return self._reasons(404, 53100340, f"Nothing matches the key {request.key}.")
        del self.fulfillments[number]
        return self.models.SuccessResponse(success=True)

    async def create_fulfillment_items(self, request: Any) -> Any:
        if (failure := self.enter("create_fulfillment_items", request)) is not None:
            return failure
        created = []
        for entry in request.body.fulfillment_items:
            data = entry.root.model_dump(exclude_none=True)
            number = data.pop("fulfillment_number", None)
            parent = self.fulfillments.get(number) if number else None
            if parent is None and data.get("fulfillment_id"):
                parent = next(
                    (f for f in self.fulfillments.values() if f.id == data["fulfillment_id"]),
                    None,
                )
            if parent is None:
                return self._reasons(200, 53100420, "The fulfillment of an item does not exist.")
            item = self.models.FulfillmentItemResponse.model_validate(
                {**data, "id": new_id(), "fulfillment_id": parent.id}
            )
            self.items[item.id] = item
            created.append({"id": item.id})
        return self.models.CreateFulfillmentItemsResponse(success=True, fulfillment_items=created)

    async def get_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("get_fulfillment_item", request)) is not None:
            return failure
        item = self.items.get(request.id_)
        if item is None:
            return self._reasons(404, 53100440, f"No fulfillment item has the id {request.id_}.")
        return self.models.GetFulfillmentItemResponse(success=True, fulfillment_item=item)

    async def update_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("update_fulfillment_item", request)) is not None:
            return failure
        item = self.items.get(request.id_)
        if item is None:
            return self._reasons(404, 53100440, f"No fulfillment item has the id {request.id_}.")
        changes = request.body.model_dump(exclude_unset=True)
        self.items[request.id_] = item.model_validate(
            {**item.model_dump(exclude_none=True), **changes}
        )
        return self.models.SuccessResponse(success=True)

    async def delete_fulfillment_item(self, request: Any) -> Any:
        if (failure := self.enter("delete_fulfillment_item", request)) is not None:
            return failure
        if self.items.pop(request.id_, None) is None:
            return self._reasons(404, 53100440, f"No fulfillment item has the id {request.id_}.")
        return self.models.SuccessResponse(success=True)


@dataclass
class Running:
    package: ModuleType
    handlers: Any
    url: str

    def client(self, **options: Any) -> Any:
        client = self.package.Client(base_url=self.url, token="t", **options)
        client._sleep = lambda seconds: None  # retries stay fast
        return client

    def async_client(self, **options: Any) -> Any:
        client = self.package.AsyncClient(base_url=self.url, token="t", **options)

        async def no_sleep(seconds: float) -> None:
            return None

        client._sleep = no_sleep
        return client

    def reset(self) -> None:
        self.handlers.calls.clear()
        self.handlers.failures.clear()


@pytest.fixture(scope="module")
def quickstart(generated: Generated) -> Iterator[Running]:
    handlers = QuickstartHandlers(generated.quickstart)
    with LiveServer(generated.quickstart.server.create_app(handlers)) as live:
        yield Running(generated.quickstart, handlers, live.url)


@pytest.fixture(scope="module")
def v1(generated: Generated) -> Iterator[Running]:
    handlers = V1Handlers(generated.v1)
    with LiveServer(generated.v1.server.create_app(handlers)) as live:
        yield Running(generated.v1, handlers, live.url)


@pytest.fixture(autouse=True)
def _fresh_failures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("quickstart", "v1"):
        if name in request.fixturenames:
            request.getfixturevalue(name).reset()


def qs_create_body(models: ModuleType, **extra: Any) -> Any:
    return models.FulfillmentCreateRequest(
        order_line_item_id="8ad0823f8e1b4c2a018e1c5d7f3a21b4",
        fulfillment_date="2024-03-01",
        quantity=2,
        **extra,
    )


def v1_fulfillment(models: ModuleType, quantity: float = 1) -> Any:
    return models.FulfillmentRequest(
        order_line_item_id="8ad0823f8e1b4c2a018e1c5d7f3a21b4",
        fulfillment_date="2024-03-01",
        quantity=quantity,
    )


# --------------------------------------------------------------------------------------------
# Quickstart
# --------------------------------------------------------------------------------------------


def test_quickstart_fulfillments_every_operation(quickstart: Running) -> None:
    m = quickstart.package.models
    with quickstart.client() as client:
        created = client.create_fulfillment(
            qs_create_body(m, carrier="DHL"),
            fields=["id,state", "quantity"],
            zuora_entity_ids="entity-1",
            track_id="track-1",
        )
        assert isinstance(created, m.Fulfillment)
        assert created.carrier == "DHL" and created.quantity == 2
        seen = quickstart.handlers.requests("create_fulfillment")[-1]
        assert seen.fields == ["id,state", "quantity"]  # repeated, never split on commas
        assert seen.zuora_entity_ids == "entity-1"
        assert seen.context.entity_id == "entity-1"
        assert seen.context.track_id == "track-1"
        assert seen.context.token == "t"
        assert seen.body.quantity == 2

        assert client.get_fulfillment(created.id) == created

        updated = client.update_fulfillment(
            created.id, m.FulfillmentPatchRequest(description="left the warehouse")
        )
        assert updated.description == "left the warehouse" and updated.carrier == "DHL"

        bulk = client.create_fulfillments(
            m.FulfillmentBulkCreateRequest(
                data=[qs_create_body(m).model_dump(exclude_none=True) for _ in range(4)]
            )
        )
        assert isinstance(bulk, m.FulfillmentBulkCreateResponse) and len(bulk.data) == 4

        listed = list(client.iter_list_fulfillments(page_size=2))
        assert {f.id for f in listed} == set(quickstart.handlers.fulfillments)
        pages = quickstart.handlers.requests("list_fulfillments")
        assert [p.cursor for p in pages] == [None, "2", "4"]
        assert all(p.page_size == 2 for p in pages)

        assert client.delete_fulfillment(created.id) is None
        with pytest.raises(quickstart.package.NotFoundError) as caught:
            client.get_fulfillment(created.id)
    error = caught.value
    assert error.status_code == 404
    assert error.body["type"] == "not_found"
    assert error.body["errors"][0]["code"] == "resource_not_found"
    assert error.body["errors"][0]["parameter"] == "fulfillment_id"
    assert error.body["retryable"] is False
    assert len(error.request_id) == 36


def test_quickstart_items_every_operation_async(quickstart: Running) -> None:
    m = quickstart.package.models

    async def scenario() -> None:
        async with quickstart.async_client() as client:
            parent = await client.create_fulfillment(qs_create_body(m))
            item = await client.create_fulfillment_item(
                m.FulfillmentItemCreateRequest(
                    fulfillment_number=parent.fulfillment_number, description="box 1"
                )
            )
            assert isinstance(item, m.FulfillmentItem)
            assert item.fulfillment_id == parent.id
            bulk = await client.create_fulfillment_items(
                m.FulfillmentItemBulkCreateRequest(
                    data=[
                        {"fulfillment_number": parent.fulfillment_number, "description": f"b{i}"}
                        for i in range(3)
                    ]
                )
            )
            assert len(bulk.data) == 3
            assert (await client.get_fulfillment_item(item.id)) == item
            changed = await client.update_fulfillment_item(
                item.id, m.FulfillmentItemPatchRequest(description="box one")
            )
            assert changed.description == "box one"
            seen = [i.id async for i in client.iter_list_fulfillment_items(page_size=3)]
            assert set(seen) == set(quickstart.handlers.items)
            assert await client.delete_fulfillment_item(item.id) is None
            with pytest.raises(quickstart.package.NotFoundError) as caught:
                await client.delete_fulfillment_item(item.id)
            assert caught.value.body["errors"][0]["parameter"] == "fulfillment_item_id"
            with pytest.raises(quickstart.package.NotFoundError):
                await client.create_fulfillment_item(
                    m.FulfillmentItemCreateRequest(fulfillment_number="F-99999999")
                )

    asyncio.run(scenario())


def test_quickstart_invalid_body_gets_the_spec_error_shape(quickstart: Running) -> None:
    with quickstart.client() as client, pytest.raises(quickstart.package.BadRequestError) as caught:
        client.create_fulfillment(
            {"order_line_item_id": "x", "quantity": "lots", "bogus": True}  # type: ignore[arg-type]
        )
    body = caught.value.body
    assert caught.value.status_code == 400
    assert body["type"] == "bad_request" and body["retryable"] is False
    problems = {e["parameter"]: e["code"] for e in body["errors"]}
    assert problems == {
        "fulfillment_date": "parameter_missing",
        "quantity": "invalid_request_body",
        "bogus": "invalid_request_body",
    }
    assert quickstart.handlers.requests("create_fulfillment") == []


def test_quickstart_page_size_out_of_range(quickstart: Running) -> None:
    with quickstart.client() as client, pytest.raises(quickstart.package.BadRequestError) as caught:
        client.list_fulfillments(page_size=100)
    assert caught.value.body["errors"][0]["parameter"] == "page_size"
    assert caught.value.body["errors"][0]["code"] == "invalid_parameter"


def test_quickstart_raw_invalid_requests(quickstart: Running) -> None:
    auth = {"Authorization": "Bearer t"}
    with httpx.Client(base_url=quickstart.url) as http:
        answer = http.get("/fulfillments", params={"page_size": "many"}, headers=auth)
        assert answer.status_code == 400
        assert answer.json()["errors"][0] == {
            "code": "invalid_parameter",
            "parameter": "page_size",
            "message": answer.json()["errors"][0]["message"],
        }
        answer = http.post(
            "/fulfillments",
            content=b"{not json",
            headers={**auth, "Content-Type": "application/json"},
        )
        assert answer.status_code == 400
        assert answer.json()["errors"][0]["code"] == "invalid_request_body"
        answer = http.post(
            "/fulfillments",
            content=b"quantity=1",
            headers={**auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 400 and answer.json()["type"] == "bad_request"
        answer = http.get("/fulfillments")
        assert answer.status_code == 401 and answer.json()["type"] == "unauthorized"
        answer = http.get("/no/such/route", headers=auth)
        assert answer.status_code == 404 and answer.json()["type"] == "not_found"
        answer = http.put("/fulfillments", headers=auth)
        assert answer.status_code == 405 and answer.json()["type"] == "method_not_allowed"
        assert answer.headers["Allow"] == "GET, HEAD, POST"
        assert len(answer.headers["Zuora-Request-Id"]) == 36
        bomb = gzip.compress(b" " * (11 * 1024 * 1024))
        answer = http.post(
            "/fulfillments",
            content=bomb,
            headers={**auth, "Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        # the spec documents no 413: an oversized body is its documented invalid request
        assert answer.status_code == 400 and set(answer.json()) == {"type", "errors", "retryable"}
        assert answer.json()["errors"][0]["code"] == "request_too_large"
    assert quickstart.handlers.calls == []


def test_quickstart_retries_503_and_429(quickstart: Running) -> None:
    m, server = quickstart.package.models, quickstart.package.server
    with quickstart.client() as client:
        created = client.create_fulfillment(qs_create_body(m))
        unavailable = server.error_reply(503, "Try again.")
        quickstart.handlers.fail_next("get_fulfillment", unavailable, unavailable)
        assert client.get_fulfillment(created.id) == created
        assert len(quickstart.handlers.requests("get_fulfillment")) == 3

        limited = server.Reply(
            429, server.error_reply(429, "Slow down.").body, {"Retry-After": "0"}
        )
        quickstart.handlers.fail_next("create_fulfillment", limited)
        again = client.create_fulfillment(
            qs_create_body(m), extra_headers={"idempotency-key": "qs-key-1"}
        )
        assert isinstance(again, m.Fulfillment)
        attempts = quickstart.handlers.requests("create_fulfillment")[-2:]
        assert [a.context.idempotency_key for a in attempts] == ["qs-key-1", "qs-key-1"]


def test_quickstart_automatic_idempotency_key_is_reused_across_retries(
    quickstart: Running,
) -> None:
    m, server = quickstart.package.models, quickstart.package.server
    quickstart.handlers.fail_next(
        "create_fulfillment",
        server.error_reply(503, "Try again."),
        server.error_reply(503, "Try again."),
    )
    with quickstart.client() as client:
        assert isinstance(client.create_fulfillment(qs_create_body(m)), m.Fulfillment)
    keys = [a.context.idempotency_key for a in quickstart.handlers.requests("create_fulfillment")]
    assert len(keys) == 3 and keys[0] and len(set(keys)) == 1


def test_quickstart_async_request_is_accepted(quickstart: Running) -> None:
    m = quickstart.package.models
    with quickstart.client() as client:
        answer = client.create_fulfillment(qs_create_body(m), async_=True)
        assert isinstance(answer, quickstart.package.Accepted)
        assert answer.status_code == 202 and isinstance(answer.data, m.AsyncAccepted)
        assert len(answer.request_id) == 36
        assert quickstart.handlers.requests("create_fulfillment")[-1].async_ is True


def test_quickstart_gzip_both_ways(quickstart: Running) -> None:
    m = quickstart.package.models
    encodings: list[str | None] = []
    http = httpx.Client(
        event_hooks={"response": [lambda r: encodings.append(r.headers.get("content-encoding"))]}
    )
    with quickstart.client(gzip_requests=True, http_client=http) as client:
        created = client.create_fulfillment(qs_create_body(m, description="x" * 600))
        seen = quickstart.handlers.requests("create_fulfillment")[-1]
        assert seen.context.headers["content-encoding"] == "gzip"
        assert seen.body.description == "x" * 600
        assert client.get_fulfillment(created.id).description == "x" * 600
    http.close()
    assert encodings[-1] == "gzip"  # the 600+ byte answer came back compressed


def test_quickstart_identity_answers_and_response_headers(quickstart: Running) -> None:
    """A client that does not take gzip gets plain answers; one that could have been compressed
    (500 bytes or more) says it varies by Accept-Encoding, as GZipMiddleware says it. Every
    answer has a request id and echoes the track id (sent twice: the first one)."""
    m = quickstart.package.models
    with quickstart.client() as client:
        created = client.create_fulfillment(qs_create_body(m, description="x" * 600))
    headers = [
        ("Authorization", "Bearer t"),
        ("Accept-Encoding", "identity"),
        ("Zuora-Track-Id", "trk-1"),
        ("Zuora-Track-Id", "trk-2"),
    ]
    with httpx.Client(base_url=quickstart.url) as http:
        big = http.get(f"/fulfillments/{created.id}", headers=headers)
        small = http.get("/fulfillments/none-such", headers=headers)
        zipped = http.get(f"/fulfillments/{created.id}", headers={"Authorization": "Bearer t"})
    assert big.status_code == 200 and "content-encoding" not in big.headers
    assert big.json()["description"] == "x" * 600
    assert big.headers.get_list("vary") == ["Accept-Encoding"]
    assert small.status_code == 404 and "vary" not in small.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers.get_list("vary") == ["Accept-Encoding"]
    for answer in (big, small):
        assert answer.headers.get_list("zuora-track-id") == ["trk-1"]
    for answer in (big, small, zipped):
        assert len(answer.headers.get_list("zuora-request-id")) == 1
        assert len(answer.headers["zuora-request-id"]) == 36


# --------------------------------------------------------------------------------------------
# Zuora v1
# --------------------------------------------------------------------------------------------


def test_v1_fulfillments_every_operation(v1: Running) -> None:
    m = v1.package.models
    with v1.client() as client:
        created = client.create_fulfillments(
            m.CreateFulfillmentsRequest(fulfillments=[v1_fulfillment(m, 3)]),
            zuora_entity_ids="entity-9",
            extra_headers={"Zuora-Track-Id": "v1-track"},
        )
        assert isinstance(created, m.CreateFulfillmentsResponse)
        number = created.fulfillments[0].fulfillment_number
        seen = v1.handlers.requests("create_fulfillments")[-1]
        assert seen.context.entity_id == "entity-9" and seen.context.track_id == "v1-track"

        got = client.get_fulfillment(number, fulfillment_items=True)
        assert got.fulfillment.quantity == 3
        assert v1.handlers.requests("get_fulfillment")[-1].fulfillment_items is True

        done = client.update_fulfillment(number, m.UpdateFulfillmentRequest(carrier="UPS"))
        assert isinstance(done, m.SuccessResponse)
        assert client.get_fulfillment(number).fulfillment.carrier == "UPS"

        assert isinstance(client.delete_fulfillment(number), m.SuccessResponse)
        with pytest.raises(v1.package.NotFoundError) as caught:
            client.get_fulfillment(number)
    body = caught.value.body
    assert body["success"] is False and body["reasons"][0]["code"] == 53100340


def test_v1_items_every_operation_async(v1: Running) -> None:
    m = v1.package.models

    async def scenario() -> None:
        async with v1.async_client() as client:
            created = await client.create_fulfillments(
                m.CreateFulfillmentsRequest(fulfillments=[v1_fulfillment(m)])
            )
            number = created.fulfillments[0].fulfillment_number
            items = await client.create_fulfillment_items(
                m.CreateFulfillmentItemsRequest(
                    fulfillment_items=[{"fulfillmentNumber": number, "description": "crate"}]
                )
            )
            item_id = items.fulfillment_items[0].id
            got = await client.get_fulfillment_item(item_id)
            assert got.fulfillment_item.description == "crate"
            await client.update_fulfillment_item(
                item_id, m.UpdateFulfillmentItemRequest(description="crate 2")
            )
            got = await client.get_fulfillment_item(item_id)
            assert got.fulfillment_item.description == "crate 2"
            assert isinstance(await client.delete_fulfillment_item(item_id), m.SuccessResponse)
            with pytest.raises(v1.package.NotFoundError) as caught:
                await client.get_fulfillment_item(item_id)
            assert caught.value.body["reasons"][0]["code"] == 53100440

    asyncio.run(scenario())


def test_v1_business_error_is_http_200_success_false(v1: Running) -> None:
    m = v1.package.models
    with v1.client() as client, pytest.raises(v1.package.BadRequestError) as caught:
        client.create_fulfillments(m.CreateFulfillmentsRequest(fulfillments=[v1_fulfillment(m, 0)]))
    assert caught.value.status_code == 200
    assert caught.value.body == {
        "success": False,
        "reasons": [{"code": 53100320, "message": "quantity must be greater than 0."}],
    }


def test_v1_invalid_body_gets_the_spec_error_shape(v1: Running) -> None:
    with v1.client() as client, pytest.raises(v1.package.BadRequestError) as caught:
        client.create_fulfillments(
            {"fulfillments": [{"orderLineItemId": "short", "quantity": "many"}]}  # type: ignore[arg-type]
        )
    body = caught.value.body
    assert caught.value.status_code == 400
    assert body["success"] is False
    codes = [r["code"] for r in body["reasons"]]
    assert all(isinstance(c, int) and 10_000_000 <= c <= 99_999_999 for c in codes)
    assert 53100022 in codes  # fulfillmentDate is missing
    assert any("fulfillmentDate" in r["message"] for r in body["reasons"])
    with httpx.Client(base_url=v1.url) as http:
        answer = http.delete("/v1/fulfillments", headers={"Authorization": "Bearer t"})
        assert answer.status_code == 405
        assert answer.json()["success"] is False
        assert answer.json()["reasons"][0]["code"] == 53100045
        answer = http.get("/v1/nothing-here", headers={"Authorization": "Bearer t"})
        assert answer.status_code == 404 and answer.json()["reasons"][0]["code"] == 53100040
    assert v1.handlers.requests("create_fulfillments") == []


def test_v1_retries_429_and_500_with_the_same_idempotency_key(v1: Running) -> None:
    m = v1.package.models
    v1.handlers.fail_next(
        "create_fulfillments",
        v1.handlers._reasons(429, 90000070, "Request limit reached."),
        v1.handlers._reasons(500, 90000060, "Unexpected."),
    )
    limited = v1.handlers.failures["create_fulfillments"][0]
    v1.handlers.failures["create_fulfillments"][0] = v1.package.server.Reply(
        limited.status, limited.body, {"Retry-After": "0"}
    )
    with v1.client() as client:
        created = client.create_fulfillments(
            m.CreateFulfillmentsRequest(fulfillments=[v1_fulfillment(m)]),
            extra_headers={"Idempotency-Key": "v1-key-7"},
        )
    assert isinstance(created, m.CreateFulfillmentsResponse)
    attempts = v1.handlers.requests("create_fulfillments")
    assert [a.context.idempotency_key for a in attempts] == ["v1-key-7"] * 3


def test_v1_503_is_retried_and_undocumented_statuses_are_refused(
    v1: Running, generated: Generated
) -> None:
    """v1 documents no 503: the validating server refuses it (500 in the v1 shape); a server
    built with validate_responses=False sends it, and the client retries it."""
    m, server = generated.v1.models, generated.v1.server
    unavailable = server.Reply(
        503, {"success": False, "reasons": [{"code": 90000061, "message": "Down for maintenance."}]}
    )
    v1.handlers.fail_next("get_fulfillment", unavailable)
    with (
        v1.client(max_retries=0) as client,
        pytest.raises(v1.package.InternalServerError) as caught,
    ):
        client.get_fulfillment("F-00000001")
    assert caught.value.status_code == 500
    assert caught.value.body["reasons"][0]["code"] == 90000060

    lenient = V1Handlers(generated.v1)
    with LiveServer(server.create_app(lenient, validate_responses=False)) as live:
        running = Running(generated.v1, lenient, live.url)
        with running.client() as client:
            created = client.create_fulfillments(
                m.CreateFulfillmentsRequest(fulfillments=[v1_fulfillment(m)])
            )
            number = created.fulfillments[0].fulfillment_number
            lenient.fail_next("get_fulfillment", unavailable, unavailable)
            assert client.get_fulfillment(number).fulfillment.fulfillment_number == number
    assert len(lenient.requests("get_fulfillment")) == 3


def test_v1_gzip_both_ways(v1: Running) -> None:
    m = v1.package.models
    encodings: list[str | None] = []
    http = httpx.Client(
        event_hooks={"response": [lambda r: encodings.append(r.headers.get("content-encoding"))]}
    )
    many = [v1_fulfillment(m, i + 1) for i in range(12)]
    with v1.client(gzip_requests=True, http_client=http) as client:
        created = client.create_fulfillments(m.CreateFulfillmentsRequest(fulfillments=many))
        seen = v1.handlers.requests("create_fulfillments")[-1]
        assert seen.context.headers["content-encoding"] == "gzip"
        assert len(seen.body.fulfillments) == 12
    http.close()
    assert len(created.fulfillments) == 12
    assert encodings[-1] == "gzip"


# --------------------------------------------------------------------------------------------
# The generated code itself
# --------------------------------------------------------------------------------------------


def test_generated_packages_pass_mypy_strict_and_ruff(generated: Generated) -> None:
    packages = [str(generated.root / p) for p in (*SPECS, HOSTILE)]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(generated.root / ".mypy_cache"),
            *packages,
        ],
        cwd=generated.root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ruff = Path(sys.executable).with_name("ruff")
    servers = [
        str(generated.root / p / name)
        for p in (*SPECS, HOSTILE)
        for name in ("server.py", "_server_runtime.py")
    ]
    done = subprocess.run(
        [ruff, "check", "--isolated", *servers], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_server_imports_only_fastapi_starlette_pydantic_stdlib(generated: Generated) -> None:
    """`server.py` imports the package's models (and `models._server`, the models only it
    uses) and its server runtime, which itself needs
    only FastAPI, Starlette, pydantic and the standard library, plus python-multipart (the form
    parser FastAPI uses) for multipart bodies."""
    allowed = {"fastapi", "starlette", "pydantic", "python_multipart", "__future__"} | set(
        sys.stdlib_module_names
    )
    for package in (*SPECS, HOSTILE):
        for name, relative in (
            ("server.py", {None, "_server_runtime", "models"}),
            ("_server_runtime.py", set()),
        ):
            tree = ast.parse((generated.root / package / name).read_text("utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    assert all(a.name.split(".")[0] in allowed for a in node.names), ast.dump(node)
                elif isinstance(node, ast.ImportFrom):
                    if node.level:
                        assert (node.level, node.module) in {(1, m) for m in relative}, ast.dump(
                            node
                        )
                        if node.module is None:
                            assert [a.name for a in node.names] == ["models"], ast.dump(node)
                        if node.module == "models":  # the server-only models
                            assert [a.name for a in node.names] == ["_server"], ast.dump(node)
                    else:
                        assert str(node.module).split(".")[0] in allowed, ast.dump(node)


def test_server_runtime_is_the_static_template(generated: Generated) -> None:
    """Every package's `_server_runtime.py` is the template's, only ruff-formatted: no spec
    text reaches it."""
    sources = {
        (generated.root / p / "_server_runtime.py").read_text("utf-8") for p in (*SPECS, HOSTILE)
    }
    assert len(sources) == 1


def test_hostile_spec_text_stays_data(generated: Generated) -> None:
    """Quotes, docstring breakers, Jinja syntax, keywords and non-identifiers from the spec end
    up as data: importing ran nothing, the title round-trips, and the server still works."""
    server = generated.hostile.server
    assert not generated.marker.exists()
    assert server._TITLE == generated.hostile_spec["info"]["title"]
    seen: list[tuple[str, Any]] = []

    class AnyHandlers:
        def __getattr__(self, name: str) -> Any:
            async def handle(request: Any) -> Any:
                seen.append((name, request))
                if name == "class_":
                    return None
                if name == "n2fa":
                    return server.Reply(418)
                return {"anything": "goes"}

            return handle

    path = "/things/a%20b/7/x'\""
    wire_q = (
        "q"
        + generated.hostile_spec["paths"]["/things/{thing-id}/{class}/x'\""]["get"]["parameters"][
            0
        ]["name"][1:]
    )
    allowed_q = generated.hostile_spec["paths"]["/things/{thing-id}/{class}/x'\""]["get"][
        "parameters"
    ][0]["schema"]["items"]["enum"][0]

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=server.create_app(AnyHandlers()))
        async with httpx.AsyncClient(transport=transport, base_url="http://hostile") as http:
            answer = await http.get(
                path,
                params=[(wire_q, allowed_q), ("context", "2")],
                headers={'X-Evil"Header': "true"},
            )
            assert answer.status_code == 200, answer.text
            answer = await http.post(
                path, content=b'{"a\\"b": 1}', headers={"Content-Type": "application/vnd.x'\"+json"}
            )
            assert answer.status_code == 204, answer.text
            assert (await http.get("/Request")).status_code == 418
            answer = await http.get("/things/a/not-a-number/x'\"")
            assert answer.status_code == 422 and set(answer.json()) == {"message"}
            answer = await http.post(
                path, content=b'{"other": 1}', headers={"Content-Type": "application/json"}
            )
            assert answer.status_code == 422

    asyncio.run(scenario())
    (_, request), (post_name, post) = seen[0], seen[1]
    q_field = next(f.name for f in dataclasses.fields(request) if f.name.startswith("q_"))
    assert (request.thing_id, request.class_, getattr(request, q_field), request.context_) == (
        "a b",
        7,
        [allowed_q],
        2,
    )
    assert request.x_evil_header is True
    assert request.context.method == "GET"  # the spec's `context` parameter became `context_`
    assert post_name == "class_" and post.body.model_dump(by_alias=True) == {'a"b': 1}
    assert not generated.marker.exists()
