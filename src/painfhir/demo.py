"""Demo data for `painfhir serve --demo`: three realistic pain-clinic referral packages.

Each referral is one FHIR R4 transaction Bundle, as a referring hospital's EHR would send it
(BSeR-style): the Patient, the referring Practitioner and hospital, the chronic pain Conditions,
the Coverage and its payer, prior records (imaging, therapy, medication) and the referral
`ServiceRequest` itself. Everything is fictional: hospitals and payers live under the reserved
`.example` domain, phone numbers are in the 555-01xx range kept for fiction, and the NPIs are
made up (they only carry a valid check digit).

The data is the same on every run: `fullUrl`s are uuid5 of a fixed namespace and a name, and
every entry is a conditional create (`ifNoneExist` on its business identifier), so loading the
bundles twice creates nothing new. The three packages come from the `_REFERRALS` specs below,
through one builder per resource kind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

Resource = dict[str, Any]
Code = tuple[str, str]  # (code, display)

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NUCC = "http://nucc.org/provider-taxonomy"
NPI = "http://hl7.org/fhir/sid/us-npi"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
V2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074"
ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ORDERABLE_DRUG_FORM = "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm"
PAYER_ID = "https://payers.example/payer-id"

_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://painfhir.example/demo")


@dataclass(frozen=True, kw_only=True)
class _Org:
    key: str  # names its uuid and, for a hospital, its identifier systems
    name: str
    kind: str  # organization-type: prov (hospital, clinic) or pay (payer)
    id_system: str
    id_value: str
    city: str
    phone: str
    state: str = "CO"


@dataclass(frozen=True, kw_only=True)
class _Practitioner:
    npi: str
    family: str
    given: str
    phone: str
    specialty: Code  # NUCC taxonomy


@dataclass(frozen=True, kw_only=True)
class _Patient:
    mrn: str
    family: str
    given: tuple[str, ...]
    gender: str
    birth_date: str
    line: str
    city: str
    postal_code: str
    phone: str
    state: str = "CO"


@dataclass(frozen=True)
class _Condition:
    key: str
    snomed: Code | None  # None where no SNOMED concept is confirmed (the Z79.891 status code)
    icd10: tuple[Code, ...]
    text: str
    onset: str


@dataclass(frozen=True, kw_only=True)
class _Coverage:
    payer: _Org
    member_id: str
    plan_type: Code  # v3-ActCode health insurance policy type
    group: str
    start: str


@dataclass(frozen=True)
class _Imaging:
    key: str
    loinc: Code
    date: str
    conclusion: str


@dataclass(frozen=True)
class _Therapy:
    key: str
    snomed: Code
    start: str
    end: str
    outcome: str
    reason: str  # key of the _Condition it treated


@dataclass(frozen=True, kw_only=True)
class _Medication:
    key: str
    rxnorm: Code
    status: str  # active | completed | stopped
    start: str
    end: str | None = None
    dosage: str
    tablets: int  # per dose
    every_hours: int
    reason: str  # key of the _Condition it treats


@dataclass(frozen=True, kw_only=True)
class _Referral:
    key: str
    hospital: _Org
    practitioner: _Practitioner
    patient: _Patient
    coverage: _Coverage
    conditions: tuple[_Condition, ...]
    imaging: tuple[_Imaging, ...] = ()
    therapies: tuple[_Therapy, ...] = ()
    medications: tuple[_Medication, ...] = ()
    authored_on: str
    priority: str
    note: str


PAIN_CLINIC = _Org(
    key="painfhir-demo",
    name="painfhir demo pain clinic",
    kind="prov",
    id_system=NPI,
    id_value="1234567893",
    city="Denver",
    phone="303-555-0100",
)

_GABAPENTIN: Code = ("310431", "gabapentin 300 MG Oral Capsule")
_PHYSICAL_THERAPY: Code = ("91251008", "Physical therapy procedure")

_REFERRALS: tuple[_Referral, ...] = (
    _Referral(
        key="okafor",
        hospital=_Org(
            key="riverbend",
            name="Riverbend General Hospital",
            kind="prov",
            id_system=NPI,
            id_value="1538246178",
            city="Aurora",
            phone="303-555-0110",
        ),
        practitioner=_Practitioner(
            npi="1689753287",
            family="Carter",
            given="Helen",
            phone="303-555-0111",
            specialty=("207Q00000X", "Family Medicine Physician"),
        ),
        patient=_Patient(
            mrn="RB-100234",
            family="Okafor",
            given=("Daniel", "Chidi"),
            gender="male",
            birth_date="1968-03-14",
            line="1847 Juniper Court",
            city="Aurora",
            postal_code="80012",
            phone="303-555-0112",
        ),
        coverage=_Coverage(
            payer=_Org(
                key="cascade",
                name="Cascade Mutual Health Plan",
                kind="pay",
                id_system=PAYER_ID,
                id_value="CMHP01",
                city="Boulder",
                phone="303-555-0113",
            ),
            member_id="CMH-88412007",
            plan_type=("PPO", "preferred provider organization policy"),
            group="GRP-4410",
            start="2024-01-01",
        ),
        conditions=(
            _Condition(
                "clbp",
                ("278860009", "Chronic low back pain"),
                (("M54.50", "Low back pain, unspecified"), ("G89.29", "Other chronic pain")),
                "Chronic low back pain",
                "2023-02-10",
            ),
            _Condition(
                "radiculopathy",
                ("128196005", "Lumbar radiculopathy"),
                (("M54.16", "Radiculopathy, lumbar region"),),
                "Left L4 lumbar radiculopathy",
                "2024-06-01",
            ),
        ),
        imaging=(
            _Imaging(
                "mri-lumbar",
                ("24968-0", "MR Lumbar spine"),
                "2024-08-20",
                "L4-L5 broad-based disc protrusion with moderate left foraminal stenosis "
                "contacting the exiting left L4 nerve root. Mild facet arthropathy L4-S1. "
                "No fracture, no cauda equina compression.",
            ),
        ),
        therapies=(
            _Therapy(
                "pt",
                _PHYSICAL_THERAPY,
                "2024-09-02",
                "2024-11-22",
                "12 sessions of core stabilisation and McKenzie exercises; "
                "minimal improvement in leg pain, home programme continued.",
                "clbp",
            ),
        ),
        medications=(
            _Medication(
                key="gabapentin",
                rxnorm=_GABAPENTIN,
                status="active",
                start="2024-07-01",
                dosage="300 mg by mouth three times daily",
                tablets=1,
                every_hours=8,
                reason="radiculopathy",
            ),
        ),
        authored_on="2026-09-15",
        priority="routine",
        note=(
            "58-year-old man with chronic low back pain since early 2023 and left L4 "
            "radicular leg pain since mid 2024. No improvement after 12 weeks of physical "
            "therapy and gabapentin 900 mg/day; NSAIDs stopped for gastritis. MRI shows L4-L5 "
            "protrusion with left foraminal stenosis. Please evaluate for interventional "
            "options (e.g. transforaminal epidural steroid injection) and multidisciplinary "
            "management. Pain 7/10, unable to work full shifts."
        ),
    ),
    _Referral(
        key="rahman",
        hospital=_Org(
            key="lakeside",
            name="Lakeside Community Hospital",
            kind="prov",
            id_system=NPI,
            id_value="1730582263",
            city="Lakewood",
            phone="303-555-0120",
        ),
        practitioner=_Practitioner(
            npi="1093817264",
            family="Nguyen",
            given="Samuel",
            phone="303-555-0121",
            specialty=("207RR0500X", "Rheumatology Physician"),
        ),
        patient=_Patient(
            mrn="LCH-552019",
            family="Rahman",
            given=("Aisha",),
            gender="female",
            birth_date="1984-11-02",
            line="406 Alder Street, Apt 3B",
            city="Lakewood",
            postal_code="80226",
            phone="303-555-0122",
        ),
        coverage=_Coverage(
            payer=_Org(
                key="northwind",
                name="Northwind Health Insurance",
                kind="pay",
                id_system=PAYER_ID,
                id_value="NWHI02",
                city="Denver",
                phone="303-555-0123",
            ),
            member_id="NWH-30177245",
            plan_type=("HMO", "health maintenance organization policy"),
            group="GRP-2087",
            start="2025-01-01",
        ),
        conditions=(
            _Condition(
                "fibromyalgia",
                ("203082005", "Fibromyalgia"),
                (("M79.7", "Fibromyalgia"),),
                "Fibromyalgia",
                "2022-05-01",
            ),
        ),
        therapies=(
            _Therapy(
                "pt",
                _PHYSICAL_THERAPY,
                "2025-03-03",
                "2025-05-23",
                "Graded aerobic and aquatic exercise programme, 10 sessions; "
                "tolerated, modest gain in activity, flares after exertion.",
                "fibromyalgia",
            ),
        ),
        medications=(
            _Medication(
                key="duloxetine",
                rxnorm=("596934", "duloxetine 60 MG Delayed Release Oral Capsule"),
                status="active",
                start="2024-10-01",
                dosage="60 mg by mouth once daily",
                tablets=1,
                every_hours=24,
                reason="fibromyalgia",
            ),
        ),
        authored_on="2026-10-06",
        priority="routine",
        note=(
            "41-year-old woman with widespread pain for over 4 years, fatigue and unrefreshing "
            "sleep; fibromyalgia diagnosed 2022. Inflammatory work-up negative (ANA, RF, CRP "
            "normal). Partial response to duloxetine 60 mg and a graded exercise programme. "
            "Requesting the multidisciplinary pain programme: CBT for pain, physical therapy "
            "and sleep management. She prefers to avoid opioids."
        ),
    ),
    _Referral(
        key="lindqvist",
        hospital=_Org(
            key="mesaverde",
            name="Mesa Verde Regional Medical Center",
            kind="prov",
            id_system=NPI,
            id_value="1861473928",
            city="Grand Junction",
            phone="970-555-0130",
        ),
        practitioner=_Practitioner(
            npi="1356284194",
            family="Raman",
            given="Priya",
            phone="970-555-0131",
            specialty=("207R00000X", "Internal Medicine Physician"),
        ),
        patient=_Patient(
            mrn="MVR-0098731",
            family="Lindqvist",
            given=("Robert", "Erik"),
            gender="male",
            birth_date="1959-07-21",
            line="92 Canyon View Road",
            city="Grand Junction",
            postal_code="81501",
            phone="970-555-0132",
        ),
        coverage=_Coverage(
            payer=_Org(
                key="sunrise",
                name="Sunrise Senior Health Plan",
                kind="pay",
                id_system=PAYER_ID,
                id_value="SSHP03",
                city="Pueblo",
                phone="719-555-0133",
            ),
            member_id="SSH-61520988",
            plan_type=("HIP", "health insurance plan policy"),
            group="GRP-7730",
            start="2024-07-01",
        ),
        conditions=(
            _Condition(
                "neuropathic",
                ("247398009", "Neuropathic pain"),
                (("M79.2", "Neuralgia and neuritis, unspecified"),),
                "Neuropathic pain, both feet",
                "2021-09-01",
            ),
            _Condition(
                "opioid-use",
                None,
                (("Z79.891", "Long term (current) use of opiate analgesic"),),
                "Long-term opioid therapy",
                "2022-03-01",
            ),
        ),
        therapies=(
            _Therapy(
                "pt",
                _PHYSICAL_THERAPY,
                "2022-01-10",
                "2022-03-04",
                "8 sessions of balance and gait training; falls reduced, "
                "burning foot pain unchanged.",
                "neuropathic",
            ),
        ),
        medications=(
            _Medication(
                key="oxycodone",
                rxnorm=("1049683", "oxycodone hydrochloride 10 MG Oral Tablet"),
                status="active",
                start="2022-03-01",
                dosage="10 mg by mouth every 6 hours",
                tablets=1,
                every_hours=6,
                reason="neuropathic",
            ),
            _Medication(
                key="gabapentin",
                rxnorm=_GABAPENTIN,
                status="stopped",
                start="2021-10-01",
                end="2022-02-15",
                dosage="300 mg by mouth three times daily; stopped for sedation",
                tablets=1,
                every_hours=8,
                reason="neuropathic",
            ),
        ),
        authored_on="2026-11-02",
        priority="urgent",
        note=(
            "67-year-old man with painful neuropathy of both feet since 2021, on oxycodone "
            "10 mg four times daily (60 MME/day) for over 4 years with rising requests for "
            "early refills. Gabapentin stopped for sedation. PDMP reviewed last month, single "
            "prescriber. Requesting opioid risk assessment, a taper plan and non-opioid "
            "alternatives; naloxone not yet prescribed."
        ),
    ),
)


# --- helpers ---------------------------------------------------------------------------------


def _urn(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, name)}"


def _coding(system: str, code: Code) -> dict[str, str]:
    return {"system": system, "code": code[0], "display": code[1]}


def _concept(system: str, code: Code) -> Resource:
    return {"coding": [_coding(system, code)]}


def _ref(url: str, display: str | None = None) -> Resource:
    return {"reference": url} | ({"display": display} if display else {})


def _identifier(system: str, value: str) -> Resource:
    return {"system": system, "value": value}


def _entry(full_url: str, resource: Resource) -> Resource:
    """A conditional-create entry: POSTed only if nothing has the resource's first identifier."""
    ident = resource["identifier"][0]
    return {
        "fullUrl": full_url,
        "resource": resource,
        "request": {
            "method": "POST",
            "url": resource["resourceType"],
            "ifNoneExist": f"identifier={ident['system']}|{ident['value']}",
        },
    }


