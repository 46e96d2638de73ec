"""A sender's referral — a ServiceRequest with its patient, requester, conditions,
insurance and prior results, in a transaction Bundle, a message Bundle or contained — as
painfhir's canonical referral: the ServiceRequest on the `pain-referral` profile, its
context carried alongside, and the referral Task the clinic starts (BSeR 2.0, received)."""

from __future__ import annotations

from painfhir.mapping._canonical import (
    CHRONIC_PAIN_CONDITION_PROFILE,
    PLACER,
    REFERRAL_CATEGORY,
    REFERRAL_PROFILE,
    received_referral_task,
    referral_task_criteria,
)
from painfhir.mapping._context import FhirContext
from painfhir.mapping._errors import MissingSourceError
from painfhir.mapping.fhirdialect._carry import Carrier
from painfhir.mapping.fhirdialect._source import Json, SourceBundle, SourceResource
from painfhir.validation.validator import validate

# what a referral package holds; a MessageHeader or the sender's own Task is not carried
# (the raw message stays in the message log; the clinic starts its own Task)
REFERRAL_PACKAGE = frozenset(
    {
        "AllergyIntolerance",
        "Condition",
        "Consent",
        "Coverage",
        "DiagnosticReport",
        "DocumentReference",
        "Encounter",
        "Goal",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Organization",
        "Patient",
        "Practitioner",
        "PractitionerRole",
        "Procedure",
        "ServiceRequest",
    }
)
_TASK_OWNERS = ("Organization", "PractitionerRole", "Practitioner")


def map_referral(ctx: FhirContext) -> None:
    """The rules of a referral dialect: the referral ServiceRequest (the MessageHeader's
    focus, else the input's only ServiceRequest) and everything it comes with."""
    source = SourceBundle(ctx.source)
    carrier = Carrier(ctx, source, REFERRAL_PACKAGE)
    request = _referral_request(source)
    reasons = [source.resolve(r) for r in request.resource.get("reasonReference") or []]
    chronic_pain: set[str] = set()
    for found in source.resources:
        if not carrier.carried(found) or found is request:
            continue
        resource = carrier.copy(found)
        if found in reasons and _claims_chronic_pain_condition(resource):
            chronic_pain.add(found.path)
        ctx.add(resource)
    referral = _canonical_request(ctx, carrier, request, chronic_pain)
    focus = ctx.add(referral)
    placer = referral["identifier"][0]
    task = received_referral_task(
        ctx.resource_id("Task", f"{placer['system']}|{placer['value']}"),
        placer,
        focus,
        referral["subject"],
        _message_time(source) or referral["authoredOn"],
        referral["requester"],
        _owner(carrier, request, referral),
    )
    # The clinic moves the Task on from 2.0; a resent or updated referral must not put it back.
    ctx.add_if_none_exist(task, referral_task_criteria(placer))


def _referral_request(source: SourceBundle) -> SourceResource:
    focus = (source.header or {}).get("focus") or []
    found = source.resolve(focus[0]) if focus else None
    if found is not None and found.type == "Task":
        found = source.resolve(found.resource.get("focus"))
    if found is not None and found.type == "ServiceRequest":
        return found
    requests = source.of_type("ServiceRequest")
    if len(requests) != 1:
        raise MissingSourceError(
            f"the input holds {len(requests)} ServiceRequests and no MessageHeader.focus"
            " names the referral"
        )
    return requests[0]


def _claims_chronic_pain_condition(condition: Json) -> bool:
    """A reason Condition takes the chronic-pain-condition profile when it meets it (a
    chronic pain code, onset three months back or evidence, category, recordedDate); one
    that does not stays a plain Condition in the referral's supportingInfo."""
    claimed = {**condition, "meta": {"profile": [CHRONIC_PAIN_CONDITION_PROFILE]}}
    if any(issue.severity in ("error", "fatal") for issue in validate(claimed)):
        return False
    condition["meta"] = claimed["meta"]
    return True


