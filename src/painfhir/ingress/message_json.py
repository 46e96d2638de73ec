"""Message log entries as JSON, for the API and the CLI: a summary for lists, the details
(raw input, acknowledgement, errors, output) for one message."""

from __future__ import annotations

from typing import Any

import orjson

from painfhir.store import LoggedMessage
from painfhir.store._time import instant_text


def message_summary(message: LoggedMessage) -> dict[str, Any]:
    summary = {
        "id": message.id,
        "receivedAt": instant_text(message.received_at),
        "channel": message.channel,
        "remotePeer": message.remote_peer,
        "contentType": message.content_type,
        "sendingApplication": message.sending_application,
        "sendingFacility": message.sending_facility,
        "controlId": message.control_id,
        "messageType": message.message_type,
        "status": message.status,
        "duplicateOf": message.duplicate_of,
        "ackCode": message.ack_code,
        "module": message.module,
        "attempts": message.attempts,
        "processedAt": instant_text(message.processed_at) if message.processed_at else None,
    }
    return {key: value for key, value in summary.items() if value not in (None, "")}


def _text(data: bytes) -> str:
    # for reading: the exact bytes are served by GET …/raw and `painfhir messages show --raw`
    return data.decode("utf-8", "replace")


def message_details(message: LoggedMessage) -> dict[str, Any]:
    details = message_summary(message)
    details["raw"] = _text(message.raw)
    if message.ack is not None:
        details["ack"] = _text(message.ack)
    if message.errors is not None:
        details["errors"] = orjson.Fragment(message.errors)  # an OperationOutcome, as stored
    if message.output is not None:
        details["output"] = orjson.Fragment(message.output)  # the transaction-response
    return details
