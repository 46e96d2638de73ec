"""Plain PUT / PATCH of a referral Task, held to what the operations are held to: the side
the X-Painfhir-Actor header names (403 for the other side's move, that actor the Provenance's
agent), Task.status going with businessStatus (422), and the moves that need more than a new
state — 4.0, 5.1.4, 6.0, 7.0 — left to their operations (422 naming them)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.workflow.referral.conftest import Party, business_status, outcome_text
from tests.workflow.referral.test_other_ingress_http import BSER, _patch
from tests.workflow.referral.test_refusals_http import TASK_STATUS, task_in

Json = dict[str, Any]


def _put(party: Party, task_id: str, code: str, **changes: Any) -> httpx.Response:
    task = party.get(f"/Task/{task_id}")
    task["businessStatus"] = {"coding": [{"system": BSER, "code": code}]}
    task["status"] = TASK_STATUS.get(code, "in-progress")
    task.update(changes)
    return party.send("PUT", f"/Task/{task_id}", task)


def _version(party: Party, task_id: str) -> str:
    version: str = party.get(f"/Task/{task_id}")["meta"]["versionId"]
    return version


def test_the_referring_side_cannot_put_the_clinics_moves(ehr: Party, clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    accepted = _put(ehr, task_id, "3.0")
    assert accepted.status_code == 403, accepted.text
    assert "belongs to the clinic" in outcome_text(accepted)
    assert _version(clinic, task_id) == "1"
    assert not clinic.get(f"/Provenance?target=Task/{task_id}").get("entry")


def test_the_clinic_cannot_patch_a_cancellation_request(clinic: Party) -> None:
    task_id = task_in(clinic, "3.0")
    response = _patch(clinic, task_id, "5.2")
    assert response.status_code == 403, response.text
    assert _version(clinic, task_id) == "1"


def test_a_plain_move_has_the_requests_actor_as_agent(clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    response = _patch(clinic, task_id, "3.0", "accepted")
    assert response.status_code == 200, response.text
    (entry,) = clinic.get(f"/Provenance?target=Task/{task_id}")["entry"]
    (agent,) = entry["resource"]["agent"]
    assert agent["who"] == {"reference": "Practitioner/dr-lee"}
    assert agent["onBehalfOf"] == {"reference": "Organization/painfhir-clinic"}


@pytest.mark.parametrize(
    ("state", "code", "operation"),
    [
        pytest.param("2.0", "4.0", "$decline", id="declined"),
        pytest.param("5.1.1", "5.1.4", "$interim-note", id="interim note"),
        pytest.param("5.2", "6.0", "$confirm-cancel", id="cancelled"),
        pytest.param("5.1.1", "7.0", "$complete", id="completed"),
    ],
)
def test_moves_that_need_more_than_a_state_are_left_to_their_operation(
    state: str, code: str, operation: str, clinic: Party
) -> None:
    task_id = task_in(clinic, state)
    response = _put(clinic, task_id, code, statusReason={"text": "Not for us"})
    assert response.status_code == 422, response.text
    assert f"POST Task/{task_id}/{operation}" in outcome_text(response)
    assert _version(clinic, task_id) == "1"


def test_task_status_must_go_with_business_status(clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    task = clinic.get(f"/Task/{task_id}")
    response = clinic.send("PUT", f"/Task/{task_id}", {**task, "status": "completed"})
    assert response.status_code == 422, response.text
    assert "does not go with businessStatus 2.0" in outcome_text(response)
    new = {k: v for k, v in task.items() if k not in ("id", "meta")}
    created = clinic.send("POST", "/Task", {**new, "status": "in-progress"})
    assert created.status_code == 422, created.text
    assert business_status(clinic.get(f"/Task/{task_id}")) == "2.0"


def _without_business_status(task: Json) -> Json:
    return {k: v for k, v in task.items() if k != "businessStatus"}


def _with_bogus_code(task: Json) -> Json:
    return {**task, "businessStatus": {"coding": [{"system": BSER, "code": "bogus"}]}}


def _without_code(task: Json) -> Json:
    return {k: v for k, v in task.items() if k != "code"}


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        pytest.param(_without_business_status, "none is not", id="businessStatus removed"),
        pytest.param(_with_bogus_code, "'bogus' is not", id="an unknown code"),
        pytest.param(_without_code, "must keep its code", id="code removed"),
    ],
)
@pytest.mark.parametrize(
    ("side", "then"),
    [
        pytest.param("clinic", {"7.0": 409, "3.0": 200}, id="clinic"),
        pytest.param("referrer", {"7.0": 409, "3.0": 403}, id="referrer"),
    ],
)
def test_a_referral_task_keeps_a_state_the_moves_know(
    change: Any, refusal: str, side: str, then: dict[str, int], ehr: Party, clinic: Party
) -> None:
    """A Task in no state we know would escape the checks of its next write (7.0 with no
    consult note, the referring side accepting its own referral): refused, the Task without
    the referral Task profile included (task_in claims none). The next writes are held to
    the moves from 2.0."""
    party = clinic if side == "clinic" else ehr
    task_id = task_in(clinic, "2.0")
    response = party.send("PUT", f"/Task/{task_id}", change(party.get(f"/Task/{task_id}")))
    assert response.status_code == 422, response.text
    assert refusal in outcome_text(response)
    for code, status in then.items():
        moved = _put(party, task_id, code)
        assert moved.status_code == status, moved.text
    assert business_status(clinic.get(f"/Task/{task_id}")) == ("3.0" if side == "clinic" else "2.0")


def test_a_task_given_a_state_starts_from_2_0(clinic: Party) -> None:
    """A fulfill Task of no referral may have no BSeR state; given one, it is a referral's
    Task, and its state follows 2.0, where every referral starts."""
    task_id = task_in(clinic, "7.0")
    other = clinic.send("POST", "/Task", _without_business_status(clinic.get(f"/Task/{task_id}")))
    assert other.status_code == 201, other.text  # no BSeR state: not a referral's Task
    other_id = other.json()["id"]
    assert _put(clinic, other_id, "7.0").status_code == 409  # 7.0 cannot follow 2.0
    assert _put(clinic, other_id, "3.0").status_code == 200
    assert business_status(clinic.get(f"/Task/{other_id}")) == "3.0"


def test_a_fulfill_task_of_another_order_is_left_alone(clinic: Party) -> None:
    task_id = task_in(clinic, "2.0")
    task = _without_business_status(clinic.get(f"/Task/{task_id}"))
    created = clinic.send("POST", "/Task", {**task, "status": "in-progress"})
    assert created.status_code == 201, created.text
    done = {**created.json(), "status": "completed"}
    assert clinic.send("PUT", f"/Task/{done['id']}", done).status_code == 200
