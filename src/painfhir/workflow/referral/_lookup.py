"""Reading the resources a referral refers to, inside the write session that changes it, so
every check sees the transaction's own writes."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.search.criteria import parse_criteria
from painfhir.store import WriteSession

Json = dict[str, Any]


def local_reference(reference: Any) -> tuple[str, str] | None:
    """(type, id) of a relative `Type/id` reference (a Reference or its text); None otherwise."""
    text = reference.get("reference") if isinstance(reference, dict) else reference
    if not isinstance(text, str):
        return None
    res_type, _, res_id = text.partition("/")
    if not res_type[:1].isupper() or not res_id or "/" in res_id:
        return None
    return res_type, res_id


def resolve(session: WriteSession, reference: Any) -> Json | None:
    """The current version of what a relative reference points to, if it is stored here."""
    target = local_reference(reference)
    if target is None:
        return None
    stored = session.look_up(*target)
    if stored is None or stored.content is None:
        return None
    found: Json = parse_json(stored.content)
    return found


def search(
    session: WriteSession, res_type: str, criteria: list[tuple[str, str]], limit: int
) -> list[Json]:
    """Live resources of `res_type` matching every criterion (at most `limit`)."""
    found = session.find(res_type, parse_criteria(res_type, criteria), limit)
    return [parse_json(version.content) for version in found if version.content is not None]
