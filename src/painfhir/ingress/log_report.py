"""`painfhir messages list`: the message log as a table a person can read."""

from __future__ import annotations

from collections.abc import Sequence

from painfhir.store import LoggedMessage
from painfhir.store._time import instant_text
from painfhir.text_table import text_table

_HEADINGS = ("id", "received", "channel", "type", "sender", "control id", "status", "ack")


def _row(message: LoggedMessage) -> tuple[str, ...]:
    return (
        str(message.id),
        instant_text(message.received_at)[:19],
        message.channel,
        message.message_type or "",
        message.sending_application,
        message.control_id or "",
        message.status if message.duplicate_of is None else f"duplicate of {message.duplicate_of}",
        message.ack_code or "",
    )


def message_table(messages: Sequence[LoggedMessage]) -> str:
    if not messages:
        return "no messages"
    return text_table(_HEADINGS, [_row(message) for message in messages])
