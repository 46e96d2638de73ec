"""Replaying a logged message after a fix: only a failed or rejected one, and only once
when two replays race (the log's claim decides)."""

from __future__ import annotations

from painfhir.fhir.outcome import FhirError
from painfhir.store import LoggedMessage, Store


def logged_message(store: Store, message_id: int) -> LoggedMessage:
    logged = store.messages.get(message_id)
    if logged is None:
        raise FhirError.of(404, "not-found", f"No message {message_id} in the message log")
    return logged


def claim_for_replay(store: Store, message_id: int) -> LoggedMessage:
    """The entry, put back to `received` for another attempt; 404 / 409 when it is not
    there or not replayable."""
    logged = logged_message(store, message_id)
    if not store.messages.claim_for_replay(message_id):
        raise FhirError.of(
            409,
            "conflict",
            f"Message {message_id} is {logged.status}: only failed or rejected messages"
            " are replayed",
        )
    return logged
