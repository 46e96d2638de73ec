"""What the store keeps and hands back, independent of the database behind it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Protocol

from painfhir.search.criteria import SearchCriterion
from painfhir.search.extract import IndexRows
from painfhir.search.query import SearchQuery
from painfhir.store._migrations import Migration

if TYPE_CHECKING:  # the log's and the queue's SQL need the row shapes, which need this module
    from painfhir.store._deliveries import DeliveryQueue
    from painfhir.store._message_log import MessageLog


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version of one resource; `content` is the exact JSON served, None when deleted."""

    res_type: str
    res_id: str
    version: int
    last_updated: datetime
    method: str  # the interaction that made this version: POST, PUT, PATCH or DELETE
    content: bytes | None
    seq: int  # position in the store's global change order (system history, paging)

    @property
    def deleted(self) -> bool:
        return self.content is None

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'

    @property
    def last_modified(self) -> str:
        """The HTTP-date form of `last_updated`, for the Last-Modified header."""
        return format_datetime(self.last_updated, usegmt=True)

    @property
    def reference(self) -> str:
        return f"{self.res_type}/{self.res_id}"


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    res_type: str | None = None
    res_id: str | None = None
    since: datetime | None = None
    before_seq: int | None = None  # paging cursor: only changes older than this one
    count: int = 50


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of a search: the matches, the cursors of the pages next to it, and what the
    matches pull in."""

    matches: list[StoredVersion]
    next_cursor: str | None
    previous_cursor: str | None
    total: int | None
    included: list[StoredVersion]


@dataclass(frozen=True, slots=True)
class CompartmentScope:
    """A compartment (https://hl7.org/fhir/R4/compartmentdefinition.html) of one owner."""

    owner_type: str
    owner_id: str
    # (resource type, the reference parameters that put it in the compartment)
    members: tuple[tuple[str, tuple[str, ...]], ...]


class WriteSession(Protocol):
    """One database transaction: everything done through it commits together or not at all."""

    # The time of the versions this transaction writes: one for all of them, unless it
    # locks a resource stamped later (then later, so no version is older than the last)
    now: datetime

    def current(self, res_type: str, res_id: str) -> StoredVersion | None: ...

    def read_ahead(self, keys: Sequence[tuple[str, str]]) -> None:
        """Read the current versions of these (type, id) in one query, as `current` would
        (locking them where it does), so that `current` finds them without a query of its
        own: a transaction Bundle reads all its entries' targets at once."""
        ...

    def match(self, res_type: str, criteria: list[SearchCriterion], limit: int) -> list[str]:
        """Ids of live resources of `res_type` matching all criteria (at most `limit`), for a
        conditional write: no other writer can create a match until this one commits."""
        ...

    def hold_matches(self, res_types: Iterable[str]) -> None:
        """Take now, in one order, what `match` takes for each of these types: a transaction
        that will match on several types takes them all first, so that two taking them in
        opposite orders cannot each wait for the other."""
        ...

    def look_up(self, res_type: str, res_id: str) -> StoredVersion | None:
        """The current version, read only: unlike `current`, it locks nothing."""
        ...

    def find(
        self, res_type: str, criteria: list[SearchCriterion], limit: int
    ) -> list[StoredVersion]:
        """The current versions of live resources matching all criteria (at most `limit`, by
        id), read only, in one query: unlike `match`, it holds no other writer back."""
        ...

    def find_linked(
        self, target: tuple[str, str], links: Sequence[tuple[str, str]], per_type: int
    ) -> list[StoredVersion]:
        """The current versions of live resources that point to `target` (type, id) through
        one of `links` (type, reference search parameter), in one query: at most `per_type`
        of each type, by type and id; read only, like `find`."""
        ...

    def search(self, query: SearchQuery) -> SearchPage:
        """A search seen from inside this transaction: its own writes included."""
        ...

    def version(self, res_type: str, res_id: str, version: int) -> StoredVersion | None:
        """One earlier (or the current) version of a resource, as this transaction sees it."""
        ...

    def wrote(self, version: StoredVersion) -> bool:
        """Is `version` the one this transaction wrote (and may still replace)?"""
        ...

    def put(
        self,
        res_type: str,
        res_id: str,
        version: int,
        method: str,
        content: bytes | None,
        index: IndexRows | None,
    ) -> StoredVersion:
        """Store a new version (content None = deletion), its index rows and its outbox event;
        or, given the version number this transaction already wrote (`wrote`), replace that
        version's content and index rows: one version per resource per transaction."""
        ...


class Store(Protocol):
    """The repository every interaction goes through."""

    def read(self, res_type: str, res_id: str) -> StoredVersion | None:
        """The current version (a deletion counts as one), or None if it never existed."""
        ...

    def read_version(self, res_type: str, res_id: str, version: int) -> StoredVersion | None: ...

    def history(self, query: HistoryQuery) -> list[StoredVersion]:
        """Versions newest first: up to `query.count + 1`, so the caller knows if more exist."""
        ...

    def search(self, query: SearchQuery) -> SearchPage:
        """One page of live matches, with its cursor, total and included resources."""
        ...

    def search_compartment(self, scope: CompartmentScope, query: SearchQuery) -> SearchPage:
        """One page of every live resource in a compartment, ordered by type and id;
        `query` gives only _lastUpdated criteria and the page's shape."""
        ...

    def write(self) -> AbstractContextManager[WriteSession]: ...

    @property
    def messages(self) -> MessageLog:
        """The message log: inbound messages, raw, and what became of them."""
        ...

    @property
    def deliveries(self) -> DeliveryQueue:
        """Outbox events owed to subscribers, and what became of each delivery."""
        ...

    def upgrade(self) -> list[Migration]:
        """Apply pending schema migrations; safe when several workers start at once."""
        ...

    def pending_migrations(self) -> list[Migration]: ...

    def close(self) -> None: ...
