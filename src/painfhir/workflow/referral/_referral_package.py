"""A referral package — the referral and what came with it or is on file for its patient —
and the facts the intake criteria read from it: its codes, its dates, its words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

Json = dict[str, Any]
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# A code table: system → code prefixes (an ICD-10-CM category stands for its subcodes).
CodeTable = Mapping[str, tuple[str, ...]]


@dataclass(slots=True)
class ReferralPackage:
    """A referral and what came with it or is on file for the patient, resolved."""

    referral: Json
    conditions: list[Json] = field(default_factory=list)  # the reasonReference Conditions
    coverages: list[Json] = field(default_factory=list)  # SR.insurance, resolved
    patient_coverages: list[Json] = field(default_factory=list)
    requester: Json | None = None  # the requester, when it is stored here
    # A PractitionerRole requester's practitioner and organization: its phone may be theirs.
    requester_parties: list[Json] = field(default_factory=list)
    records: list[Json] = field(default_factory=list)  # supportingInfo + the patient's records


def codings(concepts: list[Json]) -> list[Json]:
    return [coding for concept in concepts for coding in concept.get("coding") or []]


def matches(found: list[Json], table: CodeTable) -> bool:
    return any(
        isinstance(c.get("code"), str)
        and any(c["code"].startswith(prefix) for prefix in table.get(c.get("system", ""), ()))
        for c in found
    )


def reason_codings(package: ReferralPackage) -> list[Json]:
    """The codes of why the patient is referred: reasonCode and the reason Conditions'."""
    concepts = list(package.referral.get("reasonCode") or [])
    concepts += [c["code"] for c in package.conditions if isinstance(c.get("code"), dict)]
    return codings(concepts)


def day(text: Any) -> date | None:
    """The day a FHIR date or dateTime falls on (a year or month: its first day)."""
    if not isinstance(text, str) or len(text) < 4:
        return None
    try:
        return date.fromisoformat((text + "-01-01")[:10] if len(text) < 10 else text[:10])
    except ValueError:
        return None


def referral_day(referral: Json) -> date:
    return day(referral.get("authoredOn")) or date.today()


def referral_texts(package: ReferralPackage) -> list[str]:
    """What the referrer wrote: the notes, the reasons' texts, the Conditions' notes."""
    referral = package.referral
    texts = [n.get("text") for n in referral.get("note") or []]
    texts += [c.get("text") for c in referral.get("reasonCode") or []]
    for condition in package.conditions:
        texts += [n.get("text") for n in condition.get("note") or []]
        texts.append(condition.get("onsetString"))
    return [t for t in texts if isinstance(t, str)]