@dataclass(frozen=True)
class _Package:
    """One referral spec and the fullUrls of the resources every other one points to."""

    spec: _Referral
    clinic: str  # "Organization/{id}": the clinic, stored before the bundles

    def url(self, name: str) -> str:
        return _urn(f"{self.spec.key}/{name}")

    @property
    def patient(self) -> str:
        return self.url("patient")

    @property
    def practitioner(self) -> str:
        return self.url("practitioner")

    @property
    def coverage(self) -> str:
        return self.url("coverage")

    @property
    def hospital(self) -> str:
        return _org_url(self.spec.hospital)

    def condition(self, key: str) -> str:
        return self.url(f"condition/{key}")

    @property
    def reasons(self) -> list[Resource]:
        return [_ref(self.condition(cond.key)) for cond in self.spec.conditions]

    def hospital_system(self, kind: str) -> str:
        """The referring hospital's identifier system for one kind of record."""
        return f"https://{self.spec.hospital.key}.example/fhir/sid/{kind}"

    def record_id(self, kind: str, key: str) -> Resource:
        """A record's identifier: the patient's MRN and a key, in the hospital's system."""
        return _identifier(self.hospital_system(kind), f"{self.spec.patient.mrn}-{key}")


def _org_url(org: _Org) -> str:
    # Not per referral: an organisation has one fullUrl in every bundle it appears in.
    return _urn(f"organization/{org.key}")


