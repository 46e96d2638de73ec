"""$apply without the store: each shipped pathway, applied to a patient with an MDT."""

from __future__ import annotations

import copy
import dataclasses
import itertools
from typing import Any

import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.validation.validator import has_errors, validate
from painfhir.workflow.careplan import (
    AppliedPlan,
    Pathway,
    PlanContext,
    apply_pathway,
    is_opioid,
    request_status,
    shipped_templates,
)
from tests.workflow.careplan.patients import ROLES, care_team, condition, patient

Json = dict[str, Any]
LOW_BACK = ("278860009", "Chronic low back pain")
RADICULOPATHY = ("128196005", "Lumbar radiculopathy")
NEUROPATHIC = ("247398009", "Neuropathic pain")
CRPS = ("128200000", "Complex regional pain syndrome")
FIBROMYALGIA = ("203082005", "Fibromyalgia")
CHRONIC_PAIN = ("82423001", "Chronic pain")
CHRONIC_NECK = ("1121000119107", "Chronic neck pain")
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"


def pathway(plan_id: str) -> Pathway:
    templates = shipped_templates()
    plan = next(
        t for t in templates if t["resourceType"] == "PlanDefinition" and t["id"] == plan_id
    )
    activities = {t["url"]: t for t in templates if t["resourceType"] == "ActivityDefinition"}
    return Pathway(plan, activities)


def context(
    *conditions: tuple[str, str], roles: dict[str, str] = ROLES, **given: Any
) -> PlanContext:
    ids = (f"id-{n}" for n in itertools.count(1))
    return PlanContext(
        patient=patient("p1"),
        conditions=tuple(condition(f"c{n}", "p1", *c) for n, c in enumerate(conditions)),
        care_team=care_team("mdt", "p1", roles),
        today="2026-11-18",
        new_id=lambda: next(ids),
        **given,
    )


def procedures(applied: AppliedPlan) -> list[str]:
    return [c for c in codes(applied, "ServiceRequest") if c.startswith("6")]


def coded_in_icd10cm(plan_id: str, *icd_codes: str) -> AppliedPlan:
    """The pathway applied to a patient whose chronic pain is coded in ICD-10-CM."""
    applied = context(*[CHRONIC_PAIN] * len(icd_codes))
    conditions = tuple(
        {**c, "code": {"coding": [{"system": ICD10CM, "code": code}]}}
        for c, code in zip(applied.conditions, icd_codes, strict=True)
    )
    return apply_pathway(pathway(plan_id), dataclasses.replace(applied, conditions=conditions))


def codes(applied: AppliedPlan, res_type: str) -> list[str]:
    found = []
    for request in applied.requests:
        if request["resourceType"] == res_type:
            concept = request.get("code") or request["medicationCodeableConcept"]
            found.append(concept["coding"][0]["code"])
    return found


