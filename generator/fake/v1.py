"""v1-style handlers (camelCase, `/v1/fulfillments`, `/v1/fulfillment-items`) implementing the
generated `Handlers` protocol over the shared service. Business rule violations are answered
as HTTP 200 with `success: false`, the way Zuora's v1 API does."""

from __future__ import annotations

from types import ModuleType
from typing import Any, NoReturn

from generator.fake.lifecycle import FROM_V1_STATES, V1_STATES
from generator.fake.service import Caller, FakeError, Service

#: canonical (Quickstart) name -> v1 wire name, for the flat fulfillment fields
_FULFILLMENT_WIRE = {
    "order_line_item_id": "orderLineItemId",
    "fulfillment_date": "fulfillmentDate",
    "quantity": "quantity",
    "type": "fulfillmentType",
    "state": "state",
    "target_date": "billTargetDate",
    "carrier": "carrier",
    "tracking_number": "trackingNumber",
    "description": "description",
    "external_id": "externalId",
    "location": "fulfillmentLocation",
    "fulfillment_system": "fulfillmentSystem",
    "custom_fields": "customFields",
}
#: v1 Python attribute name -> canonical name
_FROM_V1 = {
    "order_line_item_id": "order_line_item_id",
    "fulfillment_date": "fulfillment_date",
    "quantity": "quantity",
    "fulfillment_type": "type",
    "state": "state",
    "bill_target_date": "target_date",
    "carrier": "carrier",
    "tracking_number": "tracking_number",
    "description": "description",
    "external_id": "external_id",
    "fulfillment_location": "location",
    "fulfillment_system": "fulfillment_system",
    "custom_fields": "custom_fields",
}
_REVENUE = {
    "exclude_item_billing_from_revenue_accounting": "excludeItemBillingFromRevenueAccounting",
    "exclude_item_booking_from_revenue_accounting": "excludeItemBookingFromRevenueAccounting",
}
#: Zuora-style codes: the last two digits give the category (20 invalid value, 40 not found)
_CODES = {"invalid": 53100320, "lifecycle": 53100320, "not_found": 53100040}


def _fulfillment_in(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name in _FROM_V1:
            out[_FROM_V1[name]] = value
    if isinstance(out.get("type"), str):
        out["type"] = out["type"].lower()
    if isinstance(out.get("state"), str):
        out["state"] = FROM_V1_STATES.get(out["state"], out["state"])
    revenue = {k: data[k] for k in _REVENUE if data.get(k) is not None}
    if revenue:
        out["revenue"] = revenue
    return out


def _item_in(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: data[k] for k in ("description", "custom_fields") if k in data}
    if "item_identifier" in data:
        out["fulfillment_item_number"] = data["item_identifier"]
    return out


def _fulfillment_out(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record["id"], "fulfillmentNumber": record["fulfillment_number"]}
    for name, wire in _FULFILLMENT_WIRE.items():
        if record.get(name) is not None:
            out[wire] = record[name]
    if "type" in record:
        out["fulfillmentType"] = str(record["type"]).capitalize()
    if "state" in record:
        out["state"] = V1_STATES.get(record["state"], record["state"])
    for name, wire in _REVENUE.items():
        value = (record.get("revenue") or {}).get(name)
        if value is not None:
            out[wire] = value
    return out


def _item_out(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": record["id"], "fulfillmentId": record["fulfillment_id"]}
    if record.get("description") is not None:
        out["description"] = record["description"]
    if record.get("fulfillment_item_number") is not None:
        out["itemIdentifier"] = record["fulfillment_item_number"]
    if record.get("custom_fields") is not None:
        out["customFields"] = record["custom_fields"]
    return out


def _body(model: Any) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", exclude_unset=True)
    return data


class V1Handlers:
    def __init__(self, service: Service, server: ModuleType) -> None:
        self.service = service
        self.server = server

    def _caller(self, request: Any) -> Caller:
        return Caller.of(request.context.entity_id, request.context.token)

    def _fail(self, exc: FakeError) -> NoReturn:
        status = 404 if exc.kind == "not_found" else 200
        reply = self.server.error_reply(status, exc.message, code=_CODES[exc.kind])
        raise self.server.ApiFailure(reply.status, reply.body)

    async def create_fulfillments(self, request: Any) -> Any:
        entries = []
        for fulfillment in request.body.fulfillments:
            data = _body(fulfillment)
            items = [_item_in(i) for i in data.get("fulfillment_items") or []]
            entries.append((_fulfillment_in(data), items))
        try:
            made = self.service.create_fulfillments(self._caller(request), entries)
        except FakeError as exc:
            self._fail(exc)
        return {
            "success": True,
            "requestId": request.context.request_id,
            "fulfillments": [
                {
                    "id": record["id"],
                    "fulfillmentNumber": record["fulfillment_number"],
                    "fulfillmentItems": [{"id": i["id"]} for i in items],
                }
                for record, items in made
            ],
            "invoiceNumbers": [],
            "creditMemoNumbers": [],
        }

    async def get_fulfillment(self, request: Any) -> Any:
        caller = self._caller(request)
        try:
            record = self.service.get_fulfillment(caller, request.key)
            out = _fulfillment_out(record)
            if request.fulfillment_items:
                out["fulfillmentItems"] = [
                    _item_out(i) for i in self.service.items_of(caller, record["id"])
                ]
        except FakeError as exc:
            self._fail(exc)
        return {"success": True, "fulfillment": out}

    async def update_fulfillment(self, request: Any) -> Any:
        try:
            self.service.update_fulfillment(
                self._caller(request), request.key, _fulfillment_in(_body(request.body))
            )
        except FakeError as exc:
            self._fail(exc)
        return {"success": True}

    async def delete_fulfillment(self, request: Any) -> Any:
        try:
            self.service.delete_fulfillment(self._caller(request), request.key)
        except FakeError as exc:
            self._fail(exc)
        return {"success": True}

    async def create_fulfillment_items(self, request: Any) -> Any:
        entries = []
        for entry in request.body.fulfillment_items:
            data = _body(getattr(entry, "root", entry))
            entries.append(
                (data.get("fulfillment_number"), data.get("fulfillment_id"), _item_in(data))
            )
        try:
            made = self.service.create_items(self._caller(request), entries)
        except FakeError as exc:
            self._fail(exc)
        return {"success": True, "fulfillmentItems": [{"id": r["id"]} for r in made]}

    async def get_fulfillment_item(self, request: Any) -> Any:
        try:
            record = self.service.get_item(self._caller(request), request.id_)
        except FakeError as exc:
            self._fail(exc)
        return {"success": True, "fulfillmentItem": _item_out(record)}

    async def update_fulfillment_item(self, request: Any) -> Any:
        try:
            self.service.update_item(
                self._caller(request), request.id_, _item_in(_body(request.body))
            )
        except FakeError as exc:
            self._fail(exc)
        return {"success": True}

    async def delete_fulfillment_item(self, request: Any) -> Any:
        try:
            self.service.delete_item(self._caller(request), request.id_)
        except FakeError as exc:
            self._fail(exc)
        return {"success": True}
