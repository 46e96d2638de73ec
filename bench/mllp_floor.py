"""What SQLite alone costs an HL7 v2 referral: `python -m bench.mllp_floor` (bench/README.md).

Runs REF^I12 referrals (the messages of `bench.mllp`) through the HL7 v2 receiver in this
process on a SQLite store, records every SQL statement the measured ones issue, with its
parameters, and replays the recording on a copy of the database as it was before them. The
replay does exactly the store's work — same statements, same rows, same commits — and none of
painfhir's Python: it is the floor under any speed-up of the mapping, validation, index
extraction or workflow. Replayed three ways: as recorded (one commit a referral, as an
original-mode ACK requires), with one commit for every `--batch` referrals (the best an
enhanced-mode receiver that batched commits could do), and without the statements on the
search index tables (what the index costs).

Both runs checkpoint the write-ahead log as the store does, on a thread of its own beside
the writes (the replay with the store's own `Checkpointer`), so neither pays for it inline.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from bench.mllp import CORPUS_REFERRAL, TARGET_PER_S, referral
from painfhir import workflow
from painfhir.ingress import Hl7v2Receiver
from painfhir.interactions import reactions
from painfhir.mapping import Mappings
from painfhir.store import Store, open_store
from painfhir.store._checkpoints import Checkpointer

MAX_MESSAGES = 5_000


@dataclass(frozen=True, slots=True)
class Statement:
    connection: int  # which of the store's connections ran it, numbered as they were opened
    many: bool  # executemany
    sql: str
    parameters: Any


class _RecordingConnection(sqlite3.Connection):
    """A connection that notes what it runs while `recording` is set, and always notes how it
    was set up (its PRAGMAs), so that a replay can set up its stand-in the same way."""

    recording: list[Statement] | None = None
    setups: dict[int, list[str]] = {}  # noqa: RUF012 (one registry for every connection)
    _numbers = itertools.count()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = next(self._numbers)
        self.setups[self.number] = []

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        self._note(Statement(self.number, False, sql, parameters))
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> sqlite3.Cursor:
        rows = list(parameters)
        self._note(Statement(self.number, True, sql, rows))
        return super().executemany(sql, rows)

    def _note(self, statement: Statement) -> None:
        if _is_checkpoint(statement.sql):
            return
        if statement.sql.lstrip().upper().startswith("PRAGMA"):
            self.setups[self.number].append(statement.sql)
        elif self.recording is not None:
            self.recording.append(statement)


def _is_checkpoint(sql: str) -> bool:
    return "wal_checkpoint" in sql


@contextmanager
def _recorded_connections() -> Iterator[None]:
    connect = sqlite3.connect

    def recording_connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        return connect(*args, factory=_RecordingConnection, **kwargs)

    with mock.patch.object(sqlite3, "connect", recording_connect):
        yield


# ----------------------------------------------------------------------------- the full path


def _receive_all(receiver: Hl7v2Receiver, messages: Sequence[bytes]) -> None:
    for message in messages:
        receipt = receiver.receive(message, "mllp", None, None)
        if receipt.ack_code != "AA":
            raise SystemExit(f"answered {receipt.ack_code}: {receipt.ack!r}")


def _snapshot(database: Path, copy: Path) -> None:
    with closing(sqlite3.connect(database)) as source, closing(sqlite3.connect(copy)) as target:
        source.backup(target)


def record(folder: Path, warmup: int, count: int) -> tuple[float, list[Statement]]:
    """Seconds the measured referrals took on the full path, and their statements; leaves
    the database as it was before them in `folder / "before.db"`."""
    template = CORPUS_REFERRAL.read_text(encoding="utf-8")
    messages = [referral(template, "F0000", n) for n in range(warmup + count)]
    database = folder / "painfhir.db"
    with _recorded_connections():
        reactions.install(workflow.reactions_for)
        store: Store = open_store(f"sqlite:///{database}")
        try:
            workflow.install_content(store)
            receiver = Hl7v2Receiver(store, Mappings.discover(), base="", lenient=False)
            _receive_all(receiver, messages[:warmup])
            _snapshot(database, folder / "before.db")
            statements: list[Statement] = []
            _RecordingConnection.recording = statements
            started = time.perf_counter()
            _receive_all(receiver, messages[warmup:])
            seconds = time.perf_counter() - started
            _RecordingConnection.recording = None
        finally:
            store.close()
    return seconds, statements


# ---------------------------------------------------------------------------------- replays


def _is_transaction_bound(statement: Statement) -> bool:
    return statement.sql.strip().upper() in ("BEGIN IMMEDIATE", "COMMIT")


def _writer(statements: Sequence[Statement]) -> int:
    return next(s.connection for s in statements if s.sql.strip().upper() == "BEGIN IMMEDIATE")


def batched(statements: Sequence[Statement], referrals_per_commit: int) -> list[Statement]:
    """The recording with its write transactions (one a referral) merged into one for every
    `referrals_per_commit` referrals."""
    writer = _writer(statements)
    begin = Statement(writer, False, "BEGIN IMMEDIATE", ())
    commit = Statement(writer, False, "COMMIT", ())
    merged = [begin]
    commits = 0
    for statement in statements:
        if not _is_transaction_bound(statement):
            merged.append(statement)
        elif statement.sql.strip().upper() == "COMMIT":
            commits += 1
            if commits % referrals_per_commit == 0:
                merged += [commit, begin]
    return [*merged, commit]


def without_search_index(statements: Sequence[Statement]) -> list[Statement]:
    return [s for s in statements if "search_" not in s.sql]


def replay(before: Path, statements: Sequence[Statement], scratch: Path) -> tuple[float, float]:
    """Seconds to run the statements on a copy of `before`, and the part spent in COMMIT."""
    for leftover in (scratch, Path(f"{scratch}-wal"), Path(f"{scratch}-shm")):
        leftover.unlink(missing_ok=True)
    shutil.copyfile(before, scratch)
    connections: dict[int, sqlite3.Connection] = {}
    # the store opens every connection alike: the checkpointer's is set up as the writer's
    checkpoints = Checkpointer(lambda: _stand_in(scratch, _writer(statements)))
    committing = 0.0
    started = time.perf_counter()
    for statement in statements:
        db = connections.get(statement.connection)
        if db is None:
            db = connections[statement.connection] = _stand_in(scratch, statement.connection)
        if statement.many:
            db.executemany(statement.sql, statement.parameters)
            continue
        began = time.perf_counter()
        db.execute(statement.sql, statement.parameters).fetchall()
        if statement.sql.strip().upper() == "COMMIT":
            committing += time.perf_counter() - began
            checkpoints.committed()
    seconds = time.perf_counter() - started
    checkpoints.close()
    for db in connections.values():
        db.close()
    return seconds, committing


def _stand_in(path: Path, number: int) -> sqlite3.Connection:
    """A connection set up as the store's connection `number` was."""
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    for pragma in _RecordingConnection.setups[number]:
        db.execute(pragma).fetchall()
    return db


