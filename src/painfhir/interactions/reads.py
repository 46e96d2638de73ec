"""Read, vread, history and search: stored bytes go out as they are, never re-serialised."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import orjson

from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.search.dates import parse_date_value
from painfhir.store import HistoryQuery, Store, StoredVersion
from painfhir.store._time import instant_text

DEFAULT_PAGE = 50
MAX_PAGE = 1000


def read(store: Store, res_type: str, res_id: str) -> StoredVersion:
    found = store.read(res_type, res_id)
    if found is None:
        raise FhirError.of(404, "not-found", f"{res_type}/{res_id} does not exist")
    if found.deleted:
        raise FhirError.of(410, "deleted", f"{res_type}/{res_id} was deleted")
    return found


def vread(store: Store, res_type: str, res_id: str, version: str) -> StoredVersion:
    found = store.read_version(res_type, res_id, int(version)) if version.isdigit() else None
    if found is None:
        raise FhirError.of(404, "not-found", f"{res_type}/{res_id} has no version {version}")
    if found.deleted:
        raise FhirError.of(
            410, "deleted", f"Version {version} of {res_type}/{res_id} is a deletion"
        )
    return found


def page_size(params: dict[str, str]) -> int:
    text = params.get("_count", str(DEFAULT_PAGE))
    if not text.isdigit():
        raise FhirError.of(400, "value", f"_count must be a whole number, not '{text}'")
    return min(int(text), MAX_PAGE)


def _link(relation: str, url: str, params: list[tuple[str, str]]) -> dict[str, str]:
    return {"relation": relation, "url": f"{url}?{urlencode(params)}" if params else url}


def _entry(base: str, version: StoredVersion) -> dict[str, Any]:
    entry: dict[str, Any] = {"fullUrl": f"{base}/{version.reference}"}
    if version.content is not None:
        entry["resource"] = orjson.Fragment(version.content)
    return entry


def _history_entry(base: str, version: StoredVersion) -> dict[str, Any]:
    """The request that made the version, as it was asked: a create POSTs to the type,
    every other interaction names the resource. A first version was created (201), by a
    POST or by an update-as-create PUT."""
    entry = _entry(base, version)
    url = version.res_type if version.method == "POST" else version.reference
    status = 204 if version.method == "DELETE" else 201 if version.version == 1 else 200
    entry["request"] = {"method": version.method, "url": url}
    entry["response"] = {
        "status": f"{status} {HTTPStatus(status).phrase}",
        "etag": version.etag,
        "lastModified": instant_text(version.last_updated),
    }
    return entry


def history_bundle(
    store: Store, query: HistoryQuery, base: str, url: str, params: dict[str, str]
) -> bytes:
    """A history Bundle, newest first, paged by the store's change order."""
    versions = store.history(query)
    page, more = versions[: query.count], len(versions) > query.count
    kept = [(k, v) for k, v in params.items() if k in {"_count", "_since", "_format"}]
    links = [_link("self", url, list(params.items()))]
    if more and page:  # `_count=0` asks for no entries: there is no page to go on from
        links.append(_link("next", url, [*kept, ("_cursor", str(page[-1].seq))]))
    return dump_json(
        {
            "resourceType": "Bundle",
            "type": "history",
            "link": links,
            "entry": [_history_entry(base, version) for version in page],
        }
    )


def history_query(
    params: dict[str, str], res_type: str | None = None, res_id: str | None = None
) -> HistoryQuery:
    since: datetime | None = None
    if "_since" in params:
        since = parse_date_value("_since", params["_since"]).low
    cursor = params.get("_cursor")
    if cursor is not None and not cursor.isdigit():
        raise FhirError.of(400, "value", "_cursor is not one this server handed out")
    return HistoryQuery(res_type, res_id, since, int(cursor) if cursor else None, page_size(params))
