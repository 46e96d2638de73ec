"""The clinical content a message carries: Condition (DG1), AllergyIntolerance (AL1),
Procedure (PR1), Observation (OBX), DiagnosticReport (a results OBR), Annotation (NTE).

Resources without an identifier of their own get ids keyed by what they belong to (the
referral or order, `owner_key`) and their segment's set id, so a resend updates them."""

from __future__ import annotations

from painfhir.mapping._context import Hl7v2Context
from painfhir.mapping.hl7v2 import Group, Segment, Terser
from painfhir.mapping.v2fhir._people import practitioner
from painfhir.mapping.v2fhir._types import (
    Json,
    clean,
    codeable_concept,
    date_time,
    date_time_at,
    identifier,
    put,
    table_coding,
)

_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_OBSERVATION_STATUS = "http://hl7.org/fhir/observation-status"
_ALLERGY_CATEGORY = "http://hl7.org/fhir/allergy-intolerance-category"
_ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
_CRITICALITY = "http://hl7.org/fhir/allergy-intolerance-criticality"


def notes(read: Terser, segments: list[Segment]) -> list[Json]:
    """NTE-3 of each NTE as an Annotation."""
    found = (clean(read.within(nte).value("NTE-3")) for nte in segments)
    return [{"text": text} for text in found if text]


def condition(ctx: Hl7v2Context, read: Terser, subject: Json, owner_key: str) -> Json | None:
    code = codeable_concept(ctx, read, "DG1-3")
    if code is None:
        return None
    key = clean(read.value("DG1-20.1")) or clean(read.value("DG1-1")) or code.get("text", "")
    resource: Json = {
        "resourceType": "Condition",
        "id": ctx.resource_id("Condition", owner_key, key),
    }
    put(resource, "identifier", [i for i in [identifier(ctx, read, "DG1-20", "EI")] if i])
    verification = table_coding(ctx, "0052", read.value("DG1-6"), _VERIFICATION)
    if verification:
        resource["verificationStatus"] = {"coding": [verification]}
    resource["code"] = code
    resource["subject"] = subject
    put(resource, "onsetDateTime", date_time_at(ctx, read, "DG1-5"))
    put(resource, "recordedDate", date_time_at(ctx, read, "DG1-19"))
    put(resource, "asserter", practitioner(ctx, read, "DG1-16"))
    return ctx.add(resource)


def allergy(ctx: Hl7v2Context, read: Terser, patient: Json, owner_key: str) -> Json | None:
    code = codeable_concept(ctx, read, "AL1-3")
    if code is None:
        return None
    key = clean(read.value("AL1-1")) or code.get("text") or str(code.get("coding"))
    resource: Json = {
        "resourceType": "AllergyIntolerance",
        "id": ctx.resource_id("AllergyIntolerance", owner_key, key),
        # AL1 lists the allergies the patient has now (ait-1 needs the status said)
        "clinicalStatus": {"coding": [{"system": _ALLERGY_CLINICAL, "code": "active"}]},
    }
    category = table_coding(ctx, "0127", read.value("AL1-2.1"), _ALLERGY_CATEGORY)
    if category:
        resource["category"] = [category["code"]]
    criticality = table_coding(ctx, "0128", read.value("AL1-4.1"), _CRITICALITY)
    if criticality:
        resource["criticality"] = criticality["code"]
    resource["code"] = code
    resource["patient"] = patient
    reaction = clean(read.value("AL1-5"))
    if reaction:
        resource["reaction"] = [{"manifestation": [{"text": reaction}]}]
    put(resource, "onsetDateTime", date_time_at(ctx, read, "AL1-6"))
    return ctx.add(resource)


