"""SQLite persistence for the fake: fulfillments, items, per-entity counters and idempotency
records, all keyed by entity. One connection guarded by a lock; every write commits before the
caller answers.

Durability: WAL with `synchronous=NORMAL`. A commit is appended to the WAL file by a write(2)
before the caller answers, so it is in the operating system's page cache and survives the
process being killed (kill -9) at any moment; only a power loss or kernel crash can lose the
last commits (never corrupting the database). `synchronous=FULL` would add an fsync per
commit, which stalls the single event loop for every request behind it."""

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
CREATE INDEX IF NOT EXISTS items_seq ON items (entity, seq);
CREATE INDEX IF NOT EXISTS fulfillments_seq ON fulfillments (entity, seq);
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


#: WAL frames (pages of 4 KiB) past which the checkpointer starts the WAL over
_RESTART_FRAMES = 4000
#: frames left to copy back that are few enough to copy with writes held off (well under 1 ms)
_CATCH_UP_FRAMES = 200
_CHECKPOINT_EVERY = 0.2  # seconds between checkpoints


class Store:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        wal = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA busy_timeout=10000")
        self._conn.executescript(_SCHEMA)
        # a key still pending belongs to a process that died before answering: free it
        self._conn.execute("DELETE FROM idempotency WHERE status IS NULL")
        self._stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        if wal:
            # Checkpoints (copying the WAL back into the database file, with an fsync) run on
            # a thread of their own: done by the committing request they stall every request
            # waiting behind it on the event loop for several milliseconds.
            self._conn.execute("PRAGMA wal_autocheckpoint=0")
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="apicontract-fake-checkpoint", daemon=True
            )
            self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """Copy the WAL back into the database file, off the event loop.

        PASSIVE checkpoints never wait for the writer, so the bulk of the copying and its
        fsyncs happen while requests go on. A WAL that keeps growing under steady writes is
        then caught up with: unheld passes until few frames remain, and a last one with writes
        held off (self._lock), so that everything is copied back and the next writer starts the
        WAL over from its beginning."""
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA synchronous=NORMAL")
            while not self._stop.wait(_CHECKPOINT_EVERY):
                # each pass copies what was committed up to its start: repeat while the
                # commits made during the previous pass are many
                before = -1
                for _ in range(8):
                    frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
                    if frames < _RESTART_FRAMES or 0 <= frames - before <= _CATCH_UP_FRAMES:
                        break
                    before = frames
                if frames >= _RESTART_FRAMES and 0 <= frames - before <= _CATCH_UP_FRAMES:
                    with self._lock:
                        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        except sqlite3.Error:  # pragma: no cover - the database went away
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self._stop.set()
        if self._checkpointer is not None:
            self._checkpointer.join()
        with self._lock:
            self._conn.close()

    def reset(self) -> None:
        """Forget every record, number and idempotency key (the control API's reset)."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                for table in ("fulfillments", "items", "counters", "idempotency"):
                    self._conn.execute(f"DELETE FROM {table}")  # fixed names
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def index_line_items(self) -> None:
        """Index fulfillments by order line item (what checking a seed's quantities reads);
        left out otherwise, as every index costs each write a page."""
        with self._lock:
            self._conn.execute(
                "CREATE INDEX IF NOT EXISTS fulfillments_line_item"
                " ON fulfillments (entity, order_line_item_id)"
            )

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

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        """One read transaction: a consistent snapshot, without taking the write lock."""
        with self._lock:
            self._conn.execute("BEGIN")
            try:
                yield Tx(self._conn)
            finally:
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

    def fulfillments(
        self, entity: str, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """In creation order; `limit` rows from `offset` (all when no limit)."""
        rows = self.conn.execute(
            "SELECT data FROM fulfillments WHERE entity=? ORDER BY seq LIMIT ? OFFSET ?",
            (entity, -1 if limit is None else limit, offset),
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

    def items(
        self,
        entity: str,
        fulfillment_id: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """In creation order (of one fulfillment, or all); `limit` rows from `offset`."""
        if fulfillment_id is None:
            rows = self.conn.execute(
                "SELECT data FROM items WHERE entity=? ORDER BY seq LIMIT ? OFFSET ?",
                (entity, -1 if limit is None else limit, offset),
            ).fetchall()
        else:
            rows = self.conn.execute(
                "SELECT data FROM items WHERE entity=? AND fulfillment_id=? ORDER BY seq"
                " LIMIT ? OFFSET ?",
                (entity, fulfillment_id, -1 if limit is None else limit, offset),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]
