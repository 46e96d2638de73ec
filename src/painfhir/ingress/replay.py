"""Replaying a logged message after a fix: only a failed or rejected one — or one a process
that died left `received` — and only once when two replays race (the log's claim decides)."""

from __future__ import annotations

from datetime import datetime, timedelta

from painfhir.fhir.outcome import FhirError
from painfhir.store import LoggedMessage, Store
from painfhir.store._time import utc_now

# An entry still `received` this long after its attempt began was abandoned: its process died
# (or its outcome could not be logged). Processing a message takes well under a second, and
# even a SQLite write that waits out its whole busy timeout (30 s) ends far inside this, so a
# message in progress is never taken for abandoned and run twice.
ABANDONED_AFTER = timedelta(minutes=10)


def abandoned_before() -> datetime:
    """Attempts begun before this, still unfinished, were abandoned."""
    return utc_now() - ABANDONED_AFTER


def logged_message(store: Store, message_id: int) -> LoggedMessage:
    logged = store.messages.get(message_id)
    if logged is None:
        raise FhirError.of(404, "not-found", f"No message {message_id} in the message log")
    return logged


def claim_for_replay(store: Store, message_id: int) -> LoggedMessage:
    """The entry, put back to `received` for another attempt; 404 / 409 when it is not
    there or not replayable."""
    logged = logged_message(store, message_id)
    if not store.messages.claim_for_replay(message_id, abandoned_before()):
        minutes = int(ABANDONED_AFTER.total_seconds() // 60)
        raise FhirError.of(
            409,
            "conflict",
            f"Message {message_id} is {logged.status}: only failed or rejected messages"
            f" are replayed, and received ones once {minutes} minutes have passed without"
            " an outcome",
        )
    return logged
