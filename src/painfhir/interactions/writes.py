"""Create, update, patch and delete — each inside a caller's write session, so a single
request and a transaction Bundle entry run exactly the same code."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import jsonpatch

from painfhir.fhir.codec import parse_json
from painfhir.fhir.outcome import FhirError, Issue
from painfhir.interactions import reactions
from painfhir.interactions._resources import check_id, check_version, new_id, stamped
from painfhir.search.criteria import SearchCriterion
from painfhir.search.extract import index_rows
from painfhir.store import StoredVersion, WriteSession
from painfhir.validation.validator import write_refusal


@dataclass(frozen=True, slots=True)
class Written:
    """What a write did: 201 created, 200 updated (or matched), 204 deleted; and what the
    reactions to it said and wrote (filled in later when they are deferred to a Bundle's end)."""

    status: int
    version: StoredVersion
    reacted: reactions.Reacted = field(default_factory=reactions.Reacted)

    @property
    def issues(self) -> tuple[Issue, ...]:
        return tuple(self.reacted.issues)

    @property
    def related(self) -> tuple[StoredVersion, ...]:
        return tuple(self.reacted.related)


def _single_match(
    session: WriteSession, res_type: str, criteria: list[SearchCriterion]
) -> str | None:
    found = session.match(res_type, criteria, limit=2)
    if len(found) > 1:
        raise FhirError.of(
            412, "multiple-matches", f"The criteria match more than one {res_type}: be more precise"
        )
    return found[0] if found else None


def _unchanged(current: StoredVersion, resource: dict[str, Any]) -> bool:
    """Would storing `resource` give the current version again, byte for byte (the server's
    versionId and lastUpdated aside)?"""
    again = stamped(resource, current.res_id, current.version, current.last_updated)
    return again == current.content


def _save(session: WriteSession, resource: dict[str, Any], res_id: str, method: str) -> Written:
    res_type = resource["resourceType"]
    current = session.current(res_type, res_id)  # the session's, if it has read it already
    kept: list[Issue] = []
    if current is not None and not current.deleted:
        resource, kept = reactions.before_storing(session, current, resource)
        # An update that changes nothing keeps the current version (200, its ETag): senders
        # that resend whole packages — the same Practitioners and Organizations with every
        # HL7 v2 referral — would otherwise pile up identical versions, index rows and
        # notifications.
        if _unchanged(current, resource):
            return Written(200, current, reactions.Reacted(issues=kept))
    version, at = (current.version + 1 if current else 1), session.now
    if current is not None and not current.deleted and session.wrote(current):
        # Written earlier in this transaction (a reaction completing what an entry wrote):
        # that version is replaced, so a transaction makes one version of a resource, and
        # history never shows a state that no one outside the transaction could have seen.
        # It keeps its time, which the session's clock may have moved past since.
        version, at = current.version, current.last_updated
    content = stamped(resource, res_id, version, at)
    stored = session.put(res_type, res_id, version, method, content, index_rows(resource))
    created = current is None or current.deleted
    reacted = reactions.react(session, stored, resource)
    reacted.issues[:0] = kept  # deferred reactions add theirs after these
    return as_stored(session, Written(201 if created else 200, stored, reacted))


def as_stored(session: WriteSession, written: Written) -> Written:
    """`written` with the content its version holds now: a reaction later in the same
    transaction may have replaced it (one version per resource per transaction), and an
    answer must never show a version's content other than the stored one."""
    version = written.version
    latest = session.current(version.res_type, version.res_id)  # remembered: no query
    if latest is None or latest.seq != version.seq or latest.content == version.content:
        return written
    return replace(written, version=latest)


def live_match(session: WriteSession, res_type: str, res_id: str | None) -> StoredVersion | None:
    """The current version of a conditional create's match (if any), locked, if still live.

    `match` holds the type back from other conditional writes, not the resource from a plain
    DELETE, which may commit between the match and this lock: a match deleted meanwhile is no
    match, and the create goes ahead. That is as safe as when nothing matched in the first
    place (no conditional write can create a match before this transaction ends), and it is
    what the client would have got a moment later; refusing (409) would make it retry for
    the same answer."""
    current = session.current(res_type, res_id) if res_id is not None else None
    return current if current is not None and not current.deleted else None


def create(
    session: WriteSession,
    resource: dict[str, Any],
    if_none_exist: list[SearchCriterion] | None = None,
    res_id: str | None = None,
) -> Written:
    """A new resource with a server id (or `res_id`, chosen by a transaction beforehand).

    With If-None-Exist criteria an existing match is returned instead (200). The caller's
    write session holds the database's write lock, so no other writer can create the same
    match between the look-up and the insert.
    """
    res_type = resource["resourceType"]
    if if_none_exist:
        matched = _single_match(session, res_type, if_none_exist)
        existing = live_match(session, res_type, matched)
        if existing is not None:
            return Written(200, existing)
    return _save(session, resource, res_id or new_id(), "POST")


def update(
    session: WriteSession, res_id: str, resource: dict[str, Any], if_match: str | None = None
) -> Written:
    """PUT of a whole resource; creates it when the id is new (update-as-create)."""
    check_id(res_id)
    body_id = resource.get("id")
    if body_id is None:
        raise FhirError.of(400, "required", "An update must carry the resource's id", "id")
    if body_id != res_id:
        raise FhirError.of(
            400, "invalid", f"The body's id '{body_id}' is not the id in the URL '{res_id}'", "id"
        )
    check_version(session.current(resource["resourceType"], res_id), if_match)
    return _save(session, resource, res_id, "PUT")


def conditional_update(
    session: WriteSession,
    criteria: list[SearchCriterion],
    resource: dict[str, Any],
    if_match: str | None = None,
) -> Written:
    res_type = resource["resourceType"]
    matched = _single_match(session, res_type, criteria)
    body_id = resource.get("id")
    if matched is None:
        if body_id:
            return update(session, body_id, resource, if_match)
        check_version(None, if_match)  # as a PUT with If-Match to an id that does not exist
        return create(session, resource)
    if body_id is not None and body_id != matched:
        raise FhirError.of(
            400,
            "invalid",
            f"The criteria match {res_type}/{matched}, not the body's id '{body_id}'",
        )
    return update(session, matched, {**resource, "id": matched}, if_match)


def patch(
    session: WriteSession,
    res_type: str,
    res_id: str,
    operations: Any,
    if_match: str | None = None,
    *,
    lenient: bool = False,
) -> Written:
    """JSON Patch (RFC 6902) on the current version; the result must still be valid."""
    current = session.current(res_type, res_id)
    if current is None or current.content is None:
        raise FhirError.of(
            404 if current is None else 410, "not-found", f"{res_type}/{res_id} is not here"
        )
    check_version(current, if_match)
    try:
        patched = jsonpatch.apply_patch(parse_json(current.content), operations)
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError) as exc:
        raise FhirError.of(422, "processing", f"The patch cannot be applied: {exc}") from exc
    if not isinstance(patched, dict) or patched.get("resourceType") != res_type:
        raise FhirError.of(422, "processing", "A patch must not change the resource's type")
    if patched.get("id") != res_id:
        raise FhirError.of(422, "processing", "A patch must not change the resource's id")
    refusal = write_refusal(patched, lenient=lenient)
    if refusal is not None:  # the request was well formed: its outcome is what is wrong
        raise FhirError(422, refusal.issues)
    return _save(session, patched, res_id, "PATCH")


