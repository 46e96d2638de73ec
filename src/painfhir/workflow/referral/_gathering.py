"""Gathering a referral package from the store: what the referral references, and what is
on file for its patient (a Coverage or prior records may come apart from the referral)."""

from __future__ import annotations

from typing import Any

from painfhir.fhir.codec import parse_json
from painfhir.interactions.reactions import shared_notes
from painfhir.store import WriteSession
from painfhir.workflow.referral._lookup import local_reference, resolve
from painfhir.workflow.referral._referral_package import ReferralPackage

Json = dict[str, Any]
# How many of a patient's records of one type the check reads: enough to know some exist.
_ON_FILE = 20
# Observations count only when sent as supportingInfo: a patient's vital signs are no work-up.
_RECORD_TYPES = (
    "DiagnosticReport",
    "ImagingStudy",
    "Procedure",
    "MedicationStatement",
    "MedicationRequest",
)
_ON_FILE_LINKS = (("Coverage", "beneficiary"), *((t, "patient") for t in _RECORD_TYPES))


def _resolved(
    session: WriteSession, references: list[Any], res_type: str | None = None
) -> list[Json]:
    found = [resolve(session, reference) for reference in references]
    return [r for r in found if r is not None and res_type in (None, r.get("resourceType"))]


def _parties_of(session: WriteSession, requester: Json | None) -> list[Json]:
    if requester is None or requester.get("resourceType") != "PractitionerRole":
        return []
    return _resolved(session, [requester.get("practitioner"), requester.get("organization")])


def referral_package(session: WriteSession, request: Json) -> ReferralPackage:
    """The package of one referral, as the store holds it now."""
    requester = resolve(session, request.get("requester"))
    package = ReferralPackage(
        referral=request,
        conditions=_resolved(session, request.get("reasonReference") or [], "Condition"),
        coverages=_resolved(session, request.get("insurance") or [], "Coverage"),
        requester=requester,
        requester_parties=_parties_of(session, requester),
        records=_resolved(session, request.get("supportingInfo") or []),
    )
    subject = local_reference(request.get("subject"))
    if subject is not None and subject[0] == "Patient":
        coverages, records = _patient_on_file(session, subject[1])
        package.patient_coverages = list(coverages)
        package.records += records
    return package


def _patient_on_file(session: WriteSession, patient_id: str) -> tuple[list[Json], list[Json]]:
    """The patient's Coverages and prior records, read once per write or Bundle (in one
    query): a package resource rechecks every open referral of its patient, and they share
    these."""
    read: dict[str, tuple[list[Json], list[Json]]] = shared_notes().setdefault(
        "patient on file", {}
    )
    if patient_id not in read:
        found = session.find_linked(("Patient", patient_id), _ON_FILE_LINKS, _ON_FILE)
        by_type: dict[str, list[Json]] = {}
        for version in found:
            if version.content is not None:
                by_type.setdefault(version.res_type, []).append(parse_json(version.content))
        records = [record for t in _RECORD_TYPES for record in by_type.get(t, [])]
        read[patient_id] = (by_type.get("Coverage", []), records)
    return read[patient_id]
