"""The message log: every inbound message, kept raw, with what became of it.

A message is recorded before anything is done with it, in its own committed transaction, so
that nothing received is lost whatever fails afterwards. "Processed once" is a database
guarantee: the unique index `message_log_once` (migration 0002) holds one first copy per
sender and control id; a resend is still logged, raw, as a duplicate pointing at that copy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from painfhir.store._rows import Executor, optional_bytes, optional_instant, where_given
from painfhir.store._time import instant_text, parse_instant, utc_now

Channel = Literal["mllp", "http", "fhir"]
MessageStatus = Literal["received", "processed", "failed", "rejected", "duplicate"]
MESSAGE_STATUSES: tuple[MessageStatus, ...] = (
    "received",
    "processed",
    "failed",
    "rejected",
    "duplicate",
)
# Statuses a replay may start from: the message's processing ended without writing anything.
REPLAYABLE: tuple[MessageStatus, ...] = ("failed", "rejected")
_REPLAYABLE_SQL = ", ".join(f"'{status}'" for status in REPLAYABLE)
# A first copy whose attempt began before the caller's bound and never ended: its process died.
_ABANDONED_SQL = "(status = 'received' AND duplicate_of IS NULL AND attempted_at < ?)"


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message as it arrived, with the header values it is logged and deduplicated by
    (MSH-3, MSH-4 and MSH-10 as sent; "" / None when the header could not be read)."""

    raw: bytes
    channel: Channel
    remote_peer: str | None
    content_type: str | None
    sending_application: str = ""
    sending_facility: str = ""
    control_id: str | None = None
    message_type: str | None = None


@dataclass(frozen=True, slots=True)
class MessageOutcome:
    """What processing made of a message: its final status, the acknowledgement sent, the
    errors (an OperationOutcome as JSON), the mapping module and the output written (the
    transaction-response as JSON)."""

    status: MessageStatus
    ack_code: str | None
    ack: bytes | None
    errors: bytes | None = None
    module: str | None = None
    output: bytes | None = None


@dataclass(frozen=True, slots=True)
class LoggedMessage:
    id: int
    received_at: datetime
    channel: str
    remote_peer: str | None
    content_type: str | None
    sending_application: str
    sending_facility: str
    control_id: str | None
    message_type: str | None
    raw: bytes
    status: MessageStatus
    duplicate_of: int | None  # the first copy, for a resend
    ack_code: str | None
    ack: bytes | None
    errors: bytes | None
    module: str | None
    output: bytes | None
    attempts: int  # 1, plus one per replay (or resend processed again)
    processed_at: datetime | None


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """A search of the log, newest first; `before_id` continues from a previous page."""

    status: MessageStatus | None = None
    control_id: str | None = None
    sending_application: str | None = None
    message_type: str | None = None
    since: datetime | None = None
    before_id: int | None = None
    count: int = 50


_COLUMNS = (
    "id, received_at, channel, remote_peer, content_type, sending_application,"
    " sending_facility, control_id, message_type, raw, status, duplicate_of, ack_code, ack,"
    " errors, module, output, attempts, processed_at"
)


def _as_message(row: Sequence[Any]) -> LoggedMessage:
    (id_, received, channel, peer, content_type, app, facility, control_id, kind, raw) = row[:10]
    (status, duplicate_of, ack_code, ack, errors, module, output, attempts, processed) = row[10:]
    return LoggedMessage(
        id=int(id_),
        received_at=parse_instant(received),
        channel=channel,
        remote_peer=peer,
        content_type=content_type,
        sending_application=app,
        sending_facility=facility,
        control_id=control_id,
        message_type=kind,
        raw=bytes(raw),
        status=status,
        duplicate_of=int(duplicate_of) if duplicate_of is not None else None,
        ack_code=ack_code,
        ack=optional_bytes(ack),
        errors=optional_bytes(errors),
        module=module,
        output=optional_bytes(output),
        attempts=int(attempts),
        processed_at=optional_instant(processed),
    )


ConnectionLender = Callable[[], AbstractContextManager[Executor]]


