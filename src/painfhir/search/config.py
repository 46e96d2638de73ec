"""What search takes from the settings (PAINFHIR_*): this server's base URL, which tells a
local reference from another server's, and the limits on a search's size and time.

Read once per process: the index rows of every write and the criteria of every search
depend on the base, and writes (`index_rows`) are not handed the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from painfhir.search.fhirpath import reference_target
from painfhir.settings import Settings


@dataclass(frozen=True, slots=True)
class SearchConfig:
    base: str | None  # with a trailing slash; None: no absolute URL is local
    max_criteria: int
    max_values: int
    timeout_seconds: float


@cache
def search_config() -> SearchConfig:
    settings = Settings()
    base = settings.base_url.rstrip("/") + "/" if settings.base_url else None
    return SearchConfig(
        base,
        settings.search_max_criteria,
        settings.search_max_values,
        settings.search_timeout_seconds,
    )


def is_absolute(reference: str) -> bool:
    return "://" in reference or reference.startswith("urn:")


def local_target(reference: str) -> tuple[str, str] | None:
    """(type, id) of a reference to a resource of this server: relative (`Patient/1`), or
    absolute under this server's base URL. None for another server's resource — the same
    `Patient/1` there is a different patient — and for what names no resource."""
    if is_absolute(reference):
        base = search_config().base
        if base is None or not reference.startswith(base):
            return None
        reference = reference.removeprefix(base)
    return reference_target(reference)
