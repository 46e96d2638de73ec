"""What the patient's record shows, for each guideline check: concurrent benzodiazepines,
rescue naloxone, non-opioid therapy tried or planned, a recent PDMP review, and the
circumstances that exclude the checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from painfhir.workflow.opioids._exclusions import (
    exclusion_of_condition,
    is_palliative_care,
    is_substance_misuse,
)
from painfhir.workflow.opioids._identification import identify
from painfhir.workflow.opioids._medication import Medication, codings_of, medication_of
from painfhir.workflow.opioids._mme import PAIN_MEDICATION_CATEGORY
from painfhir.workflow.opioids._other_medications import (
    BENZODIAZEPINE_INGREDIENTS,
    BENZODIAZEPINE_PRODUCTS,
    NALOXONE,
    NON_OPIOID_ANALGESIC_INGREDIENTS,
    NON_OPIOID_ANALGESIC_PRODUCTS,
    RESCUE_NALOXONE_PRODUCTS,
)
from painfhir.workflow.opioids._record import PDMP_REVIEW, Json, PatientRecord
from painfhir.workflow.opioids._therapies import SNOMED, is_non_opioid_therapy

_NOT_DONE = {"entered-in-error", "cancelled", "revoked", "not-done", "unknown"}


def reference_of(resource: Json) -> str:
    return f"{resource['resourceType']}/{resource.get('id')}"


def is_active_order(request: Json) -> bool:
    """A prescription in force: active, and an order rather than a proposal or plan."""
    return request.get("status") == "active" and request.get("intent") not in ("proposal", "plan")


def fhir_date(value: Any) -> date | None:
    """The (first) day of a FHIR date or dateTime: 2024, 2024-05, 2024-05-17T10:00:00Z."""
    if not isinstance(value, str) or len(value) < 4:
        return None
    text = {4: f"{value}-01-01", 7: f"{value}-01"}.get(len(value), value[:10])
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _all_codes(medication: Medication) -> set[str]:
    return {
        *medication.concept.rxnorm,
        *(c for i in medication.ingredients for c in i.concept.rxnorm),
    }


def _medications(record: PatientRecord, requests: list[Json]) -> Iterator[tuple[Json, Medication]]:
    for request in requests:
        medication = medication_of(request, record.medications)
        if isinstance(medication, Medication):
            yield request, medication


def active_orders(record: PatientRecord) -> list[Json]:
    return [r for r in record.medication_requests if is_active_order(r)]


def _named(medication: Medication, names: Iterable[str]) -> bool:
    """Whether the medication's text, displays or ingredients name one of `names`."""
    concepts = [medication.concept, *(i.concept for i in medication.ingredients)]
    return any(concept.named(name) for concept in concepts for name in names)


def _is_benzodiazepine(medication: Medication) -> bool:
    codes = _all_codes(medication)
    return bool(codes & (BENZODIAZEPINE_PRODUCTS | set(BENZODIAZEPINE_INGREDIENTS))) or _named(
        medication, BENZODIAZEPINE_INGREDIENTS.values()
    )


def benzodiazepines(record: PatientRecord) -> list[str]:
    """References of the patient's active benzodiazepine prescriptions."""
    return [
        reference_of(request)
        for request, medication in _medications(record, active_orders(record))
        if _is_benzodiazepine(medication)
    ]


def _is_rescue_naloxone(request: Json, medication: Medication) -> bool:
    if identify(medication):  # an opioid, possibly with naloxone: never a rescue
        return False
    ingredient_codes = {c for i in medication.ingredients for c in i.concept.rxnorm}
    return (
        bool(set(medication.concept.rxnorm) & (RESCUE_NALOXONE_PRODUCTS | {NALOXONE}))
        or ingredient_codes == {NALOXONE}
        or any(
            system == PAIN_MEDICATION_CATEGORY and code == "opioid-reversal"
            for category in request.get("category") or []
            for system, code in codings_of(category)
        )
    )


# A completed naloxone prescription was dispensed; the kit is taken to be still at hand for
# a year (its usual shelf life is longer, but a yearly offer keeps the patient reminded).
NALOXONE_KEPT_DAYS = 365


def _naloxone_at_hand(request: Json, today: date) -> bool:
    """Active, or completed (dispensed) and written in the last NALOXONE_KEPT_DAYS days."""
    if is_active_order(request):
        return True
    written = fhir_date(request.get("authoredOn"))
    return (
        request.get("status") == "completed"
        and written is not None
        and today - timedelta(days=NALOXONE_KEPT_DAYS) <= written <= today
    )


