"""Content negotiation: what the client sends (Content-Type) and wants back (Accept, _format).

painfhir speaks FHIR JSON. XML asked for is 406, anything but JSON sent is 415.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from painfhir.fhir.outcome import FhirError

FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"
FORM = "application/x-www-form-urlencoded"  # the body of a POST _search
_JSON_TYPES = {FHIR_JSON, "application/json", "json", "text/json"}
_ANY = {"*/*", "application/*"}


@dataclass(frozen=True, slots=True)
class Answer:
    """How to write a response: its media type, and whether to indent it (_pretty)."""

    media_type: str
    pretty: bool


def _media(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def answer_format(request: Request) -> Answer:
    params = request.query_params
    pretty = params.get("_pretty") == "true"
    fmt = params.get("_format")
    if fmt is not None:
        if _media(fmt) not in _JSON_TYPES:
            raise FhirError.of(406, "not-supported", f"_format={fmt}: painfhir answers in JSON")
        return Answer(FHIR_JSON, pretty)
    accept = request.headers.get("accept")
    if not accept:
        return Answer(FHIR_JSON, pretty)
    wanted = [_media(part) for part in accept.split(",")]
    if FHIR_JSON in wanted or any(w in _ANY for w in wanted):
        return Answer(FHIR_JSON, pretty)
    if "application/json" in wanted:
        return Answer("application/json", pretty)
    raise FhirError.of(
        406, "not-supported", f"Accept: {accept}: painfhir answers in application/fhir+json"
    )


def check_content_type(request: Request, allowed: tuple[str, ...]) -> None:
    """A body must be declared as one of `allowed`; FHIR versions other than R4 are refused."""
    declared = request.headers.get("content-type", "")
    if _media(declared) not in allowed:
        wanted = " or ".join(allowed)
        message = f"Content-Type {declared or '(none)'} is not accepted here; send {wanted}"
        raise FhirError.of(415, "not-supported", message)
    for param in declared.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "fhirversion" and value.strip() not in ("4.0", "4.0.1"):
            raise FhirError.of(
                415, "not-supported", f"fhirVersion={value.strip()}: painfhir takes R4"
            )
