"""`$validate` (https://hl7.org/fhir/R4/resource-operation-validate.html).

The resource comes as the body itself or as the `resource` parameter of a Parameters body;
`mode` and `profile` come from that Parameters or from the query string. The answer is always
an OperationOutcome with status 200 — the request worked, whatever it found — unless the request
itself is malformed (400) or names a resource that does not exist (404 / 410).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.exchange import fhir_response, read_body, store_of
from painfhir.api.negotiation import FHIR_JSON, answer_format
from painfhir.fhir.codec import dump_json, parse_json
from painfhir.fhir.outcome import FhirError, Issue, operation_outcome
from painfhir.interactions import reads
from painfhir.validation.validator import validate

MODES = ("create", "update", "delete", "profile")


def _parameters(body: Any) -> dict[str, Any]:
    """The `resource`, `mode` and `profile` parameters of a Parameters body."""
    found: dict[str, Any] = {}
    for parameter in body.get("parameter") or []:
        name = parameter.get("name")
        if name == "resource":
            found["resource"] = parameter.get("resource")
        elif name == "mode":
            found["mode"] = parameter.get("valueCode")
        elif name == "profile":
            found["profile"] = parameter.get("valueUri") or parameter.get("valueCanonical")
    return found


async def _inputs(request: Request, res_type: str) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        k: v for k, v in request.query_params.items() if k in ("mode", "profile")
    }
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if not has_body:
        return inputs
    body = await read_body(request, FHIR_JSON, "application/json")
    is_wrapper = (
        isinstance(body, dict)
        and body.get("resourceType") == "Parameters"
        and (res_type != "Parameters" or "resource" in _parameters(body))
    )
    return {**inputs, **_parameters(body)} if is_wrapper else {**inputs, "resource": body}


def _checked_mode(mode: Any, res_id: str | None) -> str | None:
    if mode is None:
        return None
    if mode not in MODES:
        raise FhirError.of(400, "value", f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if mode in ("update", "delete") and res_id is None:
        raise FhirError.of(
            400, "required", f"mode={mode} validates an instance: POST {{type}}/{{id}}/$validate"
        )
    return str(mode)


def _issues(
    res_type: str, res_id: str | None, inputs: dict[str, Any], mode: str | None
) -> list[Issue]:
    resource = inputs.get("resource")
    if not isinstance(resource, dict) or resource.get("resourceType") != res_type:
        found = resource.get("resourceType") if isinstance(resource, dict) else None
        raise FhirError.of(400, "invalid", f"$validate on {res_type} was given a {found!r}")
    profile = inputs.get("profile")
    issues = validate(resource, profiles=[profile] if isinstance(profile, str) else [])
    if mode == "update" and resource.get("id") != res_id:
        issues.append(
            Issue(
                "error",
                "invalid",
                f"An update of {res_type}/{res_id} must carry id {res_id!r}",
                f"{res_type}.id",
            )
        )
    return issues


async def validate_operation(request: Request, res_type: str, res_id: str | None) -> Response:
    answer = answer_format(request)
    inputs = await _inputs(request, res_type)
    mode = _checked_mode(inputs.get("mode"), res_id)
    if res_id is not None and (inputs.get("resource") is None or mode == "delete"):
        stored = reads.read(store_of(request), res_type, res_id)  # 404 / 410 if not there
        if mode == "delete":
            # painfhir keeps every version and has no rule against deleting any resource.
            outcome = [Issue("information", "informational", f"{res_type}/{res_id} may be deleted")]
            return fhir_response(dump_json(operation_outcome(outcome)), answer)
        assert stored.content is not None
        inputs["resource"] = parse_json(stored.content)
    if inputs.get("resource") is None:
        raise FhirError.of(
            400, "required", "$validate needs a resource: the body, or a Parameters with 'resource'"
        )
    issues = _issues(res_type, res_id, inputs, mode)
    if not issues:
        issues = [Issue("information", "informational", "No issues found")]
    return fhir_response(dump_json(operation_outcome(issues)), answer)
