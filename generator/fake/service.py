"""Style-neutral fulfillment operations over the store. Records use the Quickstart field names
(snake_case, canonical states); the style modules translate. Failures raise `FakeError`."""

from __future__ import annotations

import base64
import hashlib
import json
import operator
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from generator.fake import lifecycle
from generator.fake.store import Store, Tx

FULFILLMENT_FIELDS = (
    "id", "created_by_id", "updated_by_id", "created_time", "updated_time", "custom_fields",
    "order_line_item_id", "fulfillment_number", "fulfillment_date", "type", "quantity", "state",
    "target_date", "description", "tracking_number", "carrier", "fulfillment_system",
    "external_id", "revenue", "location",
)  # fmt: skip
ITEM_FIELDS = (
    "id", "created_by_id", "updated_by_id", "created_time", "updated_time", "custom_fields",
    "description", "fulfillment_item_number", "fulfillment_id",
)  # fmt: skip
#: fields of a fulfillment that a create or an update may set
FULFILLMENT_INPUT = frozenset(FULFILLMENT_FIELDS) - {
    "id", "created_by_id", "updated_by_id", "created_time", "updated_time", "fulfillment_number"
}  # fmt: skip
ITEM_INPUT = frozenset({"description", "fulfillment_item_number", "custom_fields"})

Kind = Literal["invalid", "not_found", "lifecycle"]