def procedure(ctx: Hl7v2Context, read: Terser, subject: Json, owner_key: str) -> Json | None:
    code = codeable_concept(ctx, read, "PR1-3")
    description = clean(read.value("PR1-4"))
    if code is None and description is None:
        return None
    key = clean(read.value("PR1-19.1")) or clean(read.value("PR1-1")) or ""
    resource: Json = {
        "resourceType": "Procedure",
        "id": ctx.resource_id("Procedure", owner_key, key),
    }
    put(resource, "identifier", [i for i in [identifier(ctx, read, "PR1-19", "EI")] if i])
    # PR1 reports procedures already done: the referral's prior treatment
    resource["status"] = "completed"
    resource["code"] = code or {"text": description}
    resource["subject"] = subject
    put(resource, "performedDateTime", date_time_at(ctx, read, "PR1-5"))
    performers = [practitioner(ctx, read, f"PR1-{field}") for field in (11, 8)]
    put(resource, "performer", [{"actor": p} for p in performers if p])
    put(resource, "reasonCode", [c for c in [codeable_concept(ctx, read, "PR1-15")] if c])
    return ctx.add(resource)


def observation(ctx: Hl7v2Context, read: Terser, subject: Json, key: str) -> Json | None:
    """An OBX; `key` names it within its message (its group path and set id)."""
    code = codeable_concept(ctx, read, "OBX-3")
    if code is None:
        return None
    resource: Json = {
        "resourceType": "Observation",
        "id": ctx.resource_id("Observation", key),
    }
    status = table_coding(ctx, "0085", read.value("OBX-11"), _OBSERVATION_STATUS)
    resource["status"] = status["code"] if status else "unknown"
    resource["code"] = code
    resource["subject"] = subject
    put(resource, "effectiveDateTime", date_time_at(ctx, read, "OBX-14"))
    _value(ctx, read, resource)
    interpretation = codeable_concept(ctx, read, "OBX-8")
    if interpretation:
        resource["interpretation"] = [interpretation]
    range_text = clean(read.value("OBX-7"))
    if range_text:
        resource["referenceRange"] = [{"text": range_text}]
    return ctx.add(resource)


def _value(ctx: Hl7v2Context, read: Terser, resource: Json) -> None:
    """OBX-5 by its type in OBX-2; types FHIR has no value for (ED, RP) are left out."""
    value_type = clean(read.value("OBX-2")) or ""
    text = clean(read.value("OBX-5"))
    if text is None:
        return
    if value_type in ("CWE", "CE", "CNE"):
        concept = codeable_concept(ctx, read, "OBX-5")
        if concept:
            resource["valueCodeableConcept"] = concept
    elif value_type in ("NM", "SN") and _is_decimal(text):
        quantity: Json = {"value": float(text) if "." in text else int(text)}
        unit = clean(read.value("OBX-6.1"))
        if unit:
            quantity["unit"] = unit
        resource["valueQuantity"] = quantity
    elif value_type in ("ST", "TX", "FT"):
        resource["valueString"] = text
    elif value_type in ("DT", "DTM", "TS"):
        put(resource, "valueDateTime", date_time(text))


def _is_decimal(text: str) -> bool:
    return text.lstrip("+-").replace(".", "", 1).isdigit()


def diagnostic_report(
    ctx: Hl7v2Context, group: Group, subject: Json, key: str, results: list[Json]
) -> Json | None:
    """A results OBR (a prior test or imaging study) with its OBX Observations and NTEs."""
    read = ctx.read.within(group)
    code = codeable_concept(ctx, read, "OBR-4")
    if code is None:
        return None
    resource: Json = {
        "resourceType": "DiagnosticReport",
        "id": ctx.resource_id("DiagnosticReport", key),
    }
    status = table_coding(
        ctx, "0123", read.value("OBR-25"), "http://hl7.org/fhir/diagnostic-report-status"
    )
    resource["status"] = status["code"] if status else "unknown"
    resource["code"] = code
    resource["subject"] = subject
    put(resource, "effectiveDateTime", date_time_at(ctx, read, "OBR-7"))
    put(resource, "issued", _instant(ctx, read, "OBR-22"))
    put(resource, "result", results)
    own_notes = [
        n["text"]
        for n in notes(
            read, [s for s in group.children if isinstance(s, Segment) and s.id == "NTE"]
        )
    ]
    put(resource, "conclusion", "\n".join(own_notes))
    return ctx.add(resource)


def _instant(ctx: Hl7v2Context, read: Terser, path: str) -> str | None:
    found = date_time_at(ctx, read, path)
    return found if found and "T" in found else None
