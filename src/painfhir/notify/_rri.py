"""A referral Task's change as an HL7 v2.5.1 RRI^I12 (return referral information), for
referring EHRs that speak HL7 v2 only. Pure: resources in, message bytes out.

    MSH  painfhir → the referring facility; MSH-7 and MSH-10 come from the `Envelope`
    RF1  RF1-1 the status (table 0283, through the ConceptMap, with the exact BSeR code as
         the alternate identifier), RF1-2 priority (0280), RF1-6 the placer's referral
         number, RF1-9 when the change happened, RF1-11 the clinic's (filler) number
    PRD  RP the referring provider, RT the clinic
    PID  the patient
    NTE  why (a decline, a cancellation: comment type 1R), the appointment booked, notes and
         results (consult note, care plan) added by this change (comment type RE)

RRI_I12 has no MSA here: it is sent unsolicited, on each change, long after the REF^I12's
own acknowledgement. It has no SCH/AIL either (those belong to the scheduling messages, SIU),
so the booked initial consultation travels as an NTE that gives its start as FHIR writes it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from painfhir.notify import _v2_datatypes as v2
from painfhir.notify._tables import (
    BUSINESS_STATUS,
    GENDER,
    REFERRAL_PRIORITY,
    REFERRAL_STATUS,
    REQUEST_PRIORITY,
    SEX,
    translate,
)

Json = dict[str, Any]
IDENTIFIER_TYPES = "http://terminology.hl7.org/CodeSystem/v2-0203"
_BSER_CODING_SYSTEM = "99BSER"  # HL7 table 0396: 99zzz names a locally agreed coding system
_PRIMARY_REASON = v2.coded("1R", "Primary Reason", "0364")
_REMARK = v2.coded("RE", "Remark", "0364")
_FILLER_NAMESPACE = "painfhir"
_STATUS_REASON_STATES = frozenset({"4.0", "5.1.3", "5.2", "6.0"})


@dataclass(frozen=True, slots=True)
class Party:
    """Who stands behind a reference: the person (Practitioner) and the organization they
    act for, as far as they are known."""

    person: Json | None = None
    organization: Json | None = None
    display: str = ""  # the reference's display, when nothing could be read


@dataclass(frozen=True, slots=True)
class ReferralChange:
    """One version of a referral Task and what the message about it needs."""

    task: Json  # the version to tell about, with its id and meta.lastUpdated
    previous: Json | None  # the version before it: what this change added
    referral: Json | None  # the ServiceRequest in Task.focus
    patient: Json | None
    requester: Party
    clinic: Party
    appointment: Json | None = None  # the booked initial consultation, for 5.1.1


@dataclass(frozen=True, slots=True)
class Envelope:
    """What differs from one sending of the same change to the next."""

    control_id: str
    sent_at: datetime
    receiving_application: str = ""


def business_status(task: Json) -> Json | None:
    """The Task's BSeR business status Coding."""
    for coding in task.get("businessStatus", {}).get("coding", []):
        if coding.get("system") == BUSINESS_STATUS:
            found: Json = coding
            return found
    return None


def _segment(*fields: str) -> str:
    return v2.DELIMITERS.field.join(fields).rstrip(v2.DELIMITERS.field)


def _msh(change: ReferralChange, envelope: Envelope) -> str:
    sent_at = envelope.sent_at.astimezone(UTC).strftime("%Y%m%d%H%M%S") + "+0000"
    clinic, requester = change.clinic, change.requester
    return _segment(
        "MSH",
        v2.DELIMITERS.encoding_characters,
        "painfhir",
        v2.organization_hd(clinic.organization, clinic.display),
        v2.text(envelope.receiving_application),
        v2.organization_hd(requester.organization, requester.display),
        sent_at,
        "",
        "RRI^I12^RRI_I12",
        v2.text(envelope.control_id),
        "P",
        "2.5.1",
        *[""] * 5,
        "UNICODE UTF-8",
    )


def _identifier(resources: list[Json | None], kind: str) -> Json | None:
    """The first PLAC or FILL identifier of the resources, in their order."""
    for resource in resources:
        for identifier in (resource or {}).get("identifier", []):
            for coding in identifier.get("type", {}).get("coding", []):
                if coding.get("system") == IDENTIFIER_TYPES and coding.get("code") == kind:
                    found: Json = identifier
                    return found
    return None


def _referral_status(task: Json) -> str:
    """RF1-1: table 0283's status, and the BSeR code it stands for as the alternate."""
    bser = business_status(task) or {}
    status = translate(BUSINESS_STATUS, bser.get("code"), REFERRAL_STATUS)
    if status is None:
        raise ValueError(f"no HL7 table 0283 status for BSeR business status {bser.get('code')!r}")
    return v2.components(
        v2.text(status["code"]),
        v2.text(status.get("display")),
        "HL70283",
        v2.text(bser.get("code")),
        v2.text(bser.get("display")),
        _BSER_CODING_SYSTEM,
    )


