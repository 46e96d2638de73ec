"""`Patient/{id}/$mme` (GET or POST): the patient's morphine milligram equivalents per day
over their active opioid prescriptions (docs/opioid-safety.md).

`factors` (2022, the default, or 2016) comes from the query string or a Parameters body.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from painfhir.api.exchange import fhir_response, read_body, store_of
from painfhir.api.negotiation import FHIR_JSON, answer_format
from painfhir.fhir.codec import dump_json
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import reads
from painfhir.workflow.opioids import (
    Factors,
    mme_parameters,
    opioid_prescriptions,
    patient_record,
    total_mme,
)

FACTOR_SETS: tuple[Factors, ...] = ("2022", "2016")


def _factors_in(body: Any) -> Any:
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise FhirError.of(400, "invalid", "The body of $mme must be a Parameters resource")
    for parameter in body.get("parameter") or []:
        if isinstance(parameter, dict) and parameter.get("name") == "factors":
            for key in ("valueCode", "valueString", "valueInteger"):
                if key in parameter:
                    return str(parameter[key])
    return None


async def _factors(request: Request) -> Factors:
    wanted: Any = request.query_params.get("factors")
    has_body = request.headers.get("content-length", "0") != "0" or (
        "transfer-encoding" in request.headers
    )
    if request.method == "POST" and has_body:
        wanted = _factors_in(await read_body(request, FHIR_JSON, "application/json")) or wanted
    for factors in FACTOR_SETS:
        if wanted in (None, factors):
            return factors
    raise FhirError.of(400, "value", f"factors must be 2022 or 2016, not {wanted!r}")


async def mme_operation(request: Request, res_type: str, res_id: str | None) -> Response:
    answer = answer_format(request)
    if res_id is None:
        raise FhirError.of(400, "required", "$mme is about one patient: Patient/{id}/$mme")
    factors = await _factors(request)
    store = store_of(request)

    def computed() -> bytes:
        reads.read(store, res_type, res_id)  # 404 / 410 for a patient not here
        prescriptions = opioid_prescriptions(patient_record(store, res_id), factors)
        return dump_json(mme_parameters(prescriptions, total_mme(prescriptions), factors))

    return fhir_response(await run_in_threadpool(computed), answer)
