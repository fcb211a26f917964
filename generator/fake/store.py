"""SQLite persistence for the fake: fulfillments, items, per-entity counters and idempotency
records, all keyed by entity. One connection guarded by a lock; WAL + synchronous=FULL, and
every write commits before the caller answers."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fulfillments (
    entity TEXT NOT NULL, id TEXT NOT NULL, number TEXT NOT NULL, seq INTEGER NOT NULL,
    order_line_item_id TEXT, data TEXT NOT NULL,
    PRIMARY KEY (entity, id), UNIQUE (entity, number));
CREATE TABLE IF NOT EXISTS items (
    entity TEXT NOT NULL, id TEXT NOT NULL, fulfillment_id TEXT NOT NULL, seq INTEGER NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (entity, id));
CREATE INDEX IF NOT EXISTS items_parent ON items (entity, fulfillment_id);
CREATE TABLE IF NOT EXISTS counters (
    entity TEXT NOT NULL, name TEXT NOT NULL, value INTEGER NOT NULL,
    PRIMARY KEY (entity, name));
CREATE TABLE IF NOT EXISTS idempotency (
    entity TEXT NOT NULL, key TEXT NOT NULL, route TEXT NOT NULL, body_hash TEXT NOT NULL,
    status INTEGER, content_type TEXT, body BLOB,
    PRIMARY KEY (entity, key, route));
"""


@dataclass(frozen=True, slots=True)
class IdempotencyRecord:
    body_hash: str
    status: int | None  # None while the first request is still being answered
    content_type: str | None
    body: bytes | None


class Store:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)
        # a key still pending belongs to a process that died before answering: free it
        self._conn.execute("DELETE FROM idempotency WHERE status IS NULL")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextlib.contextmanager
    def tx(self) -> Iterator[Tx]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, rolled back on any error)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    # -- idempotency ------------------------------------------------------------------------
    def idem_claim(
        self, entity: str, key: str, route: str, body_hash: str
    ) -> IdempotencyRecord | None:
        """Claim `key` for this request (None), or the record already there."""
        with self.tx() as tx:
            row = tx.conn.execute(
                "SELECT body_hash, status, content_type, body FROM idempotency"
                " WHERE entity=? AND key=? AND route=?",
                (entity, key, route),
            ).fetchone()
            if row is not None:
                return IdempotencyRecord(row[0], row[1], row[2], row[3])
            tx.conn.execute(
                "INSERT INTO idempotency (entity, key, route, body_hash) VALUES (?,?,?,?)",
                (entity, key, route, body_hash),
            )
            return None

    def idem_complete(
        self, entity: str, key: str, route: str, status: int, content_type: str | None, body: bytes
    ) -> None:
        with self.tx() as tx:
            tx.conn.execute(
                "UPDATE idempotency SET status=?, content_type=?, body=?"
                " WHERE entity=? AND key=? AND route=?",
                (status, content_type, body, entity, key, route),
            )

    def idem_release(self, entity: str, key: str, route: str) -> None:
        with self.tx() as tx:
            tx.conn.execute(
                "DELETE FROM idempotency WHERE entity=? AND key=? AND route=? AND status IS NULL",
                (entity, key, route),
            )


class Tx:
    """The operations available inside one transaction. Records are canonical JSON dicts."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def next_value(self, entity: str, name: str) -> int:
        row = self.conn.execute(
            "INSERT INTO counters (entity, name, value) VALUES (?, ?, 1)"
            " ON CONFLICT (entity, name) DO UPDATE SET value = value + 1 RETURNING value",
            (entity, name),
        ).fetchone()
        return int(row[0])

    # -- fulfillments -----------------------------------------------------------------------
    def insert_fulfillment(self, entity: str, seq: int, record: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO fulfillments (entity, id, number, seq, order_line_item_id, data)"
            " VALUES (?,?,?,?,?,?)",
            (
                entity,
                record["id"],
                record["fulfillment_number"],
                seq,
                record.get("order_line_item_id"),
                json.dumps(record),
            ),
        )

    def fulfillment(self, entity: str, key: str) -> dict[str, Any] | None:
        """By id or by fulfillment number."""
        row = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? AND (id=? OR number=?)",
            (entity, key, key),
        ).fetchone()
        return json.loads(row[0]) if row else None

    def fulfillment_by_number(self, entity: str, number: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? AND number=?", (entity, number)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def fulfillment_by_id(self, entity: str, id_: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? AND id=?", (entity, id_)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def update_fulfillment(self, entity: str, record: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE fulfillments SET data=?, order_line_item_id=? WHERE entity=? AND id=?",
            (json.dumps(record), record.get("order_line_item_id"), entity, record["id"]),
        )

    def delete_fulfillment(self, entity: str, id_: str) -> None:
        self.conn.execute("DELETE FROM items WHERE entity=? AND fulfillment_id=?", (entity, id_))
        self.conn.execute("DELETE FROM fulfillments WHERE entity=? AND id=?", (entity, id_))

    def fulfillments(self, entity: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? ORDER BY seq", (entity,)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def fulfillments_of_line_item(self, entity: str, oli: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? AND order_line_item_id=?", (entity, oli)
        ).fetchall()
        return [json.loads(r[0]) for r in rows]

    # -- items ------------------------------------------------------------------------------
    def insert_item(self, entity: str, seq: int, record: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO items (entity, id, fulfillment_id, seq, data) VALUES (?,?,?,?,?)",
            (entity, record["id"], record["fulfillment_id"], seq, json.dumps(record)),
        )

    def item(self, entity: str, id_: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT data FROM items WHERE entity=? AND id=?", (entity, id_)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def update_item(self, entity: str, record: dict[str, Any]) -> None:
        self.conn.execute(
            "UPDATE items SET data=? WHERE entity=? AND id=?",
            (json.dumps(record), entity, record["id"]),
        )

    def delete_item(self, entity: str, id_: str) -> None:
        self.conn.execute("DELETE FROM items WHERE entity=? AND id=?", (entity, id_))

    def items(self, entity: str, fulfillment_id: str | None = None) -> list[dict[str, Any]]:
        if fulfillment_id is None:
            rows = self.conn.execute(
                "SELECT data FROM items WHERE entity=? ORDER BY seq", (entity,)
            ).fetchall()
        else:
            rows = self.conn.execute(
                "SELECT data FROM items WHERE entity=? AND fulfillment_id=? ORDER BY seq",
                (entity, fulfillment_id),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
