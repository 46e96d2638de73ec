"""The intake re-check and a move of the same Task at once, on PostgreSQL (where writers run
concurrently): the re-check builds on the Task's current version, so it never undoes the move."""

from __future__ import annotations

import threading
from typing import Any

import orjson
import pytest

from painfhir.fhir.codec import parse_json
from painfhir.interactions import bundles, writes
from painfhir.store import Store, WriteSession
from painfhir.workflow.referral import (
    Actor,
    ReferralCall,
    Side,
    _lookup,
    _reactions,
    run_referral_operation,
)
from tests.workflow.referral.referral_package import coverage, referral_bundle

Json = dict[str, Any]


def _referral(store: Store) -> tuple[str, str]:
    """(the referral Task's id, the patient's reference) of a referral without insurance."""
    answer = orjson.loads(bundles.process(store, referral_bundle(), "", representation=False))
    locations = [entry["response"]["location"] for entry in answer["entry"]]
    request_id = next(loc for loc in locations if loc.startswith("ServiceRequest/"))
    patient = "/".join(next(loc for loc in locations if loc.startswith("Patient/")).split("/")[:2])
    with store.write() as session:
        (task,) = _reactions.tracking_tasks(session, request_id.split("/")[1])
    return task["id"], patient


def _states(store: Store, task_id: str) -> list[str]:
    current = store.read("Task", task_id)
    assert current is not None
    states = []
    for number in range(1, current.version + 1):
        version = store.read_version("Task", task_id, number)
        assert version is not None and version.content is not None
        states.append(parse_json(version.content)["businessStatus"]["coding"][0]["code"])
    return states


DECLINED = {"resourceType": "Parameters", "parameter": [{"name": "reason", "valueString": "No"}]}


@pytest.mark.parametrize(
    ("operation", "body", "states"),
    [
        # Still open: re-checked on the accepted version, the finding cleared.
        pytest.param("accept", None, ["2.0", "3.0", "3.0"], id="accepted meanwhile"),
        # Final by then: a re-check no longer applies.
        pytest.param("decline", DECLINED, ["2.0", "4.0"], id="declined meanwhile"),
    ],
)
def test_a_recheck_racing_a_move_keeps_the_move(
    operation: str,
    body: Json | None,
    states: list[str],
    reacting_postgres_store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The Coverage's re-check finds the Task at 2.0; the clinic's move commits before the
    re-check writes. The Task never goes back to 2.0."""
    store = reacting_postgres_store
    task_id, patient = _referral(store)
    found, accepted = threading.Event(), threading.Event()

    def found_then_wait(session: WriteSession, res_type: str, *args: Any) -> list[Json]:
        tasks = _lookup.search(session, res_type, *args)
        if res_type == "Task" and not found.is_set():
            found.set()
            assert accepted.wait(10)
        return tasks

    def accept() -> None:
        assert found.wait(10)
        with store.write() as session:
            call = ReferralCall(operation, task_id, body, Actor(Side.CLINIC))
            run_referral_operation(session, call)
        accepted.set()

    monkeypatch.setattr(_reactions, "search", found_then_wait)
    clinic = threading.Thread(target=accept)
    clinic.start()
    with store.write() as session:
        writes.create(session, coverage(patient))
    clinic.join(10)
    assert accepted.is_set()
    assert _states(store, task_id) == states
    current = store.read("Task", task_id)
    assert current is not None and current.content is not None
    # The finding (missing-insurance) is cleared where the re-check applies.
    assert ("input" in parse_json(current.content)) is (operation == "decline")