def rescue_naloxone(record: PatientRecord, today: date) -> list[str]:
    """References of naloxone prescriptions offered: active ones, and recent completed ones."""
    return [
        reference_of(request)
        for request, medication in _medications(record, record.medication_requests)
        if _naloxone_at_hand(request, today) and _is_rescue_naloxone(request, medication)
    ]


def _is_non_opioid_analgesic(medication: Medication) -> bool:
    if identify(medication):
        return False
    codes = _all_codes(medication)
    if codes & (NON_OPIOID_ANALGESIC_PRODUCTS | set(NON_OPIOID_ANALGESIC_INGREDIENTS)):
        return True
    return _named(medication, NON_OPIOID_ANALGESIC_INGREDIENTS.values())


def _therapy_codes(resource: Json) -> Iterator[tuple[str | None, str]]:
    if resource["resourceType"] == "CarePlan":
        for activity in resource.get("activity") or []:
            detail = activity.get("detail") or {}
            if detail.get("status") not in _NOT_DONE:
                yield from codings_of(detail.get("code"))
    else:
        yield from codings_of(resource.get("code"))


def non_opioid_therapies(record: PatientRecord) -> list[str]:
    """References of non-opioid therapy tried or planned: medications, services, procedures."""
    found = [
        reference_of(request)
        for request, medication in _medications(record, record.medication_requests)
        if request.get("status") not in _NOT_DONE and _is_non_opioid_analgesic(medication)
    ]
    for resource in [*record.service_requests, *record.procedures, *record.care_plans]:
        if resource.get("status") in _NOT_DONE:
            continue
        if any(is_non_opioid_therapy(system, code) for system, code in _therapy_codes(resource)):
            found.append(reference_of(resource))
    return found


def _when_done(resource: Json) -> date | None:
    period = resource.get("performedPeriod") or resource.get("effectivePeriod") or {}
    return fhir_date(
        resource.get("performedDateTime")
        or resource.get("effectiveDateTime")
        or period.get("end")
        or period.get("start")
        or resource.get("issued")
    )


def recent_pdmp_reviews(record: PatientRecord, today: date) -> list[str]:
    """PDMP reviews (Procedure or Observation) in the 90 days up to today."""
    since = today - timedelta(days=90)
    return [
        reference_of(resource)
        for resource in [*record.procedures, *record.observations]
        if resource.get("status") not in _NOT_DONE
        and (SNOMED, PDMP_REVIEW) in set(codings_of(resource.get("code")))
        and (done := _when_done(resource)) is not None
        and since <= done <= today
    ]


def _age(record: PatientRecord, today: date) -> int | None:
    born = fhir_date((record.patient or {}).get("birthDate"))
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _is_current_condition(condition: Json) -> bool:
    clinical = {code for _, code in codings_of(condition.get("clinicalStatus"))}
    verification = {code for _, code in codings_of(condition.get("verificationStatus"))}
    return (not clinical or bool(clinical & {"active", "recurrence", "relapse"})) and not (
        verification & {"refuted", "entered-in-error"}
    )


def exclusions(record: PatientRecord, today: date) -> list[str]:
    """Why the long-term opioid checks do not apply to this patient (empty: they do)."""
    found: set[str] = set()
    age = _age(record, today)
    if age is not None and age < 18:
        found.add(f"a patient under 18 (aged {age})")
    for condition in record.conditions:
        if _is_current_condition(condition):
            for system, code in codings_of(condition.get("code")):
                reason = exclusion_of_condition(system, code)
                if reason is not None:
                    found.add(reason)
    for resource in [*record.service_requests, *record.procedures, *record.care_plans]:
        codes = [*codings_of(resource.get("code")), *_care_plan_categories(resource)]
        if resource.get("status") not in _NOT_DONE | {"completed"} and any(
            is_palliative_care(system, code) for system, code in codes
        ):
            found.add("palliative or end-of-life care")
    return sorted(found)


def _care_plan_categories(resource: Json) -> Iterator[tuple[str | None, str]]:
    for category in resource.get("category") or []:
        yield from codings_of(category)


def substance_misuse(record: PatientRecord) -> bool:
    """A history of substance misuse: any such Condition, resolved ones too, unless refuted."""
    return any(
        is_substance_misuse(system, code)
        for condition in record.conditions
        if not {c for _, c in codings_of(condition.get("verificationStatus"))}
        & {"refuted", "entered-in-error"}
        for system, code in codings_of(condition.get("code"))
    )
