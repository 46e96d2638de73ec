"""A sender's referral — a ServiceRequest with its patient, requester, conditions,
insurance and prior results, in a transaction Bundle, a message Bundle or contained — as
painfhir's canonical referral: the ServiceRequest on the `pain-referral` profile, its
context carried alongside, and the referral Task the clinic starts (BSeR 2.0, received)."""

from __future__ import annotations

from typing import NoReturn

from painfhir.mapping._canonical import (
    CHRONIC_PAIN_CONDITION_PROFILE,
    PLACER,
    REFERRAL_CATEGORY,
    REFERRAL_PROFILE,
    received_referral_task,
    referral_task_criteria,
)
from painfhir.mapping._context import FhirContext
from painfhir.mapping._errors import InvalidValueError, MissingSourceError
from painfhir.mapping.fhirdialect._carry import Carrier, translated_system
from painfhir.mapping.fhirdialect._source import (
    Json,
    SourceBundle,
    SourceResource,
    array,
    objects,
)
from painfhir.validation.validator import validate

# what a referral package holds, carried whether the referral refers to it or not (with
# whatever these refer to: a Medication, a Location, a HealthcareService)
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
# never carried: the raw message stays in the message log, and the clinic starts its own Task
_LEFT_OUT = frozenset({"MessageHeader", "Task"})
_TASK_OWNERS = ("Organization", "PractitionerRole", "Practitioner")


def map_referral(ctx: FhirContext) -> None:
    """The rules of a referral dialect: the referral ServiceRequest (the MessageHeader's
    focus, else the input's only ServiceRequest) and everything it comes with."""
    source = SourceBundle(ctx.source)
    _check_header(source)
    request = _referral_request(source)
    placer_index = _placer_index(request)
    # what has no identifier of its own is keyed under the sender's number for the referral
    number = objects(request.resource["identifier"])[placer_index]
    scope = (translated_system(ctx, number["system"]), number["value"])
    carrier = Carrier(ctx, source, REFERRAL_PACKAGE, scope, _LEFT_OUT)
    reasons = [source.resolve(r, request) for r in objects(request.resource.get("reasonReference"))]
    chronic_pain: set[str] = set()
    for found in source.resources:
        if not carrier.carried(found) or carrier.repeated(found) or found is request:
            continue
        resource = carrier.copy(found)
        if found in reasons and _claims_chronic_pain_condition(resource):
            chronic_pain.add(found.path)
        ctx.add(resource)
    referral = _canonical_request(ctx, carrier, request, placer_index, chronic_pain)
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


def _check_header(source: SourceBundle) -> None:
    """The MessageHeader is not carried, but the sender, the event and the focus are read
    from it — by the rules, the message log and the client configuration: one that is not
    valid R4 (a `source` that is a string) is the sender's to correct, not read as far as
    it goes."""
    if source.header is None:
        return
    for issue in validate(source.header):
        if issue.severity in ("error", "fatal"):
            where = (issue.expression or "MessageHeader").removeprefix("MessageHeader")
            raise InvalidValueError(f"Bundle.entry[0].resource{where}: {issue.diagnostics}")


def _referral_request(source: SourceBundle) -> SourceResource:
    focus = objects((source.header or {}).get("focus"))
    found = source.resolve(focus[0]) if focus else None
    if found is not None and found.type == "Task":
        found = source.resolve(found.resource.get("focus"), found)
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
    ctx: FhirContext,
    carrier: Carrier,
    request: SourceResource,
    placer_index: int,
    chronic_pain: set[str],
) -> Json:
    referral = carrier.copy(request, leave=("intent",))
    referral["meta"] = {"profile": [REFERRAL_PROFILE]}
    referral["identifier"] = _with_placer_first(objects(referral["identifier"]), placer_index)
    # The profile's fixed code: a referral is an order. A sender's other intent (proposal,
    # plan) is not read, so the trace lists it among what no rule used.
    if request.resource.get("intent") == "order":
        ctx.get(f"{request.path}.intent", "order")
    referral["intent"] = "order"
    categories = referral.get("category") or []
    if not any(_has_coding(c, REFERRAL_CATEGORY) for c in objects(categories)):
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


def _placer_index(request: SourceResource) -> int:
    """Which of the request's identifiers is the sender's number for the referral: the one
    typed PLAC, else the first with system and value. One typed PLAC without both is an
    error rather than passed over: the sender says that is its number, and another would
    key the referral, and its Task, on a number the sender does not know it by."""
    identifiers = objects(request.resource.get("identifier"))
    typed = [n for n, identifier in enumerate(identifiers) if _is_placer(identifier)]
    if typed:
        for part in ("system", "value"):
            if not _filled(identifiers[typed[0]].get(part)):
                _missing(f"{request.path}.identifier[{typed[0]}].{part} (of the PLAC identifier)")
        return typed[0]
    for n, identifier in enumerate(identifiers):
        if _filled(identifier.get("system")) and _filled(identifier.get("value")):
            return n
    _missing(f"{request.path}.identifier (the sender's referral number, system and value)")


def _with_placer_first(identifiers: list[Json], placer_index: int) -> list[Json]:
    """The sender's number for the referral, typed PLAC (the profile's placer slice), first."""
    placer = identifiers[placer_index]
    if not _is_placer(placer):
        concept = placer.get("type")
        concept = concept if isinstance(concept, dict) else {}
        placer["type"] = {**concept, "coding": [*PLACER["coding"], *array(concept.get("coding"))]}
    return [placer, *(i for i in identifiers if i is not placer)]


def _is_placer(identifier: Json) -> bool:
    concept = identifier.get("type")
    return isinstance(concept, dict) and _has_coding(concept, PLACER)


def _has_coding(concept: Json, pattern: Json) -> bool:
    """Whether `concept` holds the coding of the profile's pattern (its system and code)."""
    wanted = pattern["coding"][0]
    return any(
        c.get("system") == wanted["system"] and c.get("code") == wanted["code"]
        for c in objects(concept.get("coding"))
    )


def _filled(value: object) -> bool:
    return isinstance(value, str) and bool(value)


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
        found = carrier.source.resolve(original, request)
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
        found = carrier.source.resolve(original, request)
        if found is not None and found.type in _TASK_OWNERS:
            return dict(rewritten)
    receiver = _header_party(carrier, "receiver")
    return receiver or _missing(f"{request.path}.performer (the clinic the referral is for)")


def _header_party(carrier: Carrier, role: str) -> Json | None:
    """The MessageHeader's sender, or its first destination's receiver, when the input
    carries it."""
    header = carrier.source.header or {}
    destinations = objects(header.get("destination")) or [{}]
    party = header.get("sender") if role == "sender" else destinations[0].get("receiver")
    found = carrier.source.resolve(party)
    if found is None or not carrier.carried(found):
        return None
    return carrier.reference(found)


def _message_time(source: SourceBundle) -> str | None:
    timestamp = source.source.get("timestamp") if source.header is not None else None
    return timestamp if isinstance(timestamp, str) else None


def _missing(what: str) -> NoReturn:
    raise MissingSourceError(f"{what} is required and absent")