def _rf1(change: ReferralChange) -> str:
    task, referral = change.task, change.referral
    placer = _identifier([task, referral], "PLAC")
    if placer is None:
        raise ValueError("the referral has no placer (PLAC) identifier for RF1-6")
    filler = _identifier([task, referral], "FILL")
    filler_ei = (
        v2.entity_identifier(filler)
        if filler is not None
        else v2.components(v2.text(task["id"]), _FILLER_NAMESPACE)
    )
    priority = translate(REQUEST_PRIORITY, (referral or {}).get("priority"), REFERRAL_PRIORITY)
    return _segment(
        "RF1",
        _referral_status(task),
        v2.coded(priority["code"], priority.get("display", ""), "0280") if priority else "",
        "",
        "",
        "",
        v2.entity_identifier(placer),
        "",
        "",
        v2.timestamp(task.get("meta", {}).get("lastUpdated")),
        "",
        filler_ei,
    )


def _prd(role: str, role_name: str, party: Party) -> str:
    person, organization = party.person or {}, party.organization or {}
    names = v2.repetitions([v2.person_name(name) for name in person.get("name", [])])
    if not person and not organization:  # only the reference's display to go on
        names = v2.text(party.display)
    addresses = person.get("address") or organization.get("address") or []
    identifiers = [v2.text(i.get("value")) for i in person.get("identifier", []) if i.get("value")]
    return _segment(
        "PRD",
        v2.coded(role, role_name, "0286"),
        names,
        v2.address(addresses[0]) if addresses else "",
        v2.components("", "", "", v2.text(organization.get("name"))),
        "",
        "",
        v2.repetitions(identifiers),
    )


def _pid(patient: Json | None) -> str:
    patient = patient or {}
    gender = translate(GENDER, patient.get("gender"), SEX)
    return _segment(
        "PID",
        "1",
        "",
        v2.repetitions([v2.extended_identifier(i) for i in patient.get("identifier", [])]),
        "",
        v2.repetitions([v2.person_name(name) for name in patient.get("name", [])]),
        "",
        v2.timestamp(patient.get("birthDate")),
        v2.text(gender["code"]) if gender else "",
    )


def _concept_text(concept: Json) -> str:
    codings = concept.get("coding", [])
    first = codings[0] if codings else {}
    return str(concept.get("text") or first.get("display") or first.get("code") or "")


def _added(current: list[Json], earlier: list[Json]) -> list[Json]:
    return [item for item in current if item not in earlier]


def _output_text(output: Json) -> str:
    kind = _concept_text(output.get("type", {}))
    value = output.get("valueReference", {})
    what = value.get("reference", "")
    if value.get("display"):
        what = f"{value['display']} ({what})" if what else value["display"]
    return f"{kind}: {what}" if kind else what


def _appointment_text(appointment: Json) -> str:
    with_whom = [
        p["actor"]["display"]
        for p in appointment.get("participant", [])
        if p.get("actor", {}).get("display")
    ]
    when = f"Initial consultation booked for {appointment.get('start', '')}"
    return f"{when} with {', '.join(with_whom)}" if with_whom else when


def _notes(change: ReferralChange) -> list[tuple[str, str]]:
    """(comment, comment type) of each NTE, in the order they go out."""
    task, previous = change.task, change.previous or {}
    code = (business_status(task) or {}).get("code")
    notes: list[tuple[str, str]] = []
    if code in _STATUS_REASON_STATES and task.get("statusReason"):
        notes.append((_concept_text(task["statusReason"]), _PRIMARY_REASON))
    if code == "5.1.1" and change.appointment is not None:
        notes.append((_appointment_text(change.appointment), _REMARK))
    outputs = task.get("output", [])
    shown = outputs if code == "7.0" else _added(outputs, previous.get("output", []))
    notes.extend((_output_text(output), _REMARK) for output in shown)
    for note in _added(task.get("note", []), previous.get("note", [])):
        notes.append((str(note.get("text", "")), _REMARK))
    return [(comment, kind) for comment, kind in notes if comment]


def rri_i12(change: ReferralChange, envelope: Envelope) -> bytes:
    """The RRI^I12 telling the referring side about `change`; ValueError when the Task is
    not a referral this message can describe (no BSeR status, no placer number)."""
    segments = [
        _msh(change, envelope),
        _rf1(change),
        _prd("RP", "Referring Provider", change.requester),
        _prd("RT", "Referred to Provider", change.clinic),
        _pid(change.patient),
    ]
    segments.extend(
        _segment("NTE", str(number), "L", v2.text(comment), kind)
        for number, (comment, kind) in enumerate(_notes(change), start=1)
    )
    return "".join(f"{segment}\r" for segment in segments).encode("utf-8")