class FakeError(Exception):
    def __init__(self, kind: Kind, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.parameter = parameter


@dataclass(frozen=True, slots=True)
class Caller:
    entity: str
    user_id: str

    @classmethod
    def of(cls, entity: str | None, token: str | None) -> Caller:
        user = hashlib.md5((token or "anonymous").encode(), usedforsecurity=False).hexdigest()
        return cls((entity or "").split(",")[0].strip(), user)


def new_id() -> str:
    return uuid.uuid4().hex


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_seed(data: object) -> dict[str, float]:
    """`[{"id": ..., "quantity": n}, ...]` (also `order_line_item_id` / `orderLineItemId`)."""
    if not isinstance(data, list):
        raise ValueError("the seed file must hold a JSON list of order line items")
    out: dict[str, float] = {}
    for entry in data:
        if not isinstance(entry, Mapping):
            raise ValueError("each seed entry must be an object with an id and a quantity")
        oli = entry.get("id") or entry.get("order_line_item_id") or entry.get("orderLineItemId")
        qty = entry.get("quantity")
        if not isinstance(oli, str) or isinstance(qty, bool) or not isinstance(qty, int | float):
            raise ValueError(f"bad seed entry {dict(entry)!r}: needs a string id and a quantity")
        out[oli] = float(qty)
    return out


class Service:
    def __init__(
        self,
        store: Store,
        *,
        seed: Mapping[str, float] | None = None,
        allow_edit_booked: bool = False,
    ) -> None:
        self.store = store
        self.seed = dict(seed) if seed is not None else None
        self.allow_edit_booked = allow_edit_booked
        if self.seed is not None:
            store.index_line_items()

    # -- fulfillments -----------------------------------------------------------------------
    def create_fulfillments(
        self, caller: Caller, entries: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]]
    ) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """Each entry: (fulfillment fields, inline items). All or nothing."""
        out = []
        with self.store.tx() as tx:
            for index, (fields, items) in enumerate(entries):
                stamp = now()
                seq = tx.next_value(caller.entity, "fulfillment")
                record = {k: v for k, v in fields.items() if k in FULFILLMENT_INPUT}
                record.setdefault("state", lifecycle.FIRST)
                record.setdefault("type", "delivery")
                record.update(
                    id=new_id(),
                    fulfillment_number=f"F-{seq:08d}",
                    created_time=stamp,
                    updated_time=stamp,
                    created_by_id=caller.user_id,
                    updated_by_id=caller.user_id,
                )
                self._check_seed(tx, caller, record, index)
                tx.insert_fulfillment(caller.entity, seq, _clean(record))
                made = [self._insert_item(tx, caller, record["id"], item) for item in items]
                out.append((_clean(record), made))
        return out

    def get_fulfillment(self, caller: Caller, key: str) -> dict[str, Any]:
        with self.store.read() as tx:
            return self._fulfillment(tx, caller, key)

    def items_of(self, caller: Caller, fulfillment_id: str) -> list[dict[str, Any]]:
        with self.store.read() as tx:
            return tx.items(caller.entity, fulfillment_id)

    def update_fulfillment(
        self, caller: Caller, key: str, changes: Mapping[str, Any]
    ) -> dict[str, Any]:
        with self.store.tx() as tx:
            record = self._fulfillment(tx, caller, key)
            current = record.get("state", lifecycle.FIRST)
            wanted = changes.get("state") or current
            problem = lifecycle.transition_problem(current, wanted)
            if problem:
                raise FakeError("lifecycle", problem, "state")
            edited = {
                k: v
                for k, v in changes.items()
                if k in FULFILLMENT_INPUT and k != "state" and record.get(k) != v
            }
            if edited:
                problem = lifecycle.edit_problem(current, allow_edit_booked=self.allow_edit_booked)
                if problem:
                    raise FakeError("lifecycle", problem, sorted(edited)[0])
            if not edited and wanted == current:
                return record
            record.update(edited)
            record["state"] = wanted
            record["updated_time"] = now()
            record["updated_by_id"] = caller.user_id
            record = _clean(record)
            self._check_seed(tx, caller, record, None)
            tx.update_fulfillment(caller.entity, record)
            return record

    def delete_fulfillment(self, caller: Caller, key: str) -> None:
        with self.store.tx() as tx:
            record = self._fulfillment(tx, caller, key)
            problem = lifecycle.delete_problem(record.get("state", lifecycle.FIRST))
            if problem:
                raise FakeError("lifecycle", problem, "state")
            tx.delete_fulfillment(caller.entity, record["id"])

    def list_fulfillments(
        self, caller: Caller, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """In creation order: `limit` records from `offset` (all when no limit)."""
        with self.store.read() as tx:
            return tx.fulfillments(caller.entity, offset, limit)

    # -- items ------------------------------------------------------------------------------
    def create_items(
        self, caller: Caller, entries: Iterable[tuple[str | None, str | None, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        """Each entry: (parent number, parent id, item fields). All or nothing."""
        out = []
        with self.store.tx() as tx:
            for index, (number, parent_id, fields) in enumerate(entries):
                parent = None
                if parent_id is not None:
                    parent = tx.fulfillment_by_id(caller.entity, parent_id)
                    if parent is not None and number is not None:
                        if parent["fulfillment_number"] != number:
                            parent = None
                elif number is not None:
                    parent = tx.fulfillment_by_number(caller.entity, number)
                if parent is None:
                    raise FakeError(
                        "not_found",
                        f"entry {index}: no fulfillment {number or parent_id!r}",
                        "fulfillment_number" if number is not None else "fulfillment_id",
                    )
                out.append(self._insert_item(tx, caller, parent["id"], fields))
        return out

    def get_item(self, caller: Caller, id_: str) -> dict[str, Any]:
        with self.store.read() as tx:
            return self._item(tx, caller, id_)

    def update_item(self, caller: Caller, id_: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self.store.tx() as tx:
            record = self._item(tx, caller, id_)
            edited = {k: v for k, v in changes.items() if k in ITEM_INPUT and record.get(k) != v}
            if edited:
                record.update(edited)
                record["updated_time"] = now()
                record["updated_by_id"] = caller.user_id
                record = _clean(record)
                tx.update_item(caller.entity, record)
            return record

    def delete_item(self, caller: Caller, id_: str) -> None:
        with self.store.tx() as tx:
            record = self._item(tx, caller, id_)
            tx.delete_item(caller.entity, record["id"])

    def list_items(
        self, caller: Caller, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """In creation order: `limit` records from `offset` (all when no limit)."""
        with self.store.read() as tx:
            return tx.items(caller.entity, offset=offset, limit=limit)

    # -- helpers ----------------------------------------------------------------------------
    def _fulfillment(self, tx: Tx, caller: Caller, key: str) -> dict[str, Any]:
        record = tx.fulfillment(caller.entity, key)
        if record is None:
            raise FakeError("not_found", f"no fulfillment {key!r}")
        return record

    def _item(self, tx: Tx, caller: Caller, id_: str) -> dict[str, Any]:
        record = tx.item(caller.entity, id_)
        if record is None:
            raise FakeError("not_found", f"no fulfillment item {id_!r}")
        return record

    def _insert_item(
        self, tx: Tx, caller: Caller, parent_id: str, fields: Mapping[str, Any]
    ) -> dict[str, Any]:
        stamp = now()
        record = {k: v for k, v in fields.items() if k in ITEM_INPUT}
        record.update(
            id=new_id(),
            fulfillment_id=parent_id,
            created_time=stamp,
            updated_time=stamp,
            created_by_id=caller.user_id,
            updated_by_id=caller.user_id,
        )
        record = _clean(record)
        tx.insert_item(caller.entity, tx.next_value(caller.entity, "item"), record)
        return record

    def _check_seed(
        self, tx: Tx, caller: Caller, record: dict[str, Any], index: int | None
    ) -> None:
        """With a seed: the order line item must be known and deliveries may not exceed it."""
        if self.seed is None:
            return
        where = "" if index is None else f"entry {index}: "
        oli = record.get("order_line_item_id")
        if oli not in self.seed:
            raise FakeError(
                "invalid", f"{where}unknown order line item {oli!r}", "order_line_item_id"
            )
        total = 0.0
        for other in [*tx.fulfillments_of_line_item(caller.entity, oli), record]:
            if other["id"] == record["id"] and other is not record:
                continue  # the stored version of the record being updated
            if other.get("state") == lifecycle.CANCELED:
                continue
            qty = float(other.get("quantity") or 0)
            total += -qty if other.get("type") == "return" else qty
        if total > self.seed[oli]:
            raise FakeError(
                "invalid",
                f"{where}fulfilled quantity {total:g} would exceed the ordered quantity "
                f"{self.seed[oli]:g} of order line item {oli!r}",
                "quantity",
            )


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


# -- list helpers ---------------------------------------------------------------------------
def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset = data["o"]
    except (ValueError, TypeError, KeyError):
        raise FakeError(
            "invalid", "cursor is not a next_page value of this API", "cursor"
        ) from None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise FakeError("invalid", "cursor is not a next_page value of this API", "cursor")
    return offset


_OPERATORS: dict[str, Callable[[object, object], bool]] = {
    "EQ": operator.eq,
    "NE": operator.ne,
}


def apply_filters(
    records: list[dict[str, Any]], filters: list[str] | None, known: Iterable[str]
) -> list[dict[str, Any]]:
    """`field.EQ:value` / `field.NE:value` (values compared as text)."""
    known = set(known)
    for text in filters or ():
        head, sep, value = text.partition(":")
        name, dot, op = head.rpartition(".")
        if not sep or not dot or name not in known or op not in _OPERATORS:
            raise FakeError(
                "invalid",
                f"unsupported filter {text!r}: use field.EQ:value or field.NE:value",
                "filter[]",
            )
        test = _OPERATORS[op]
        records = [r for r in records if test(_text(r.get(name)), value)]
    return records


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value if isinstance(value, str) else json.dumps(value)


def apply_sort(
    records: list[dict[str, Any]], sort: list[str] | None, known: Iterable[str]
) -> list[dict[str, Any]]:
    known = set(known)
    for text in reversed(sort or ()):
        name, _, direction = text.rpartition(".")
        if name not in known or direction not in ("asc", "desc"):
            raise FakeError("invalid", f"cannot sort on {text!r}", "sort[]")
        records = sorted(
            records,
            key=lambda r: (r.get(name) is not None, _sort_key(r.get(name))),
            reverse=direction == "desc",
        )
    return records


def _sort_key(value: object) -> tuple[int, Any]:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (0, value)
    return (1, _text(value))


def page(
    records: list[dict[str, Any]], cursor: str | None, page_size: int | None, default: int = 10
) -> tuple[list[dict[str, Any]], str | None]:
    offset = decode_cursor(cursor) if cursor else 0
    size = page_size or default
    chunk = records[offset : offset + size]
    more = offset + size < len(records)
    return chunk, encode_cursor(offset + size) if more else None


def fetch_page(
    fetch: Callable[[int, int], list[dict[str, Any]]],
    cursor: str | None,
    page_size: int | None,
    default: int = 10,
) -> tuple[list[dict[str, Any]], str | None]:
    """`page` over a source that reads `(offset, limit)` itself (a paged SQL query), so one
    page costs the same however many records there are. Same pages and cursors as `page`."""
    offset = decode_cursor(cursor) if cursor else 0
    size = page_size or default
    records = fetch(offset, size + 1)
    more = len(records) > size
    return records[:size], encode_cursor(offset + size) if more else None


def trim(record: dict[str, Any], *selectors: list[str] | None) -> dict[str, Any]:
    """Only the fields named by any of the `fields[]`-style selectors (all when none given)."""
    names = {
        name.strip()
        for selector in selectors
        for value in selector or ()
        for name in value.split(",")
        if name.strip()
    }
    if not names:
        return record
    return {k: v for k, v in record.items() if k in names}
