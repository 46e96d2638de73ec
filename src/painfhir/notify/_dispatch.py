"""Dispatch: outbox events become deliveries, one per subscriber that wants the change.

A Subscription's criteria are run as a search restricted to the changed resource
(`Task?code=fulfill&_id=…`), so they mean exactly what they mean to a client's search; the
search sees the resource as it is at dispatch, a moment after the change. A deleted resource
matches nothing, so deletions are not notified. HL7 v2 subscribers hear about referral Tasks
only, and only when the business status (or Task.status) moved: an RRI^I12 says where a
referral stands, and a Task edit that leaves that alone has nothing to say in it.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError
from painfhir.notify._references import resolve
from painfhir.notify._rri import business_status
from painfhir.notify._subscribers import (
    HL7_V2_ER7,
    Subscriber,
    Target,
    endpoint_target,
    search_criteria,
    subscriber,
)
from painfhir.search.query import SearchQuery, parse_query
from painfhir.store import OutboxEvent, Route, Store

log = logging.getLogger(__name__)
Json = dict[str, Any]
_MAX_SUBSCRIPTIONS = 1000


def live_subscribers(store: Store, now: datetime) -> list[Subscriber]:
    query = parse_query(
        "Subscription",
        [("status", "requested,active"), ("_count", str(_MAX_SUBSCRIPTIONS))],
        strict=True,
    )
    found = []
    for version in store.search(query).matches:
        assert version.content is not None  # a search matches live resources only
        try:
            live = subscriber(version.content, now)
        except Exception:  # one Subscription's bad data must not keep the others waiting
            log.exception("Subscription/%s cannot be read and is skipped", version.res_id)
            continue
        if live is None:
            log.warning("Subscription/%s cannot be served and is skipped", version.res_id)
        else:
            found.append(live)
    return found


def _matches(store: Store, wanted: Subscriber, event: OutboxEvent) -> bool:
    try:
        criteria = search_criteria(event.res_type, wanted.criteria, event.res_id)
    except FhirError as error:
        log.warning("Subscription/%s: criteria not understood: %s", wanted.id, error)
        return False
    page = store.search(SearchQuery(event.res_type, criteria=criteria, count=1))
    return bool(page.matches)


def _task_versions(store: Store, event: OutboxEvent) -> tuple[Json | None, Json | None]:
    """The Task as this change left it, and as it was before."""
    versions = []
    for number in (event.version, event.version - 1):
        stored = store.read_version(event.res_type, event.res_id, number) if number else None
        versions.append(parse_json(stored.content) if stored and stored.content else None)
    return versions[0], versions[1]


def _referral_moved(task: Json | None, previous: Json | None) -> bool:
    if task is None or business_status(task) is None:
        return False
    if previous is None:
        return True

    def standing(t: Json) -> tuple[Any, Any]:
        return (business_status(t) or {}).get("code"), t.get("status")

    return standing(task) != standing(previous)


def requester_target(store: Store, task: Json) -> Target | None:
    """The Endpoint the Task's requester is reached at: the requester's own (Organization,
    PractitionerRole), else that of the organization a PractitionerRole acts for."""
    requester = resolve(store, task.get("requester"))
    if requester is None:
        return None
    places = [requester]
    if requester.get("resourceType") == "PractitionerRole":
        organization = resolve(store, requester.get("organization"))
        places += [organization] if organization else []
    for place in places:
        for reference in place.get("endpoint", []):
            endpoint = resolve(store, reference)
            target = endpoint_target(endpoint) if endpoint else None
            if target is not None:
                return target
    return None


def routes(store: Store, event: OutboxEvent, subscribers: list[Subscriber]) -> list[Route]:
    """Who is owed `event`, where and in which form."""
    wanted = [s for s in subscribers if s.res_type == event.res_type]
    if not wanted:
        return []
    wanted = [s for s in wanted if _matches(store, s, event)]
    task, previous = (None, None)
    if event.res_type == "Task" and wanted:
        task, previous = _task_versions(store, event)
    found = []
    for each in wanted:
        target = each.target
        if target is None:
            target = requester_target(store, task) if task is not None else None
            if target is None:
                log.warning("%s/%s: no Endpoint for its requester", event.res_type, event.res_id)
                continue
        if target.content_type == HL7_V2_ER7 and not _referral_moved(task, previous):
            continue
        found.append(Route(event.seq, each.id, target.endpoint, target.content_type))
    return found
