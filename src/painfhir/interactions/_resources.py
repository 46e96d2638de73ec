"""Turning an accepted resource into the bytes the store keeps."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.store import StoredVersion
from painfhir.store._time import instant_text
from painfhir.validation.validator import write_refusal

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def new_id() -> str:
    return str(uuid.uuid4())


def check_id(res_id: str) -> None:
    if _ID.fullmatch(res_id) is None:
        raise FhirError.of(
            400, "value", f"'{res_id}' is not a valid resource id (1-64 of A-Z a-z 0-9 - .)"
        )


def accept(
    resource: Any, res_type: str, where: str | None = None, *, lenient: bool = False
) -> dict[str, Any]:
    """Check an inbound resource: of the expected type, and valid (`validation.validator`)."""
    if not isinstance(resource, dict):
        raise FhirError.of(400, "structure", "The body must be a JSON object (a FHIR resource)")
    found = resource.get("resourceType")
    if found != res_type:
        raise FhirError.of(
            400,
            "invalid",
            f"The resource is a {found!r}, but the request is for {res_type}",
            f"{where or found}.resourceType" if isinstance(found, str) else where,
        )
    refusal = write_refusal(resource, lenient=lenient)
    if refusal is not None:
        raise refusal
    return resource


def stamped(resource: dict[str, Any], res_id: str, version: int, now: datetime) -> bytes:
    """The resource with its id and the server-owned meta.versionId / meta.lastUpdated.

    Everything else is kept as received, key order included; id and meta go first.
    """
    meta = dict(resource.get("meta") or {})
    meta["versionId"] = str(version)
    meta["lastUpdated"] = instant_text(now)
    final: dict[str, Any] = {"resourceType": resource["resourceType"], "id": res_id, "meta": meta}
    for key, value in resource.items():
        if key not in final:
            final[key] = value
    return dump_json(final)


def check_version(current: StoredVersion | None, if_match: str | None) -> None:
    """If-Match must name the current version (`W/"3"` or `"3"`), or the write is refused."""
    if if_match is None:
        return
    wanted = if_match.strip().removeprefix("W/").strip('"')
    if current is None or current.deleted:
        raise FhirError.of(412, "conflict", f"If-Match {if_match}: the resource does not exist")
    if wanted != str(current.version):
        raise FhirError.of(
            412,
            "conflict",
            f"If-Match {if_match}: the current version is {current.etag}; "
            "read it again and reapply the change",
        )
