"""Choosing the backend from PAINFHIR_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from painfhir.store._model import Store
from painfhir.store._postgres import PostgresStore
from painfhir.store._sqlite import SQLiteStore


def open_store(url: str, *, migrate: bool = True) -> Store:
    """The store behind `url`; with `migrate`, pending schema migrations are applied first."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(path, migrate=migrate)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresStore(url, migrate=migrate)
    scheme = url.split(":", 1)[0]
    raise ValueError(
        f"Unsupported database URL scheme '{scheme}': use sqlite:///PATH or postgresql://…"
    )
