"""Search: a searchset Bundle of stored bytes, with paging links, _include, _total, _summary
and _elements (https://hl7.org/fhir/R4/search.html)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson

from painfhir.fhir.codec import dump_json, parse_json
from painfhir.fhir.outcome import FhirError, operation_outcome
from painfhir.fhir.summary import elements_only, summary_of
from painfhir.search.compartments import COMPARTMENT_TYPES, compartment_parameters, types_in
from painfhir.search.config import search_config
from painfhir.search.criteria import Compartment, SearchCriterion
from painfhir.search.query import SearchQuery, parse_compartment_query, parse_query
from painfhir.store import CompartmentScope, SearchPage, Store, StoredVersion


def _link(relation: str, url: str, params: list[tuple[str, str]]) -> dict[str, str]:
    return {"relation": relation, "url": f"{url}?{urlencode(params)}" if params else url}


def _resource(version: StoredVersion, query: SearchQuery) -> Any:
    """Stored bytes as they are, unless _summary / _elements ask for less."""
    assert version.content is not None
    if query.summary in (None, "false") and query.elements is None:
        return orjson.Fragment(version.content)
    resource = parse_json(version.content)
    if query.elements is not None:
        return elements_only(resource, query.elements)
    return summary_of(resource, query.summary or "true")


def _entry(base: str, version: StoredVersion, mode: str, query: SearchQuery) -> dict[str, Any]:
    return {
        "fullUrl": f"{base}/{version.reference}",
        "resource": _resource(version, query),
        "search": {"mode": mode},
    }


def search_bundle(
    store: Store,
    res_type: str,
    items: list[tuple[str, str]],
    base: str,
    *,
    strict: bool,
    url: str | None = None,
    scope: list[SearchCriterion] | None = None,
) -> bytes:
    """A searchset Bundle of one type's search.

    `scope` adds criteria that are not in the query string (a compartment's owner)."""
    query = parse_query(res_type, items, strict=strict)
    query.criteria += scope or []
    query.timeout_seconds = search_config().timeout_seconds or None
    return _bundle(store.search(query), query, base, url or f"{base}/{res_type}")


def _bundle(page: SearchPage, query: SearchQuery, base: str, url: str) -> bytes:
    """`next` resumes after the last row of this page, `previous` before its first, `first`
    starts over. The links carry the parameters the search used: R4's self link says how
    the server understood the request, so an ignored parameter is not in it."""
    kept = [(k, v) for k, v in query.used if k != "_cursor"]
    links = [_link("self", url, query.used), _link("first", url, kept)]
    for relation, cursor in (("previous", page.previous_cursor), ("next", page.next_cursor)):
        if cursor is not None:
            links.append(_link(relation, url, [*kept, ("_cursor", cursor)]))
    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    if page.total is not None:
        bundle["total"] = page.total
    bundle["link"] = links
    entries: list[dict[str, Any]] = []
    if query.summary != "count":
        entries += [_entry(base, v, "match", query) for v in page.matches]
        entries += [_entry(base, v, "include", query) for v in page.included]
    if query.ignored:
        entries.append(
            {"resource": operation_outcome(query.ignored), "search": {"mode": "outcome"}}
        )
    if entries:
        bundle["entry"] = entries
    return dump_json(bundle)


def compartment_search(
    store: Store,
    compartment: str,
    owner_id: str,
    res_type: str,
    items: list[tuple[str, str]],
    base: str,
    *,
    strict: bool,
) -> bytes:
    """`Patient/123/CarePlan?…`: the type's search, limited to what refers to the owner."""
    parameters = compartment_parameters(compartment, res_type)
    if not parameters:
        raise FhirError.of(404, "not-found", f"{res_type} is not in the {compartment} compartment")
    scope = Compartment(compartment, owner_id, tuple(parameters))
    url = f"{base}/{compartment}/{owner_id}/{res_type}"
    return search_bundle(store, res_type, items, base, strict=strict, url=url, scope=[scope])


def compartment_everything(
    store: Store,
    compartment: str,
    owner_id: str,
    items: list[tuple[str, str]],
    base: str,
    *,
    strict: bool,
) -> bytes:
    """`Patient/123/*`: every resource in the compartment, of any type, by type and id."""
    if compartment not in COMPARTMENT_TYPES:
        raise FhirError.of(404, "not-found", f"R4 defines no {compartment} compartment")
    query, types = parse_compartment_query(compartment, types_in(compartment), items, strict=strict)
    query.timeout_seconds = search_config().timeout_seconds or None
    members = tuple((t, tuple(compartment_parameters(compartment, t))) for t in types)
    page = store.search_compartment(CompartmentScope(compartment, owner_id, members), query)
    return _bundle(page, query, base, f"{base}/{compartment}/{owner_id}/*")
