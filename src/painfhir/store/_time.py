"""The store's clock and its one text form for instants."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache


# A transaction stamps every version, index row and response with its one `now`.
@lru_cache(maxsize=64)
def instant_text(moment: datetime) -> str:
    """Fixed-width UTC text (microseconds, 'Z'): sorts as time does, and is a FHIR instant."""
    utc = moment.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text)  # C-fast, unlike strptime: this is on every read


def utc_now() -> datetime:
    return datetime.now(UTC)