# --- one builder per resource kind -----------------------------------------------------------


def _organization(org: _Org) -> Resource:
    display = "Healthcare Provider" if org.kind == "prov" else "Payer"
    return {
        "resourceType": "Organization",
        "identifier": [_identifier(org.id_system, org.id_value)],
        "active": True,
        "type": [_concept(ORG_TYPE, (org.kind, display))],
        "name": org.name,
        "telecom": [{"system": "phone", "value": org.phone, "use": "work"}],
        "address": [{"city": org.city, "state": org.state, "country": "US"}],
    }


def _practitioner(doc: _Practitioner) -> Resource:
    return {
        "resourceType": "Practitioner",
        "identifier": [_identifier(NPI, doc.npi)],
        "active": True,
        "name": [{"family": doc.family, "given": [doc.given], "prefix": ["Dr."]}],
        "telecom": [{"system": "phone", "value": doc.phone, "use": "work"}],
        "qualification": [{"code": _concept(NUCC, doc.specialty)}],
    }


def _patient(pkg: _Package) -> Resource:
    pat = pkg.spec.patient
    mrn = _identifier(pkg.hospital_system("mrn"), pat.mrn)
    return {
        "resourceType": "Patient",
        "identifier": [
            {"use": "usual", "type": _concept(V2_0203, ("MR", "Medical record number"))} | mrn
        ],
        "active": True,
        "name": [{"use": "official", "family": pat.family, "given": list(pat.given)}],
        "telecom": [{"system": "phone", "value": pat.phone, "use": "mobile"}],
        "gender": pat.gender,
        "birthDate": pat.birth_date,
        "address": [
            {
                "use": "home",
                "line": [pat.line],
                "city": pat.city,
                "state": pat.state,
                "postalCode": pat.postal_code,
                "country": "US",
            }
        ],
        "managingOrganization": _ref(pkg.hospital, pkg.spec.hospital.name),
    }


