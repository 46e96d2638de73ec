"""A referral Task version stored without a state we know — before plain writes had to keep
one — is no way round the moves: the next write's state follows the last one the Task had."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from painfhir import workflow
from painfhir.fhir.outcome import FhirError
from painfhir.interactions import reactions, writes
from painfhir.store import Store
from tests.workflow.referral.test_refusals_http import BSER

Json = dict[str, Any]
FULFILL = {"coding": [{"system": "http://hl7.org/fhir/CodeSystem/task-code", "code": "fulfill"}]}


def _task(status: str, code: str | None) -> Json:
    task: Json = {
        "resourceType": "Task",
        "id": "t1",
        "status": status,
        "intent": "order",
        "code": FULFILL,
        "focus": {"reference": "ServiceRequest/r1"},
        "owner": {"reference": "Organization/painfhir-clinic"},
    }
    if code is not None:
        task["businessStatus"] = {"coding": [{"system": BSER, "code": code}]}
    return task


@pytest.fixture
def completed_then_stateless(store: Store) -> Iterator[Store]:
    """Task/t1 at 7.0, then a version without businessStatus, stored with no reactions."""
    with store.write() as session:
        writes.create(session, _task("completed", "7.0"), res_id="t1")
    with store.write() as session:
        writes.update(session, "t1", _task("completed", None))
    previous = reactions.install(workflow.reactions_for)
    yield store
    reactions.install(previous)


def test_a_completed_referral_stays_completed_past_a_stateless_version(
    completed_then_stateless: Store,
) -> None:
    with pytest.raises(FhirError) as refused, completed_then_stateless.write() as session:
        writes.update(session, "t1", _task("accepted", "3.0"))
    assert refused.value.status == 409
    assert "cannot follow business status 7.0" in str(refused.value)
