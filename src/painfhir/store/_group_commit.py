"""Group commit for the embedded store: writes that arrive together share one commit.

In WAL mode a commit appends every page the transaction touched (resource, history, each
index table, outbox) to the log, and that costs more than a typical create's statements. So
while other writers are queued, a finished write leaves the transaction open for the next one
instead of committing; the last write of the queue (or of a full batch) commits for all. Each
write runs in a savepoint of its own: one that fails rolls back alone, and the others in its
batch are kept. A writer returns only once the commit that covers its write has happened, so an
answered write is a committed write, exactly as with one commit per write.

All writes of the process go through one connection, held by one thread at a time; a thread
inside a write reads through it too (`active`), so it sees its own uncommitted changes.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Bounds how long the first write of a batch waits for the commit that covers it.
MAX_BATCH = 32


@dataclass
class _Batch:
    size: int = 0
    committed: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class GroupCommit:
    def __init__(
        self, connect: Callable[[], sqlite3.Connection], committed: Callable[[], None]
    ) -> None:
        self._connect = connect
        self._committed = committed  # told after every commit
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queued = 0  # writers waiting for `_lock`: while there are, a batch stays open
        self._batch: _Batch | None = None
        self._holder = threading.local()

    @property
    def active(self) -> sqlite3.Connection | None:
        """The write connection, if the calling thread is inside a write; else None."""
        db: sqlite3.Connection | None = getattr(self._holder, "db", None)
        return db

    @contextmanager
    def _turn(self) -> Iterator[sqlite3.Connection]:
        with self._queue_lock:
            self._queued += 1
        with self._lock:
            with self._queue_lock:
                self._queued -= 1
            if self._db is None:
                self._db = self._connect()
            self._holder.db = self._db
            try:
                yield self._db
            finally:
                self._holder.db = None

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write, in its own savepoint of the current batch; returns once committed."""
        with self._turn() as db:
            batch = self._join(db)
            try:
                # inside: should the savepoint fail, the batch it joined must still end
                db.execute("SAVEPOINT one_write")
                try:
                    yield db
                    db.execute("RELEASE one_write")
                except BaseException as exc:
                    self._undo(db, batch, exc)
                    raise
            finally:
                with self._queue_lock:
                    others_waiting = self._queued > 0
                if not others_waiting or batch.size >= MAX_BATCH:
                    self._commit(db, batch)
        batch.committed.wait()
        if batch.error is not None:
            raise batch.error

    @contextmanager
    def exclusive(self) -> Iterator[sqlite3.Connection]:
        """The write connection in autocommit mode, after any open batch has committed: for
        statements that must commit at once on their own (schema migrations, the message log)."""
        with self._turn() as db:
            if self._batch is not None:
                self._commit(db, self._batch)
            try:
                yield db
            finally:
                self._committed()  # autocommit statements commit on their own

    def _join(self, db: sqlite3.Connection) -> _Batch:
        if self._batch is None:
            db.execute("BEGIN IMMEDIATE")
            self._batch = _Batch()
        self._batch.size += 1
        return self._batch

    def _undo(self, db: sqlite3.Connection, batch: _Batch, exc: BaseException) -> None:
        if db.in_transaction:
            db.execute("ROLLBACK TO one_write")
            db.execute("RELEASE one_write")
            return
        # SQLite rolled the whole transaction back (an I/O error, a full disk): the batch's
        # earlier writes are gone with it, and their writers must hear so.
        batch.error = exc
        self._batch = None
        batch.committed.set()

    def _commit(self, db: sqlite3.Connection, batch: _Batch) -> None:
        if self._batch is not batch:
            return  # already ended by `_undo`
        self._batch = None
        try:
            db.execute("COMMIT")
            self._committed()
        except BaseException as exc:
            batch.error = exc
            if db.in_transaction:
                db.execute("ROLLBACK")
        finally:
            batch.committed.set()