def _condition(pkg: _Package, cond: _Condition) -> Resource:
    codings = [_coding(SNOMED, cond.snomed)] if cond.snomed else []
    codings += [_coding(ICD10CM, icd) for icd in cond.icd10]
    terminology = "http://terminology.hl7.org/CodeSystem/"
    return {
        "resourceType": "Condition",
        "identifier": [pkg.record_id("condition", cond.key)],
        "clinicalStatus": _concept(terminology + "condition-clinical", ("active", "Active")),
        "verificationStatus": _concept(
            terminology + "condition-ver-status", ("confirmed", "Confirmed")
        ),
        "category": [
            _concept(terminology + "condition-category", ("problem-list-item", "Problem List Item"))
        ],
        "code": {"coding": codings, "text": cond.text},
        "subject": _ref(pkg.patient),
        "onsetDateTime": cond.onset,
        "recordedDate": cond.onset,
        "recorder": _ref(pkg.practitioner),
    }


def _coverage(pkg: _Package) -> Resource:
    cov = pkg.spec.coverage
    return {
        "resourceType": "Coverage",
        "identifier": [_identifier(f"https://{cov.payer.key}.example/member-id", cov.member_id)],
        "status": "active",
        "type": _concept(ACT_CODE, cov.plan_type),
        "subscriberId": cov.member_id,
        "beneficiary": _ref(pkg.patient),
        "relationship": _concept(
            "http://terminology.hl7.org/CodeSystem/subscriber-relationship", ("self", "Self")
        ),
        "period": {"start": cov.start},
        "payor": [_ref(_org_url(cov.payer), cov.payer.name)],
        "class": [
            {
                "type": _concept(
                    "http://terminology.hl7.org/CodeSystem/coverage-class", ("group", "Group")
                ),
                "value": cov.group,
            }
        ],
    }