class MessageLog:
    """The log's SQL, the same on both backends. `writer` lends a connection on which each
    statement commits on its own; `reader` one for queries."""

    def __init__(self, reader: ConnectionLender, writer: ConnectionLender) -> None:
        self._reader = reader
        self._writer = writer

    def record(self, inbound: InboundMessage) -> LoggedMessage:
        """Log a message as received, or as a duplicate of the first copy with its sender and
        control id; committed when this returns."""
        now = instant_text(utc_now())
        values = (
            now,
            now,
            inbound.channel,
            inbound.remote_peer,
            inbound.content_type,
            inbound.sending_application,
            inbound.sending_facility,
            inbound.control_id,
            inbound.message_type,
            inbound.raw,
        )
        columns = (
            "received_at, attempted_at, channel, remote_peer, content_type, sending_application,"
            " sending_facility, control_id, message_type, raw, status, duplicate_of"
        )
        with self._writer() as db:
            row = db.execute(
                f"INSERT INTO message_log ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                " 'received', NULL) ON CONFLICT (sending_application, sending_facility,"
                " control_id) WHERE duplicate_of IS NULL DO NOTHING RETURNING id",
                values,
            ).fetchone()
            if row is None:
                # The pair is taken, and by a committed row: the insert waited for it.
                first = db.execute(
                    "SELECT id FROM message_log WHERE sending_application = ?"
                    " AND sending_facility = ? AND control_id = ? AND duplicate_of IS NULL",
                    (inbound.sending_application, inbound.sending_facility, inbound.control_id),
                ).fetchone()[0]
                row = db.execute(
                    f"INSERT INTO message_log ({columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                    " 'duplicate', ?) RETURNING id",
                    (*values, first),
                ).fetchone()
        logged = self.get(int(row[0]))
        assert logged is not None
        return logged

    def finish(self, message_id: int, outcome: MessageOutcome) -> None:
        with self._writer() as db:
            db.execute(
                "UPDATE message_log SET status = ?, ack_code = ?, ack = ?, errors = ?,"
                " module = ?, output = ?, processed_at = ? WHERE id = ?",
                (
                    outcome.status,
                    outcome.ack_code,
                    outcome.ack,
                    outcome.errors,
                    outcome.module,
                    outcome.output,
                    instant_text(utc_now()),
                    message_id,
                ),
            )

    def claim_for_replay(self, message_id: int, abandoned_before: datetime | None = None) -> bool:
        """Put a failed or rejected message back to `received` for another attempt — or a
        first copy left `received` by an attempt begun before `abandoned_before`; False if
        it is in no such state (one claim wins when two replays race)."""
        return self._claim(
            message_id, f"status IN ({_REPLAYABLE_SQL}) OR {_ABANDONED_SQL}", abandoned_before
        )

    def claim_for_resend(self, message_id: int, abandoned_before: datetime) -> bool:
        """Put a first copy back to `received` for its resend to process: one answered AR
        as failed (a conflict or an outage: "resend later"), or one left `received` by an
        attempt begun before `abandoned_before`; False otherwise (one claim wins)."""
        resend_later = "status = 'failed' AND ack_code = 'AR'"
        return self._claim(message_id, f"({resend_later}) OR {_ABANDONED_SQL}", abandoned_before)

    def _claim(self, message_id: int, claimable: str, abandoned_before: datetime | None) -> bool:
        bound = instant_text(abandoned_before) if abandoned_before else None
        with self._writer() as db:
            row = db.execute(
                "UPDATE message_log SET status = 'received', attempts = attempts + 1,"
                f" attempted_at = ? WHERE id = ? AND ({claimable}) RETURNING id",
                (instant_text(utc_now()), message_id, bound),
            ).fetchone()
        return row is not None

    def get(self, message_id: int) -> LoggedMessage | None:
        with self._reader() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM message_log WHERE id = ?", (message_id,)
            ).fetchone()
        return _as_message(row) if row else None

    def search(self, query: MessageQuery) -> list[LoggedMessage]:
        """Up to `query.count + 1` messages newest first, so the caller knows if more exist."""
        where, params = where_given(
            [
                ("status = ?", query.status),
                ("control_id = ?", query.control_id),
                ("sending_application = ?", query.sending_application),
                ("message_type = ?", query.message_type),
                ("received_at >= ?", instant_text(query.since) if query.since else None),
                ("id < ?", query.before_id),
            ]
        )
        with self._reader() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM message_log WHERE {where} ORDER BY id DESC LIMIT ?",
                [*params, query.count + 1],
            ).fetchall()
        return [_as_message(row) for row in rows]
