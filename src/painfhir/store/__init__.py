"""Where resources live: every version, the search index and the outbox, written together.

`open_store(url)` picks the backend from the database URL. Every read and search goes through
the store's query methods, so per-client access can later be enforced in one place.
`store.messages` is the message log: inbound messages, raw, and what became of them;
`store.deliveries` the notifications owed to subscribers, from the outbox.
"""

from painfhir.store._deliveries import (
    DELIVERY_STATUSES,
    Delivery,
    DeliveryAttempt,
    DeliveryQuery,
    DeliveryQueue,
    DeliveryStatus,
    OutboxEvent,
    Route,
)
from painfhir.store._message_log import (
    MESSAGE_STATUSES,
    REPLAYABLE,
    Channel,
    InboundMessage,
    LoggedMessage,
    MessageLog,
    MessageOutcome,
    MessageQuery,
    MessageStatus,
)
from painfhir.store._model import (
    CompartmentScope,
    HistoryQuery,
    SearchPage,
    Store,
    StoredVersion,
    WriteSession,
)
from painfhir.store._open import open_store

__all__ = [
    "DELIVERY_STATUSES",
    "MESSAGE_STATUSES",
    "REPLAYABLE",
    "Channel",
    "CompartmentScope",
    "Delivery",
    "DeliveryAttempt",
    "DeliveryQuery",
    "DeliveryQueue",
    "DeliveryStatus",
    "HistoryQuery",
    "InboundMessage",
    "LoggedMessage",
    "MessageLog",
    "MessageOutcome",
    "MessageQuery",
    "MessageStatus",
    "OutboxEvent",
    "Route",
    "SearchPage",
    "Store",
    "StoredVersion",
    "WriteSession",
    "open_store",
]
