"""painfhir's settings: one class, read from PAINFHIR_* environment variables."""

from __future__ import annotations

import os
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
    # Also what makes an absolute reference local: one under this base is to this server's
    # resource; any other absolute URL is to another server's, searched by its URL alone.
    base_url: str | None = None
    # The most one search (or conditional request) may ask: criteria (query parameters that
    # select), and values across them (`a,b` is two). Past either it is refused (400).
    search_max_criteria: int = 100
    search_max_values: int = 1000
    # How long one search's statement may run on PostgreSQL before it is stopped and
    # answered 503; 0 for no limit.
    search_timeout_seconds: float = 30.0
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
    # The CDC guideline's MME conversion factors of the checks run on every opioid
    # prescription written: 2022, or 2016 (`Patient/{id}/$mme?factors=` chooses per call).
    mme_factors: Literal["2022", "2016"] = "2022"
    # The MLLP listener for HL7 v2 (`painfhir serve --mllp-port N` sets it); none when unset.
    # Frames over max_body_bytes are refused, as HTTP bodies are.
    mllp_port: int | None = None
    mllp_host: str = "127.0.0.1"
    # An MLLP connection that sends nothing, or reads no acknowledgement, for this long is
    # closed (senders reconnect when they have a message), so idle ones do not pile up.
    mllp_idle_timeout_seconds: float = 600.0
    # MLLP connections open at once, per server process; one more is closed at once.
    mllp_max_connections: int = 100
    # Bytes of unanswered frames all MLLP connections of a process may hold together (never
    # less than max_body_bytes); a frame that would go over is answered AR "resend later".
    mllp_buffer_bytes: int = 256 * 1024 * 1024
    # Folders of a site's own mapping modules, os.pathsep-separated, besides the built-in
    # mappings/: each is one module folder or holds one per sub-folder.
    mappings_path: str = ""
    # Which mapping module a client's FHIR inputs take, whatever their content: a JSON
    # object from a client id (the `client` parameter of $ingest / $transform) or a sender
    # (MessageHeader.source.endpoint, meta.source) to a module name.
    mapping_clients: dict[str, str] = {}
    # The clinic's own Organization: the owner of every referral Task painfhir starts, and
    # what a ServiceRequest's performer must name to count as a referral to this clinic.
    clinic_organization: str = "Organization/painfhir-clinic"
    # How long the initial consultation booked by `Task/{id}/$schedule` lasts, when the
    # request gives no end.
    initial_consultation_minutes: int = 60
    # Notifications to subscribers (painfhir.notify): the delivery worker runs inside
    # `painfhir serve` unless turned off here (then run `painfhir notify run` somewhere).
    notify_worker: bool = True
    # How long the worker rests when it found nothing to do.
    notify_poll_seconds: float = 1.0
    # How long a receiver has to answer one delivery (connect, send, acknowledge).
    notify_timeout_seconds: float = 10.0
    # A failed delivery is tried again after notify_retry_seconds, twice as long after each
    # further failure (at most an hour apart), and given up — a dead letter, kept with its
    # attempts until retried by hand — after notify_max_attempts attempts.
    notify_retry_seconds: float = 5.0
    notify_max_attempts: int = 12

    @property
    def mappings_folders(self) -> list[Path]:
        return [Path(part) for part in self.mappings_path.split(os.pathsep) if part]
