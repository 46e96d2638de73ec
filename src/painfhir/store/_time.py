"""The store's clock and its one text form for instants."""

from __future__ import annotations

from datetime import UTC, datetime


def instant_text(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds, 'Z'): sorts as time does, and is a FHIR instant."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)  # C-fast, unlike strptime: this is on every read


def utc_now() -> datetime:
    return datetime.now(UTC)