def _diagnostic_report(pkg: _Package, img: _Imaging) -> Resource:
    return {
        "resourceType": "DiagnosticReport",
        "identifier": [pkg.record_id("report", img.key)],
        "status": "final",
        "category": [_concept(V2_0074, ("RAD", "Radiology"))],
        "code": _concept(LOINC, img.loinc),
        "subject": _ref(pkg.patient),
        "effectiveDateTime": img.date,
        "issued": f"{img.date}T16:00:00Z",
        "performer": [_ref(pkg.hospital, pkg.spec.hospital.name)],
        "conclusion": img.conclusion,
    }


def _procedure(pkg: _Package, therapy: _Therapy) -> Resource:
    return {
        "resourceType": "Procedure",
        "identifier": [pkg.record_id("procedure", therapy.key)],
        "status": "completed",
        "code": _concept(SNOMED, therapy.snomed),
        "subject": _ref(pkg.patient),
        "performedPeriod": {"start": therapy.start, "end": therapy.end},
        "reasonReference": [_ref(pkg.condition(therapy.reason))],
        "outcome": {"text": therapy.outcome},
    }


def _medication_statement(pkg: _Package, med: _Medication) -> Resource:
    return {
        "resourceType": "MedicationStatement",
        "identifier": [pkg.record_id("medication", med.key)],
        "status": med.status,
        "medicationCodeableConcept": _concept(RXNORM, med.rxnorm),
        "subject": _ref(pkg.patient),
        "effectivePeriod": {"start": med.start} | ({"end": med.end} if med.end else {}),
        "dateAsserted": pkg.spec.authored_on,
        "reasonReference": [_ref(pkg.condition(med.reason))],
        "dosage": [
            {
                "text": med.dosage,
                "timing": {
                    "repeat": {"frequency": 1, "period": med.every_hours, "periodUnit": "h"}
                },
                "route": _concept(SNOMED, ("26643006", "Oral route")),
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": med.tablets,
                            "unit": "tablet",
                            "system": ORDERABLE_DRUG_FORM,
                            "code": "TAB",
                        }
                    }
                ],
            }
        ],
    }


