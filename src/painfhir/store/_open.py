"""Choosing the backend from PAINFHIR_DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

from painfhir.store._model import Store
from painfhir.store._sqlite import SQLiteStore


def open_store(url: str) -> Store:
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteStore(path)
    scheme = url.split(":", 1)[0]
    raise ValueError(f"Unsupported database URL scheme '{scheme}': painfhir stores in sqlite:///")
