"""Quickstart-style handlers (snake_case, `/fulfillments`, `/fulfillments_items`) implementing
the generated `Handlers` protocol over the shared service."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any, NoReturn

from generator.fake.service import (
    FULFILLMENT_FIELDS,
    ITEM_FIELDS,
    Caller,
    FakeError,
    Service,
    apply_filters,
    apply_sort,
    fetch_page,
    page,
    trim,
)

_ERROR_CODES = {"invalid": "invalid_parameter", "not_found": "resource_not_found",
                "lifecycle": "invalid_state"}  # fmt: skip
_STATUS = {"invalid": 400, "not_found": 404, "lifecycle": 400}


def _body(model: Any) -> dict[str, Any]:
    """The fields the client actually sent, by Python name (snake_case here)."""
    data: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return data


class QuickstartHandlers:
    def __init__(self, service: Service, server: ModuleType) -> None:
        self.service = service
        self.server = server

    # -- helpers ----------------------------------------------------------------------------
    def _caller(self, request: Any) -> Caller:
        ctx = request.context
        return Caller.of(ctx.entity_id, ctx.token)

    def _listing(
        self, request: Any, source: Callable[..., list[dict[str, Any]]], fields: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of a list operation: paged in SQL when the order is creation order (no
        `filter[]`/`sort[]`), else filtered and sorted in memory first."""
        caller = self._caller(request)
        try:
            if not request.filter_ and not request.sort:
                return fetch_page(
                    lambda offset, limit: source(caller, offset, limit),
                    request.cursor,
                    request.page_size,
                )
            records = apply_sort(
                apply_filters(source(caller), request.filter_, fields), request.sort, fields
            )
            return page(records, request.cursor, request.page_size)
        except FakeError as exc:
            self._fail(exc)

    def _fail(self, exc: FakeError) -> NoReturn:
        reply = self.server.error_reply(
            _STATUS[exc.kind], exc.message, parameter=exc.parameter, code=_ERROR_CODES[exc.kind]
        )
        raise self.server.ApiFailure(reply.status, reply.body)

    def _accepted(self, request: Any) -> Any:
        return self.server.Reply(202, {"request_id": request.context.request_id or ""})

    def _fulfillment_out(self, record: dict[str, Any], request: Any) -> dict[str, Any]:
        return trim(record, request.fields, getattr(request, "fulfillment_fields", None))

    def _item_out(self, record: dict[str, Any], request: Any) -> dict[str, Any]:
        return trim(record, request.fields, getattr(request, "fulfillment_item_fields", None))

    @staticmethod
    def _create_entry(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        items = data.pop("items", None) or []
        data.pop("processing_options", None)
        return data, items

    # -- fulfillments -----------------------------------------------------------------------
    async def list_fulfillments(self, request: Any) -> Any:
        chunk, next_page = self._listing(
            request, self.service.list_fulfillments, FULFILLMENT_FIELDS
        )
        return {"next_page": next_page, "data": [self._fulfillment_out(r, request) for r in chunk]}

    async def create_fulfillment(self, request: Any) -> Any:
        try:
            [(record, _items)] = self.service.create_fulfillments(
                self._caller(request), [self._create_entry(_body(request.body))]
            )
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(201, self._fulfillment_out(record, request))

    async def create_fulfillments(self, request: Any) -> Any:
        data = _body(request.body)
        try:
            made = self.service.create_fulfillments(
                self._caller(request), [self._create_entry(e) for e in data.get("data", [])]
            )
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(
            201,
            {
                "data": [self._fulfillment_out(r, request) for r, _ in made],
                "invoice_numbers": [],
                "credit_memo_numbers": [],
            },
        )

    async def get_fulfillment(self, request: Any) -> Any:
        try:
            record = self.service.get_fulfillment(self._caller(request), request.fulfillment_id)
        except FakeError as exc:
            self._fail(exc)
        return self._fulfillment_out(record, request)

    async def update_fulfillment(self, request: Any) -> Any:
        try:
            record = self.service.update_fulfillment(
                self._caller(request), request.fulfillment_id, _body(request.body)
            )
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self._fulfillment_out(record, request)

    async def delete_fulfillment(self, request: Any) -> Any:
        try:
            self.service.delete_fulfillment(self._caller(request), request.fulfillment_id)
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(204)

    # -- items ------------------------------------------------------------------------------
    async def list_fulfillment_items(self, request: Any) -> Any:
        chunk, next_page = self._listing(request, self.service.list_items, ITEM_FIELDS)
        return {"next_page": next_page, "data": [self._item_out(r, request) for r in chunk]}

    async def create_fulfillment_item(self, request: Any) -> Any:
        data = _body(request.body)
        try:
            [record] = self.service.create_items(
                self._caller(request), [(data.pop("fulfillment_number"), None, data)]
            )
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(201, self._item_out(record, request))

    async def create_fulfillment_items(self, request: Any) -> Any:
        entries = [(e.pop("fulfillment_number"), None, e) for e in _body(request.body)["data"]]
        try:
            made = self.service.create_items(self._caller(request), entries)
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(201, {"data": [{"id": r["id"]} for r in made]})

    async def get_fulfillment_item(self, request: Any) -> Any:
        try:
            record = self.service.get_item(self._caller(request), request.fulfillment_item_id)
        except FakeError as exc:
            self._fail(exc)
        return self._item_out(record, request)

    async def update_fulfillment_item(self, request: Any) -> Any:
        try:
            record = self.service.update_item(
                self._caller(request), request.fulfillment_item_id, _body(request.body)
            )
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self._item_out(record, request)

    async def delete_fulfillment_item(self, request: Any) -> Any:
        try:
            self.service.delete_item(self._caller(request), request.fulfillment_item_id)
        except FakeError as exc:
            self._fail(exc)
        if request.async_:
            return self._accepted(request)
        return self.server.Reply(204)