def _canonical_request(
    ctx: FhirContext, carrier: Carrier, request: SourceResource, chronic_pain: set[str]
) -> Json:
    referral = carrier.copy(request)
    referral["meta"] = {"profile": [REFERRAL_PROFILE]}
    referral["identifier"] = _with_placer_first(request, referral.get("identifier") or [])
    referral["intent"] = "order"  # the profile's fixed code: a referral is an order
    categories = referral.get("category") or []
    if not any(_has_coding(c, REFERRAL_CATEGORY) for c in categories):
        referral["category"] = [REFERRAL_CATEGORY, *categories]
    if "authoredOn" not in referral:
        referral["authoredOn"] = _message_time(carrier.source) or _missing(
            f"{request.path}.authoredOn"
        )
    if "requester" not in referral:
        referral["requester"] = _header_party(carrier, "sender") or _missing(
            f"{request.path}.requester"
        )
    _split_reasons(carrier, request, referral, chronic_pain)
    return referral


def _with_placer_first(request: SourceResource, identifiers: list[Json]) -> list[Json]:
    """The sender's number for the referral, typed PLAC (the profile's placer slice), first."""
    placer = next((i for i in identifiers if _is_placer(i)), None) or next(
        (i for i in identifiers if i.get("system") and i.get("value")), None
    )
    if placer is None:
        _missing(f"{request.path}.identifier (the sender's referral number, system and value)")
    assert placer is not None
    if not _is_placer(placer):
        codings = (placer.get("type") or {}).get("coding", [])
        placer["type"] = {**placer.get("type", {}), "coding": [*PLACER["coding"], *codings]}
    return [placer, *(i for i in identifiers if i is not placer)]


def _is_placer(identifier: Json) -> bool:
    return _has_coding(identifier.get("type") or {}, PLACER)


def _has_coding(concept: Json, pattern: Json) -> bool:
    """Whether `concept` holds the coding of the profile's pattern (its system and code)."""
    wanted = pattern["coding"][0]
    return any(
        c.get("system") == wanted["system"] and c.get("code") == wanted["code"]
        for c in concept.get("coding", [])
    )


def _split_reasons(
    carrier: Carrier, request: SourceResource, referral: Json, chronic_pain: set[str]
) -> None:
    """Reason Conditions that are not chronic-pain-conditions (as the profile's
    reasonReference asks) move to supportingInfo, their codes to reasonCode."""
    kept, moved = [], []
    source_reasons = request.resource.get("reasonReference") or []
    for original, rewritten in zip(
        source_reasons, referral.get("reasonReference") or [], strict=True
    ):
        found = carrier.source.resolve(original)
        if found is None or found.type != "Condition" or found.path in chronic_pain:
            kept.append(rewritten)
        else:
            moved.append((found, rewritten))
    if not moved:
        return
    codes = [carrier.copy(found)["code"] for found, _ in moved if "code" in found.resource]
    referral.pop("reasonReference")
    for key, values in (
        ("reasonReference", kept),
        ("reasonCode", [*referral.pop("reasonCode", []), *codes]),
        ("supportingInfo", [*referral.pop("supportingInfo", []), *(r for _, r in moved)]),
    ):
        if values:
            referral[key] = values


def _owner(carrier: Carrier, request: SourceResource, referral: Json) -> Json:
    """Who the referral is sent to: the first performer that is an organisation or
    practitioner, else the message's receiver."""
    for original, rewritten in zip(
        request.resource.get("performer") or [], referral.get("performer") or [], strict=True
    ):
        found = carrier.source.resolve(original)
        if found is not None and found.type in _TASK_OWNERS:
            return dict(rewritten)
    receiver = _header_party(carrier, "receiver")
    return receiver or _missing(f"{request.path}.performer (the clinic the referral is for)")


def _header_party(carrier: Carrier, role: str) -> Json | None:
    """The MessageHeader's sender, or its first destination's receiver, when the input
    carries it."""
    header = carrier.source.header or {}
    destinations = header.get("destination") or [{}]
    party = header.get("sender") if role == "sender" else destinations[0].get("receiver")
    found = carrier.source.resolve(party)
    if found is None or not carrier.carried(found):
        return None
    return carrier.reference(found)


def _message_time(source: SourceBundle) -> str | None:
    timestamp = source.source.get("timestamp") if source.header is not None else None
    return timestamp if isinstance(timestamp, str) else None


def _missing(what: str) -> Json:
    raise MissingSourceError(f"{what} is required and absent")