def conditional_patch(
    session: WriteSession,
    res_type: str,
    criteria: list[SearchCriterion],
    operations: Any,
    if_match: str | None = None,
    *,
    lenient: bool = False,
) -> Written:
    matched = _single_match(session, res_type, criteria)
    if matched is None:
        raise FhirError.of(404, "not-found", f"No {res_type} matches the criteria")
    return patch(session, res_type, matched, operations, if_match, lenient=lenient)


def delete(
    session: WriteSession, res_type: str, res_id: str, if_match: str | None = None
) -> Written:
    """Logical delete: a new, empty version; reads then answer 410 Gone. The reactions that
    ask for deletes run with the resource as it was."""
    current = session.current(res_type, res_id)
    if current is None:
        raise FhirError.of(404, "not-found", f"{res_type}/{res_id} does not exist")
    if current.content is None:
        return Written(204, current)  # deleting twice changes nothing
    check_version(current, if_match)
    deletion = session.put(res_type, res_id, current.version + 1, "DELETE", None, None)
    return Written(204, deletion, reactions.react(session, deletion, parse_json(current.content)))


def conditional_delete(
    session: WriteSession, res_type: str, criteria: list[SearchCriterion]
) -> Written | None:
    """Delete the one match; None when nothing matches (nothing to do)."""
    matched = _single_match(session, res_type, criteria)
    return delete(session, res_type, matched) if matched else None
