"""The delivery queue: outbox events turned into deliveries, one per subscriber that wants
them, and what became of each (migration 0003).

Nothing here decides who wants what (that is `painfhir.notify`); this is the SQL, the same
on both backends, and what makes it safe:
- dispatch inserts an event's deliveries and marks the event in one transaction; a second
  dispatcher doing the same work meets the unique index and adds nothing;
- a claim takes, per queue (subscription and endpoint), only the oldest pending delivery, and
  only while no other worker holds it (`claimed_until`); on PostgreSQL the rows are locked
  `FOR UPDATE SKIP LOCKED`, so workers claiming at once never take the same one; on SQLite
  claims, like all writes, go one at a time;
- a delivery is marked delivered only once the receiver has acknowledged it; a worker that
  dies while sending leaves its claim to expire, and the delivery is sent again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from painfhir.store._rows import Executor, optional_bytes, optional_instant, where_given
from painfhir.store._time import instant_text, parse_instant

DeliveryStatus = Literal["pending", "delivered", "dead"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = ("pending", "delivered", "dead")
ConnectionLender = Callable[[], AbstractContextManager[Executor]]


@dataclass(frozen=True, slots=True)
class OutboxEvent:
    seq: int
    res_type: str
    res_id: str
    version: int
    method: str


@dataclass(frozen=True, slots=True)
class Route:
    """An event owed to one subscriber: where it goes and in which form."""

    outbox_seq: int
    subscription: str  # the Subscription's id
    endpoint: str
    content_type: str  # "" for a notification without payload


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    outbox_seq: int
    subscription: str
    endpoint: str
    content_type: str
    res_type: str
    res_id: str
    version: int
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    claimed_until: datetime | None
    payload: bytes | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    attempted_at: datetime
    outcome: str  # delivered, failed or dead
    detail: str | None


@dataclass(frozen=True, slots=True)
class DeliveryQuery:
    """Deliveries newest first (or oldest first); `before_id` continues from a previous page
    of the newest first, and bounds the oldest first from above."""

    status: DeliveryStatus | None = None
    subscription: str | None = None
    before_id: int | None = None
    count: int = 50
    oldest_first: bool = False


_COLUMNS = (
    "id, outbox_seq, subscription, endpoint, content_type, res_type, res_id, version, status,"
    " attempts, next_attempt_at, claimed_until, payload, last_error, created_at, delivered_at"
)


def _as_delivery(row: Sequence[Any]) -> Delivery:
    (id_, seq, subscription, endpoint, content_type, res_type, res_id, version) = row[:8]
    (status, attempts, next_at, claimed, payload, error, created, delivered) = row[8:]
    return Delivery(
        id=int(id_),
        outbox_seq=int(seq),
        subscription=subscription,
        endpoint=endpoint,
        content_type=content_type,
        res_type=res_type,
        res_id=res_id,
        version=int(version),
        status=status,
        attempts=int(attempts),
        next_attempt_at=parse_instant(next_at),
        claimed_until=optional_instant(claimed),
        payload=optional_bytes(payload),
        last_error=error,
        created_at=parse_instant(created),
        delivered_at=optional_instant(delivered),
    )


class DeliveryQueue:
    """`transaction` lends a connection inside one transaction that commits when the block
    ends; `row_locks` is what a claim's SELECT adds to lock its rows (PostgreSQL)."""

    def __init__(
        self, reader: ConnectionLender, transaction: ConnectionLender, row_locks: str = ""
    ) -> None:
        self._reader = reader
        self._transaction = transaction
        self._row_locks = row_locks

    def undispatched(self, limit: int) -> list[OutboxEvent]:
        """The oldest outbox events that have no deliveries yet, in the order written."""
        with self._reader() as db:
            rows = db.execute(
                "SELECT seq, res_type, res_id, version, method FROM outbox"
                " WHERE dispatched_at IS NULL ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [OutboxEvent(int(r[0]), r[1], r[2], int(r[3]), r[4]) for r in rows]

    def dispatch(self, events: list[OutboxEvent], routes: list[Route], now: datetime) -> None:
        """Insert the deliveries `routes` name and mark `events` dispatched, together."""
        stamp = instant_text(now)
        by_seq = {event.seq: event for event in events}
        rows = []
        for route in routes:
            event = by_seq[route.outbox_seq]
            target = (route.outbox_seq, route.subscription, route.endpoint, route.content_type)
            rows.append((*target, event.res_type, event.res_id, event.version, stamp, stamp))
        with self._transaction() as db:
            if rows:
                db.executemany(
                    "INSERT INTO delivery (outbox_seq, subscription, endpoint, content_type,"
                    " res_type, res_id, version, status, next_attempt_at, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)"
                    " ON CONFLICT (outbox_seq, subscription, endpoint) DO NOTHING",
                    rows,
                )
            db.executemany(
                "UPDATE outbox SET dispatched_at = ? WHERE seq = ? AND dispatched_at IS NULL",
                [(stamp, event.seq) for event in events],
            )

    def claim(self, now: datetime, claimed_until: datetime, limit: int) -> list[Delivery]:
        """Up to `limit` deliveries due now, each the oldest pending one of its queue and
        held by no other worker; they are this worker's until `claimed_until`."""
        stamp = instant_text(now)
        with self._transaction() as db:
            rows = db.execute(
                f"UPDATE delivery SET claimed_until = ? WHERE id IN (SELECT d.id FROM delivery d"
                " WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
                " AND (d.claimed_until IS NULL OR d.claimed_until <= ?)"
                " AND NOT EXISTS (SELECT 1 FROM delivery e WHERE e.status = 'pending'"
                " AND e.subscription = d.subscription AND e.endpoint = d.endpoint"
                " AND e.outbox_seq < d.outbox_seq)"
                f" ORDER BY d.outbox_seq LIMIT ?{self._row_locks}) RETURNING {_COLUMNS}",
                (instant_text(claimed_until), stamp, stamp, limit),
            ).fetchall()
        return sorted((_as_delivery(row) for row in rows), key=lambda d: d.outbox_seq)

    def record(
        self,
        delivery_id: int,
        attempt: DeliveryAttempt,
        payload: bytes | None,
        retry_at: datetime | None = None,
    ) -> None:
        """The outcome of one attempt: delivered, failed (tried again at `retry_at`) or
        dead. The first payload sent is kept; later attempts resend it."""
        stamp = instant_text(attempt.attempted_at)
        status = {"delivered": "delivered", "dead": "dead"}.get(attempt.outcome, "pending")
        with self._transaction() as db:
            db.execute(
                "INSERT INTO delivery_attempt (delivery_id, attempted_at, outcome, detail)"
                " VALUES (?, ?, ?, ?)",
                (delivery_id, stamp, attempt.outcome, attempt.detail),
            )
            db.execute(
                "UPDATE delivery SET status = ?, attempts = attempts + 1, claimed_until = NULL,"
                " payload = COALESCE(payload, ?), last_error = ?,"
                " next_attempt_at = COALESCE(?, next_attempt_at),"
                " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE NULL END WHERE id = ?",
                (
                    status,
                    payload,
                    None if status == "delivered" else attempt.detail,
                    instant_text(retry_at) if retry_at else None,
                    status,
                    stamp,
                    delivery_id,
                ),
            )

    def retry(self, delivery_id: int, now: datetime) -> bool:
        """Put a dead delivery back in its queue, due now; False if it is not dead."""
        with self._transaction() as db:
            row = db.execute(
                "UPDATE delivery SET status = 'pending', next_attempt_at = ?, attempts = 0"
                " WHERE id = ? AND status = 'dead' RETURNING id",
                (instant_text(now), delivery_id),
            ).fetchone()
        return row is not None

    def event_number(self, delivery: Delivery) -> int:
        """The delivery's place among everything its subscription was owed (1 first)."""
        with self._reader() as db:
            row = db.execute(
                "SELECT count(*) FROM delivery WHERE subscription = ? AND outbox_seq <= ?",
                (delivery.subscription, delivery.outbox_seq),
            ).fetchone()
        return int(row[0])

    def get(self, delivery_id: int) -> Delivery | None:
        with self._reader() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM delivery WHERE id = ?", (delivery_id,)
            ).fetchone()
        return _as_delivery(row) if row else None

    def attempts(self, delivery_id: int) -> list[DeliveryAttempt]:
        with self._reader() as db:
            rows = db.execute(
                "SELECT attempted_at, outcome, detail FROM delivery_attempt"
                " WHERE delivery_id = ? ORDER BY id",
                (delivery_id,),
            ).fetchall()
        return [DeliveryAttempt(parse_instant(r[0]), r[1], r[2]) for r in rows]

    def search(self, query: DeliveryQuery) -> list[Delivery]:
        """Up to `query.count + 1` deliveries in the query's order, so the caller knows if
        more exist."""
        where, params = where_given(
            [
                ("status = ?", query.status),
                ("subscription = ?", query.subscription),
                ("id < ?", query.before_id),
            ]
        )
        with self._reader() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM delivery WHERE {where}"
                f" ORDER BY id {'ASC' if query.oldest_first else 'DESC'} LIMIT ?",
                [*params, query.count + 1],
            ).fetchall()
        return [_as_delivery(row) for row in rows]
