"""Where resources live: every version, the search index and the outbox, written together.

`open_store(url)` picks the backend from the database URL. Every read and search goes through
the store's query methods, so per-client access can later be enforced in one place.
"""

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
    "CompartmentScope",
    "HistoryQuery",
    "SearchPage",
    "Store",
    "StoredVersion",
    "WriteSession",
    "open_store",
]