def modalities(applied: AppliedPlan) -> set[str]:
    return {
        a["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
        for a in applied.care_plan["activity"]
    }


@pytest.mark.parametrize(
    ("plan_id", "conditions", "services", "medicines"),
    [
        pytest.param(
            "chronic-low-back-pain",
            (LOW_BACK, RADICULOPATHY),
            ["97162", "97110", "97014", "97166", "96158", "96158", "64483", "64493", "64635"],
            ["198440", "197806"],
            id="low back pain with radiculopathy: every procedure",
        ),
        pytest.param(
            "neuropathic-pain",
            (NEUROPATHIC, CRPS),
            ["97162", "97014", "97166", "96158", "90901", "64520"],
            ["310431", "596930"],
            id="neuropathic pain with CRPS: gabapentin, duloxetine, sympathetic block",
        ),
        pytest.param(
            "fibromyalgia",
            (FIBROMYALGIA,),
            ["97162", "97110", "97166", "96158", "96158", "90901"],
            ["596930", "856783"],
            id="fibromyalgia: duloxetine, amitriptyline, no procedures",
        ),
        pytest.param(
            "chronic-pain",
            (CHRONIC_PAIN,),
            ["97162", "97110", "97166", "97014", "96158", "96158", "90901"],
            ["198440", "197806"],
            id="generic chronic pain without spinal findings: no procedures",
        ),
    ],
)
def test_each_pathway_makes_its_requests(
    plan_id: str, conditions: tuple[tuple[str, str], ...], services: list[str], medicines: list[str]
) -> None:
    applied = apply_pathway(pathway(plan_id), context(*conditions))
    assert codes(applied, "ServiceRequest") == services
    assert codes(applied, "MedicationRequest") == medicines
    assert {"medication", "rehabilitation", "psychological"} <= modalities(applied)


def test_interventional_procedures_need_spinal_or_radicular_findings() -> None:
    axial = apply_pathway(pathway("chronic-low-back-pain"), context(LOW_BACK))
    assert [c for c in codes(axial, "ServiceRequest") if c.startswith("6")] == ["64493", "64635"]
    neuropathic = apply_pathway(pathway("neuropathic-pain"), context(NEUROPATHIC))
    assert "interventional" not in modalities(neuropathic)


def test_performers_come_from_the_care_team_by_role() -> None:
    applied = apply_pathway(pathway("chronic-low-back-pain"), context(LOW_BACK, RADICULOPATHY))
    performer = {
        r["code"]["coding"][0]["code"]: r["performer"][0]["reference"]
        for r in applied.requests
        if r["resourceType"] == "ServiceRequest"
    }
    assert performer["97162"] == ROLES["225100000X"]
    assert performer["97166"] == ROLES["225X00000X"]
    assert performer["96158"] == ROLES["103T00000X"]
    # the pathway asks for an interventional pain physician; the team's pain physician does it
    assert performer["64483"] == ROLES["207LP2900X"]
    prescribers = {r["requester"]["reference"] for r in applied.requests}
    assert prescribers == {ROLES["207LP2900X"]}
    assert not applied.issues


def test_an_activity_no_one_can_take_is_left_unassigned_with_a_warning() -> None:
    roles = {code: ref for code, ref in ROLES.items() if code != "103T00000X"}
    applied = apply_pathway(pathway("fibromyalgia"), context(FIBROMYALGIA, roles=roles))
    unassigned = [
        r
        for r in applied.requests
        if r["resourceType"] == "ServiceRequest" and "performer" not in r
    ]
    assert [r["code"]["coding"][0]["code"] for r in unassigned] == ["96158", "96158", "90901"]
    assert all("103T00000X" in r["note"][0]["text"] for r in unassigned)
    assert len(applied.issues) == 3
    assert {issue.severity for issue in applied.issues} == {"warning"}


def test_no_prescriber_is_refused() -> None:
    roles = {"225100000X": ROLES["225100000X"]}
    with pytest.raises(FhirError) as refused:
        apply_pathway(pathway("fibromyalgia"), context(FIBROMYALGIA, roles=roles))
    assert refused.value.status == 422
    practitioner = {"reference": "Practitioner/okonkwo"}
    applied = apply_pathway(
        pathway("fibromyalgia"), context(FIBROMYALGIA, roles=roles, practitioner=practitioner)
    )
    assert {r["requester"]["reference"] for r in applied.requests} == {"Practitioner/okonkwo"}


def test_medicines_are_non_opioid_proposals_first_in_the_plan_order() -> None:
    applied = apply_pathway(pathway("chronic-low-back-pain"), context(LOW_BACK))
    medicines = [r for r in applied.requests if r["resourceType"] == "MedicationRequest"]
    assert {(r["status"], r["intent"]) for r in medicines} == {("draft", "proposal")}
    assert not any(is_opioid(r["medicationCodeableConcept"]) for r in medicines)
    # acetaminophen before the NSAID
    assert [r["medicationCodeableConcept"]["coding"][0]["code"] for r in medicines] == [
        "198440",
        "197806",
    ]


def test_no_shipped_template_proposes_an_opioid() -> None:
    products = [t.get("productCodeableConcept") for t in shipped_templates()]
    assert not any(is_opioid(p) for p in products if p)
    assert is_opioid(
        {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1049621"}]}
    )


def test_a_pathway_proposing_an_opioid_is_refused() -> None:
    low_back = pathway("chronic-low-back-pain")
    url = "http://painfhir.org/fhir/ActivityDefinition/acetaminophen-500-mg"
    oxycodone = {
        "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "1049621"}]
    }
    activities = {
        **low_back.activities,
        url: {**low_back.activities[url], "productCodeableConcept": oxycodone},
    }
    with pytest.raises(FhirError) as refused:
        apply_pathway(Pathway(low_back.plan, activities), context(LOW_BACK))
    assert refused.value.status == 422
    assert "opioid" in str(refused.value)


@pytest.mark.parametrize(
    "plan_id", ["chronic-low-back-pain", "neuropathic-pain", "fibromyalgia", "chronic-pain"]
)
def test_goals_are_about_function_and_proposed(plan_id: str) -> None:
    applied = apply_pathway(pathway(plan_id), context(CHRONIC_PAIN))
    texts = " ".join(goal["description"]["text"] for goal in applied.goals)
    assert "PEG" in texts
    assert any(word in texts for word in ("work", "Walks", "Sleeps", "Paces"))
    assert {goal["lifecycleStatus"] for goal in applied.goals} == {"proposed"}
    assert applied.care_plan["goal"] == [{"reference": f"Goal/{g['id']}"} for g in applied.goals]
    due = [t["dueDate"] for g in applied.goals for t in g["target"]]
    assert "2027-02-10" in due  # 12 weeks after 2026-11-18


def test_the_draft_care_plan_and_its_requests_conform_to_the_profiles() -> None:
    referral = {"resourceType": "ServiceRequest", "id": "referral-1"}
    applied = apply_pathway(
        pathway("chronic-low-back-pain"),
        context(
            LOW_BACK,
            RADICULOPATHY,
            referral=referral,
            practitioner={"reference": "Practitioner/okonkwo"},
        ),
    )
    plan = applied.care_plan
    assert (plan["status"], plan["intent"]) == ("draft", "plan")
    assert plan["careTeam"] == [{"reference": "CareTeam/mdt"}]
    assert plan["addresses"] == [{"reference": "Condition/c0"}, {"reference": "Condition/c1"}]
    assert plan["supportingInfo"] == [{"reference": "ServiceRequest/referral-1"}]
    for request in applied.requests:
        assert request["basedOn"] == [
            {"reference": f"CarePlan/{plan['id']}"},
            {"reference": "ServiceRequest/referral-1"},
        ]
    for resource in [plan, *applied.requests, *applied.goals]:
        issues = validate(resource)
        assert not has_errors(issues), (resource["resourceType"], issues)


def test_no_chronic_pain_condition_is_refused() -> None:
    with pytest.raises(FhirError) as refused:
        apply_pathway(pathway("chronic-pain"), context())
    assert refused.value.status == 422


@pytest.mark.parametrize("plan_id", ["chronic-low-back-pain", "chronic-pain"])
@pytest.mark.parametrize(
    "icd_code",
    ["M54.2", "M54.12", "M54.13", "M54.14", "M51.12", "M51.14", "M47.812", "M96.1"],
)
def test_neck_and_thoracic_pain_get_no_lumbar_procedures(plan_id: str, icd_code: str) -> None:
    lumbar = {"64483", "64493", "64635"}
    assert not lumbar & set(procedures(coded_in_icd10cm(plan_id, icd_code)))
    neck = apply_pathway(pathway(plan_id), context(CHRONIC_NECK))
    assert not lumbar & set(procedures(neck))


@pytest.mark.parametrize(
    ("icd_code", "lumbar"),
    [
        ("M54.16", ["64483"]),
        ("M54.17", ["64483"]),
        ("M51.16", ["64483"]),
        ("M54.41", ["64483"]),
        ("M54.50", ["64493", "64635"]),
        ("M47.816", ["64493", "64635"]),
        ("M47.817", ["64493", "64635"]),
    ],
)
def test_lumbar_codes_get_lumbar_procedures(icd_code: str, lumbar: list[str]) -> None:
    assert procedures(coded_in_icd10cm("chronic-low-back-pain", icd_code)) == lumbar


@pytest.mark.parametrize(
    ("icd_code", "cervical"),
    [
        ("M54.2", ["64490"]),
        ("M47.812", ["64490"]),
        ("M54.12", ["62321"]),
        ("M50.121", ["62321"]),
        ("M54.14", []),  # thoracic: no procedure from the pathway, the physician decides
    ],
)
def test_the_generic_pathway_offers_cervical_procedures_for_neck_pain(
    icd_code: str, cervical: list[str]
) -> None:
    assert procedures(coded_in_icd10cm("chronic-pain", icd_code)) == cervical
    neck = apply_pathway(pathway("chronic-pain"), context(CHRONIC_NECK))
    assert procedures(neck) == ["64490"]
    assert neck.requests[-1]["bodySite"][0]["coding"][0]["code"] == "122494005"


def test_radiofrequency_ablation_waits_on_hold_for_the_medial_branch_block() -> None:
    applied = apply_pathway(pathway("chronic-low-back-pain"), context(LOW_BACK))
    by_code = {r["code"]["coding"][0]["code"]: r for r in applied.requests if "code" in r}
    block, ablation = by_code["64493"], by_code["64635"]
    assert (block["status"], ablation["status"]) == ("draft", "on-hold")
    assert ablation["supportingInfo"] == [
        {"reference": f"ServiceRequest/{block['id']}", "display": "Lumbar medial branch block"}
    ]
    assert "Lumbar medial branch block" in ablation["note"][-1]["text"]
    assert {r["status"] for r in applied.requests if r is not ablation} == {"draft"}
    assert not has_errors(validate(ablation))


def test_a_request_whose_prerequisite_is_not_in_the_plan_stays_on_hold() -> None:
    low_back = pathway("chronic-low-back-pain")
    plan = copy.deepcopy(low_back.plan)
    procedures_group = plan["action"][-1]
    procedures_group["action"] = [
        a for a in procedures_group["action"] if a["id"] != "lumbar-medial-branch-block"
    ]
    applied = apply_pathway(Pathway(plan, low_back.activities), context(LOW_BACK))
    ablation = applied.requests[-1]
    assert (ablation["code"]["coding"][0]["code"], ablation["status"]) == ("64635", "on-hold")
    assert "supportingInfo" not in ablation
    assert "a clinician releases it" in ablation["note"][-1]["text"]


def test_completing_the_plan_completes_no_request() -> None:
    assert request_status("completed", "ServiceRequest", "active") == "revoked"
    assert request_status("completed", "MedicationRequest", "active") is None
    assert request_status("completed", "ServiceRequest", "on-hold") == "revoked"
    assert request_status("active", "ServiceRequest", "on-hold") is None
    for res_type in ("ServiceRequest", "MedicationRequest"):
        for status in ("draft", "active", "on-hold"):
            assert request_status("completed", res_type, status) != "completed"
