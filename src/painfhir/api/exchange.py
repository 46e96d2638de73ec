"""Reading FHIR requests and writing FHIR responses: bodies, Prefer, ETags, base URL."""

from __future__ import annotations

import re
from email.utils import parsedate_to_datetime
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.negotiation import FHIR_JSON, Answer, answer_format, check_content_type
from painfhir.fhir.codec import dump_json, parse_json, reformat
from painfhir.fhir.definitions import RESOURCE_TYPES
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.interactions.writes import Written
from painfhir.settings import Settings
from painfhir.store import Store, StoredVersion

ReturnPreference = Literal["minimal", "representation", "OperationOutcome"]


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def store_of(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def lenient(request: Request) -> bool:
    """Whether writes are validated leniently (PAINFHIR_VALIDATION)."""
    return settings_of(request).validation == "lenient"


def base_url(request: Request) -> str:
    configured = settings_of(request).base_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def known_type(res_type: str) -> str:
    if res_type not in RESOURCE_TYPES:
        raise FhirError.of(404, "not-supported", f"'{res_type}' is not an R4 resource type")
    return res_type


async def read_body(request: Request, *allowed: str) -> Any:
    """The request body as parsed JSON, refusing wrong media types (415) and size (413)."""
    return parse_json(await read_raw_body(request, *allowed))


async def read_raw_body(request: Request, *allowed: str) -> bytes:
    """The request body's bytes, refusing wrong media types (415) and size (413)."""
    check_content_type(request, allowed)
    limit = settings_of(request).max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FhirError.of(413, "too-costly", f"The body is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FhirError.of(413, "too-costly", f"The body is over the limit of {limit} bytes")
        chunks.append(chunk)
    if size == 0:
        raise FhirError.of(400, "required", "The request has no body")
    return b"".join(chunks)


async def read_resource(request: Request) -> Any:
    return await read_body(request, FHIR_JSON, "application/json")


def _prefer(request: Request, name: str) -> str | None:
    """A preference of the Prefer header (RFC 7240): preferences are separated by commas,
    and several Prefer lines are one list; the first of a name counts. Semicolons, which
    the RFC keeps for a preference's parameters, separate too: clients write
    `return=minimal; handling=strict` meaning both."""
    for line in request.headers.getlist("prefer"):
        for part in re.split("[,;]", line):
            key, _, value = part.partition("=")
            if key.strip().lower() == name:
                return value.strip().strip('"')
    return None


def return_preference(request: Request) -> ReturnPreference:
    wanted = _prefer(request, "return")
    if wanted in ("minimal", "OperationOutcome"):
        return wanted  # type: ignore[return-value]
    return "representation"


def strict_handling(request: Request) -> bool:
    return _prefer(request, "handling") == "strict"


def fhir_response(
    content: bytes, answer: Answer, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        reformat(content, pretty=answer.pretty) if answer.pretty else content,
        status_code=status,
        headers=headers,
        media_type=answer.media_type,
    )


def version_headers(version: StoredVersion) -> dict[str, str]:
    return {"ETag": version.etag, "Last-Modified": version.last_modified}


def not_modified(request: Request, version: StoredVersion) -> bool:
    """If-None-Match / If-Modified-Since on a read: does the client already have this?"""
    if_none_match = request.headers.get("if-none-match")
    if if_none_match is not None:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or f'"{version.version}"' in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        # HTTP dates have whole seconds; a version stamped within that second is not newer.
        return version.last_updated.replace(microsecond=0) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


def related_links(request: Request, related: tuple[StoredVersion, ...]) -> str:
    """An RFC 8288 Link header to what the write's reactions wrote (a DetectedIssue, a Task):
    the standard way to point at related resources when the body is the resource itself."""
    base = base_url(request)
    return ", ".join(
        f'<{base}/{version.reference}/_history/{version.version}>; rel="related"'
        for version in related
    )


def written_response(request: Request, written: Written, message: str) -> Response:
    """A create / update / patch answer, shaped by the client's Prefer: return=…"""
    answer = answer_format(request)
    version = written.version
    headers = version_headers(version)
    location = f"{base_url(request)}/{version.reference}/_history/{version.version}"
    headers["Location" if written.status == 201 else "Content-Location"] = location
    if written.related:
        headers["Link"] = related_links(request, written.related)
    preference = return_preference(request)
    if preference == "minimal":
        return Response(status_code=written.status, headers=headers)
    if preference == "OperationOutcome":
        outcome = operation_outcome(
            [Issue("information", "informational", message), *written.issues]
        )
        return fhir_response(dump_json(outcome), answer, written.status, headers)
    assert version.content is not None
    return fhir_response(version.content, answer, written.status, headers)
