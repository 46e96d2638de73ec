"""The part of a patient's record the opioid checks read, fetched through the store's search
— inside the write session during a write, so the checks see the transaction's own writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from painfhir.fhir.codec import parse_json
from painfhir.search.query import MAX_PAGE, SearchQuery, parse_query
from painfhir.store import SearchPage

Json = dict[str, Any]
PDMP_REVIEW = "461621000124108"  # SNOMED CT: prescription drug monitoring program reviewed


class Searcher(Protocol):
    """A Store, or a WriteSession: both search."""

    def search(self, query: SearchQuery) -> SearchPage: ...


@dataclass(slots=True)
class PatientRecord:
    patient: Json | None
    medication_requests: list[Json] = field(default_factory=list)
    medications: dict[str, Json] = field(default_factory=dict)  # "Medication/id" → resource
    conditions: list[Json] = field(default_factory=list)
    procedures: list[Json] = field(default_factory=list)
    observations: list[Json] = field(default_factory=list)  # PDMP reviews
    service_requests: list[Json] = field(default_factory=list)
    care_plans: list[Json] = field(default_factory=list)


def _search_all(
    searcher: Searcher, res_type: str, items: list[tuple[str, str]]
) -> tuple[list[Json], list[Json]]:
    """Every match (page after page) and everything they include."""
    query = parse_query(res_type, [*items, ("_count", str(MAX_PAGE))], strict=True)
    matches: list[Json] = []
    included: list[Json] = []
    while True:
        page = searcher.search(query)
        matches += [parse_json(v.content) for v in page.matches if v.content is not None]
        included += [parse_json(v.content) for v in page.included if v.content is not None]
        if page.next_cursor is None:
            return matches, included
        query.cursor = page.next_cursor


def medication_requests(searcher: Searcher, patient_id: str) -> tuple[list[Json], dict[str, Json]]:
    """The patient's MedicationRequests, and the Medications they refer to by reference."""
    subject = ("subject", f"Patient/{patient_id}")
    requests, medications = _search_all(
        searcher, "MedicationRequest", [subject, ("_include", "MedicationRequest:medication")]
    )
    return requests, {f"Medication/{m['id']}": m for m in medications}


def patient_record(
    searcher: Searcher,
    patient_id: str,
    prescriptions: tuple[list[Json], dict[str, Json]] | None = None,
) -> PatientRecord:
    """`prescriptions`: the patient's `medication_requests`, when the caller has them already."""
    subject = ("subject", f"Patient/{patient_id}")
    patients, _ = _search_all(searcher, "Patient", [("_id", patient_id)])
    requests, medications = prescriptions or medication_requests(searcher, patient_id)
    pdmp = ("code", f"http://snomed.info/sct|{PDMP_REVIEW}")
    return PatientRecord(
        patient=patients[0] if patients else None,
        medication_requests=requests,
        medications=medications,
        conditions=_search_all(searcher, "Condition", [subject])[0],
        procedures=_search_all(searcher, "Procedure", [subject])[0],
        observations=_search_all(searcher, "Observation", [subject, pdmp])[0],
        service_requests=_search_all(searcher, "ServiceRequest", [subject])[0],
        care_plans=_search_all(searcher, "CarePlan", [subject])[0],
    )
