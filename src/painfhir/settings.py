"""painfhir's settings: one class, read from PAINFHIR_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    """An SQLite file in the per-user data folder (e.g. ~/.local/share/painfhir on Linux)."""
    return f"sqlite:///{Path(user_data_dir('painfhir')) / 'painfhir.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PAINFHIR_")

    database_url: str = default_database_url()
    # The public base URL clients use (behind a proxy); by default taken from each request.
    base_url: str | None = None
    # Largest request body accepted; Synthea-sized transaction Bundles are ~1.5 MB.
    max_body_bytes: int = 64 * 1024 * 1024
    access_log: bool = False
    # Apply pending schema migrations when the server starts (under a database lock, so
    # several workers starting together are safe). Turn off to upgrade only with
    # `painfhir db upgrade`; the server then refuses to start on an outdated schema.
    migrate_on_start: bool = True
    # strict: a write that breaks a base R4 invariant (400) or a painfhir profile it claims
    # (422) is refused. lenient: only a structurally broken resource is; other problems are
    # logged and the resource stored.
    validation: Literal["strict", "lenient"] = "strict"