# ------------------------------------------------------------------------------------- main


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.mllp_floor", description=__doc__)
    parser.add_argument("--messages", type=int, default=300, help="measured referrals")
    parser.add_argument("--warmup", type=int, default=200, help="referrals before (not counted)")
    parser.add_argument("--batch", type=int, default=50, help="referrals a commit, batched")
    parser.add_argument("--repeats", type=int, default=3, help="replays of each kind; best kept")
    parser.add_argument("--data-dir", type=Path, help="where the databases go (default: temp)")
    args = parser.parse_args(argv)
    if not 0 < args.messages <= MAX_MESSAGES:
        parser.error(f"--messages must be between 1 and {MAX_MESSAGES}")
    return args


def _row(what: str, seconds: float, count: int, commit: float | None = None) -> str:
    per_referral = seconds / count * 1000
    committing = f"{commit / count * 1000:.2f}" if commit is not None else ""
    return f"| {what} | {per_referral:.2f} | {committing} | {1000 / per_referral:,.0f} |"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="painfhir-floor-", dir=args.data_dir) as tmp:
        folder = Path(tmp)
        full_path, statements = record(folder, args.warmup, args.messages)
        kinds = {
            "as recorded: one commit a referral": statements,
            f"one commit for every {args.batch} referrals": batched(statements, args.batch),
            "as recorded, without the search index": without_search_index(statements),
        }
        best: dict[str, tuple[float, float]] = {}
        for _ in range(args.repeats):  # interleaved: a noisy spell slows every kind alike
            for kind, recorded in kinds.items():
                timing = replay(folder / "before.db", recorded, folder / "replay.db")
                best[kind] = min(best.get(kind, timing), timing)
    count = args.messages
    print(
        f"\nMLLP floor — {count} REF^I12 referrals in process on SQLite after {args.warmup}"
        f" warm-up ones; {len(statements) / count:.0f} statements a referral; replays: best"
        f" of {args.repeats}\n"
    )
    print("| run | ms/referral | of which COMMIT | referrals/s at most |")
    print("|---|---:|---:|---:|")
    print(_row("full path: log, map, validate, store, workflow", full_path, count))
    for kind, (seconds, committing) in best.items():
        print(_row(f"SQLite alone, {kind}", seconds, count, committing))
    python_work = full_path - best["as recorded: one commit a referral"][0]
    print(_row("the rest: painfhir's own work (full path less SQLite)", python_work, count))
    print(
        f"\n  target of bench.mllp: ≥ {TARGET_PER_S:.0f}/s = {1000 / TARGET_PER_S:.2f} ms/referral"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