def _service_request(pkg: _Package, supporting: list[str]) -> Resource:
    spec = pkg.spec
    placer = {"type": _concept(V2_0203, ("PLAC", "Placer Identifier"))}
    return {
        "resourceType": "ServiceRequest",
        "identifier": [placer | pkg.record_id("referral", "referral")],
        "status": "active",
        "intent": "order",
        "category": [_concept(SNOMED, ("3457005", "Patient referral"))],
        "priority": spec.priority,
        "code": _concept(SNOMED, ("408957008", "Chronic pain control management")),
        "subject": _ref(pkg.patient),
        "authoredOn": spec.authored_on,
        "requester": _ref(pkg.practitioner),
        "performerType": _concept(NUCC, ("208VP0000X", "Pain Medicine Physician")),
        "performer": [_ref(pkg.clinic, PAIN_CLINIC.name)],
        "reasonReference": pkg.reasons,
        "insurance": [_ref(pkg.coverage)],
        "supportingInfo": [_ref(url) for url in supporting],
        "note": [{"text": spec.note}],
    }


# --- assembling one referral package ---------------------------------------------------------


def _bundle(spec: _Referral, clinic: str) -> Resource:
    pkg = _Package(spec, clinic)
    entries = [
        _entry(_org_url(org), _organization(org)) for org in (spec.hospital, spec.coverage.payer)
    ]
    entries += [
        _entry(pkg.practitioner, _practitioner(spec.practitioner)),
        _entry(pkg.patient, _patient(pkg)),
        _entry(pkg.coverage, _coverage(pkg)),
    ]
    entries += [_entry(pkg.condition(c.key), _condition(pkg, c)) for c in spec.conditions]
    records = [_entry(pkg.url(f"report/{i.key}"), _diagnostic_report(pkg, i)) for i in spec.imaging]
    records += [_entry(pkg.url(f"procedure/{t.key}"), _procedure(pkg, t)) for t in spec.therapies]
    records += [
        _entry(pkg.url(f"medication/{m.key}"), _medication_statement(pkg, m))
        for m in spec.medications
    ]
    supporting = [record["fullUrl"] for record in records]
    referral = _entry(pkg.url("referral"), _service_request(pkg, supporting))
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [*entries, *records, referral],
    }


def demo_clinic(clinic: str) -> Resource:
    """The demo clinic's Organization, with the id the settings give the clinic
    (`PAINFHIR_CLINIC_ORGANIZATION`), so the demo referrals are referrals to the clinic and
    get their Tasks."""
    return {**_organization(PAIN_CLINIC), "id": clinic.removeprefix("Organization/")}


def demo_bundles(clinic: str) -> list[dict[str, Any]]:
    """FHIR R4 transaction Bundles, one per demo referral to `clinic` ("Organization/{id}",
    already stored: see `demo_clinic`)."""
    return [_bundle(spec, clinic) for spec in _REFERRALS]
