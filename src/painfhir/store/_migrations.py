"""Versioned schema migrations: numbered SQL files per backend, applied in order, once.

`migrations/<backend>/NNNN_name.sql` are the steps; the table `schema_migration` records the
ones applied. A database that has steps this code does not know is refused: it was upgraded
by a newer painfhir.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    sql: str


class MigrationTarget(Protocol):
    def applied_migrations(self) -> set[int]: ...

    def apply_migration(self, migration: Migration) -> None: ...


def migrations_for(backend: str) -> list[Migration]:
    folder = resources.files("painfhir.store.migrations").joinpath(backend)
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append(Migration(int(number), name, entry.read_text(encoding="utf-8")))
    return sorted(found, key=lambda m: m.number)


def pending(target: MigrationTarget, backend: str) -> list[Migration]:
    known = migrations_for(backend)
    applied = target.applied_migrations()
    unknown = applied - {m.number for m in known}
    if unknown:
        raise RuntimeError(
            f"The database has schema migrations {sorted(unknown)} that this painfhir does not "
            "know: it was upgraded by a newer painfhir"
        )
    return [m for m in known if m.number not in applied]


def upgrade(target: MigrationTarget, backend: str) -> list[Migration]:
    """Apply what is pending, each step in its own transaction; returns what was applied."""
    steps = pending(target, backend)
    for migration in steps:
        target.apply_migration(migration)
    return steps
