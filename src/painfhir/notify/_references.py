"""Following a relative reference (`Type/id`) to the current version stored here."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.store import Store

Json = dict[str, Any]


def resolve(store: Store, reference: Any) -> Json | None:
    """What a Reference (or its text) points to, if it is a live resource of this store."""
    text = reference.get("reference") if isinstance(reference, dict) else reference
    if not isinstance(text, str) or text.count("/") != 1:
        return None
    res_type, res_id = text.split("/")
    stored = store.read(res_type, res_id) if res_type[:1].isupper() and res_id else None
    if stored is None or stored.content is None:
        return None
    found: Json = parse_json(stored.content)
    return found
