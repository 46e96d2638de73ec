"""Each constraint of painfhir's profiles, broken on purpose: the profile's own example keeps
it, and a copy changed in one place breaks it, reported with its key and severity.

Some constraints restate a cardinality or a binding (cpc-2, mdt-1, pcp-1), so the broken copy
may carry that issue as well; the test asks for the constraint's own issue, not for it alone.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.validation.profile import validate_against_profile

EXAMPLES = Path(__file__).resolve().parents[2] / "profiles" / "examples"
BSER = "http://hl7.org/fhir/us/bser/CodeSystem/TaskBusinessStatusCS"
LOINC = "http://loinc.org"

Change = Callable[[dict[str, Any]], None]


def _drop(*names: str) -> Change:
    def change(resource: dict[str, Any]) -> None:
        for name in names:
            resource.pop(name, None)

    return change


def _recent_onset(condition: dict[str, Any]) -> None:
    """Pain that began this month, recorded today, unresolved and without evidence: it has
    not lasted three months by any of cpc-1's measures."""
    condition.pop("evidence", None)
    condition.pop("abatementDateTime", None)
    today = date.today().isoformat()
    condition["onsetDateTime"] = today[:7]
    condition["recordedDate"] = today


def _encounter_diagnosis(condition: dict[str, Any]) -> None:
    system = "http://terminology.hl7.org/CodeSystem/condition-category"
    condition["category"] = [{"coding": [{"system": system, "code": "encounter-diagnosis"}]}]


def _only_medication(plan: dict[str, Any]) -> None:
    plan["activity"] = [a for a in plan["activity"] if _modality(a) == "medication"]


def _modality(activity: dict[str, Any]) -> str:
    code: str = activity["extension"][0]["valueCodeableConcept"]["coding"][0]["code"]
    return code


def _team_of(*roles: str) -> Change:
    def change(team: dict[str, Any]) -> None:
        team["participant"] = [
            p for p in team["participant"] if p["role"][0]["coding"][0]["code"] in roles
        ]

    return change


def _no_timing(request: dict[str, Any]) -> None:
    for dosage in request["dosageInstruction"]:
        dosage.pop("timing", None)


def _no_supply_duration(request: dict[str, Any]) -> None:
    request["dispenseRequest"].pop("expectedSupplyDuration")


def _task_in(business_status: str, status: str) -> Change:
    def change(task: dict[str, Any]) -> None:
        task["businessStatus"] = {"coding": [{"system": BSER, "code": business_status}]}
        task["status"] = status
        task.pop("statusReason", None)
        task.pop("output", None)

    return change


def _component(observation: dict[str, Any], code: str) -> dict[str, Any]:
    return next(c for c in observation["component"] if c["code"]["coding"][0]["code"] == code)


def _item_out_of_range(peg: dict[str, Any]) -> None:
    _component(peg, "91145-3")["valueInteger"] = 12


def _wrong_mean(peg: dict[str, Any]) -> None:
    _component(peg, "91147-9")["valueQuantity"]["value"] = 9.5


def _when(value: str) -> Change:
    def change(observation: dict[str, Any]) -> None:
        observation["effectiveDateTime"] = value

    return change


def _score(value: int | None) -> Change:
    def change(observation: dict[str, Any]) -> None:
        if value is None:
            observation.pop("valueInteger")
        else:
            observation["valueInteger"] = value

    return change


CASES = [
    ("ServiceRequest-lindqvist-referral", "prf-1", "error", _drop("reasonCode", "reasonReference")),
    ("Condition-lindqvist-neuropathic-pain", "cpc-1", "error", _recent_onset),
    ("Condition-lindqvist-neuropathic-pain", "cpc-2", "error", _encounter_diagnosis),
    ("CarePlan-lindqvist-pain-plan", "pcp-1", "warning", _only_medication),
    ("CareTeam-lindqvist-mdt", "mdt-1", "error", _team_of("103T00000X", "225100000X")),
    ("CareTeam-lindqvist-mdt", "mdt-2", "warning", _team_of("207LP2900X")),
    ("MedicationRequest-lindqvist-oxycodone-taper", "pmr-1", "error", _no_timing),
    ("MedicationRequest-lindqvist-oxycodone-taper", "pmr-2", "warning", _no_supply_duration),
    ("Task-lindqvist-referral-task", "rtk-1", "error", _task_in("2.0", "accepted")),
    ("Task-lindqvist-referral-task", "rtk-2", "error", _task_in("4.0", "rejected")),
    ("Task-lindqvist-referral-task", "rtk-3", "error", _task_in("7.0", "completed")),
    ("Observation-lindqvist-pain-severity", "psc-1", "error", _score(11)),
    ("Observation-lindqvist-pain-severity", "psc-2", "error", _score(None)),
    ("Observation-lindqvist-pain-severity", "psc-3", "error", _when("2026")),
    ("Observation-lindqvist-peg", "peg-1", "error", _item_out_of_range),
    ("Observation-lindqvist-peg", "peg-2", "error", _wrong_mean),
    ("Observation-lindqvist-peg", "peg-3", "error", _when("2026-11")),
]


def _broken_keys(resource: dict[str, Any]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for url in resource["meta"]["profile"]:
        for issue in validate_against_profile(resource, url):
            if issue.code == "invariant" and " breaks " in issue.diagnostics:
                key = issue.diagnostics.split(" breaks ", 1)[1].split(":", 1)[0]
                found.add((key, issue.severity))
    return found


def test_every_profile_constraint_has_a_case() -> None:
    keys = set()
    for path in (EXAMPLES.parent).glob("StructureDefinition-*.json"):
        for element in parse_json(path.read_bytes()).get("differential", {}).get("element", []):
            keys |= {constraint["key"] for constraint in element.get("constraint", [])}
    assert keys == {key for _, key, _, _ in CASES}


@pytest.mark.parametrize(("example", "key", "severity", "change"), CASES, ids=[c[1] for c in CASES])
def test_a_broken_constraint_is_reported(
    example: str, key: str, severity: str, change: Change
) -> None:
    resource = parse_json((EXAMPLES / f"{example}.json").read_bytes())
    assert not {k for k, _ in _broken_keys(resource)}
    broken = copy.deepcopy(resource)
    change(broken)
    assert (key, severity) in _broken_keys(broken)
