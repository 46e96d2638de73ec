"""End to end: the real `painfhir serve` tells real receivers about a referral Task's steps.

The Task moves by plain FHIR updates (PUT with a new businessStatus); the receivers are real
loopback servers: an MLLP interface that acknowledges (AA, or AE first to force a retry),
a port nobody listens on (dead letters), and an HTTP rest-hook endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from painfhir.mapping.hl7v2 import Terser, parse_message
from tests.conftest import RunningServer, new_database
from tests.notify.receivers import HttpReceiver, MllpReceiver, closed_port, wait_for
from tests.notify.referral import PATIENT, REFERRAL, task

pytestmark = pytest.mark.e2e
ER7 = "x-application/hl7-v2+er7"


@pytest.fixture(scope="module")
def painfhir(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    database = new_database(backend, tmp_path_factory.mktemp("notify"))
    running = RunningServer(
        database,
        notify_poll_seconds="0.1",
        notify_retry_seconds="0.2",
        notify_max_attempts="3",
        notify_timeout_seconds="2",
    )
    with httpx.Client(base_url=running.url, timeout=30) as client:
        yield client
    running.stop()
    database.drop()


def _put(client: httpx.Client, resource: dict[str, Any]) -> None:
    answer = client.put(f"/{resource['resourceType']}/{resource['id']}", json=resource)
    assert answer.status_code in (200, 201), answer.text


def _subscribe(client: httpx.Client, name: str, endpoint: str, payload: str | None) -> None:
    channel: dict[str, Any] = {"type": "rest-hook" if endpoint.startswith("http") else "message"}
    channel["endpoint"] = endpoint
    if payload:
        channel["payload"] = payload
    subscription = {
        "resourceType": "Subscription",
        "id": name,
        "status": "requested",
        "reason": "The referring EHR hears about every step of its referrals",
        "criteria": "Task?code=fulfill",
        "channel": channel,
    }
    _put(client, subscription)


def _referral(client: httpx.Client, name: str) -> dict[str, Any]:
    """A referral of its own for each test, so subscriptions do not see each other's."""
    _put(client, PATIENT)
    _put(client, {**REFERRAL, "id": f"{name}-referral"})
    first = task("2.0", id=f"{name}-task", focus={"reference": f"ServiceRequest/{name}-referral"})
    first.pop("meta")
    first["requester"] = {"display": "Dr. Priya Raman"}
    _put(client, first)
    return first


def _move(client: httpx.Client, referral_task: dict[str, Any], code: str) -> None:
    moved = task(code, id=referral_task["id"], focus=referral_task["focus"])
    moved.pop("meta")
    moved["requester"] = referral_task["requester"]
    _put(client, moved)


def _deliveries(client: httpx.Client, subscription: str, **params: str) -> list[dict[str, Any]]:
    answer = client.get("/notify/deliveries", params={"subscription": subscription, **params})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["deliveries"]
    return found


def _about(messages: list[bytes], task_id: str) -> list[Terser]:
    """The messages about one referral Task (RF1-11 is the clinic's number for it)."""
    reads = [Terser(parse_message(message)) for message in messages]
    return [read for read in reads if read.value("RF1-11.1") == task_id]


def test_an_mllp_receiver_hears_each_step_in_order(painfhir: httpx.Client) -> None:
    ehr = MllpReceiver()
    try:
        _subscribe(painfhir, "steps-v2", ehr.endpoint, ER7)
        referral_task = _referral(painfhir, "steps")
        _move(painfhir, referral_task, "3.0")
        wait_for(lambda: len(_about(ehr.received, "steps-task")) == 2)
    finally:
        ehr.close()
    statuses = [read.value("RF1-1.1") for read in _about(ehr.received, "steps-task")]
    assert statuses == ["P", "A"]
    wait_for(lambda: len(_deliveries(painfhir, "steps-v2", status="delivered")) == 2)


def test_an_error_acknowledgement_is_retried_with_the_same_control_id(
    painfhir: httpx.Client,
) -> None:
    ehr = MllpReceiver("AE")
    try:
        _subscribe(painfhir, "retry-v2", ehr.endpoint, ER7)
        _referral(painfhir, "retry")
        wait_for(lambda: len(_about(ehr.received, "retry-task")) == 2)
    finally:
        ehr.close()
    first, second = (read.value("MSH-10") for read in _about(ehr.received, "retry-task"))
    assert first == second
    wait_for(lambda: _deliveries(painfhir, "retry-v2", status="delivered"))
    delivery = _deliveries(painfhir, "retry-v2")[0]
    details = painfhir.get(f"/notify/deliveries/{delivery['id']}").json()
    assert [a["outcome"] for a in details["attemptLog"]] == ["failed", "delivered"]
    assert details["attemptLog"][0]["detail"].startswith("MSA AE")


def test_a_receiver_that_stays_down_gets_a_dead_letter_that_can_be_retried(
    painfhir: httpx.Client,
) -> None:
    _subscribe(painfhir, "down-v2", f"mllp://127.0.0.1:{closed_port()}", ER7)
    _referral(painfhir, "down")
    wait_for(lambda: _deliveries(painfhir, "down-v2", status="dead"))
    dead = _deliveries(painfhir, "down-v2", status="dead")[0]
    assert dead["attempts"] == 3
    assert dead["lastError"]
    retried = painfhir.post(f"/notify/deliveries/{dead['id']}/$retry")
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    again = painfhir.post(f"/notify/deliveries/{dead['id']}/$retry")
    assert again.status_code == 409


def test_a_rest_hook_receives_notification_bundles_with_the_task(
    painfhir: httpx.Client,
) -> None:
    ehr = HttpReceiver()
    try:
        _subscribe(painfhir, "steps-fhir", ehr.url, "application/fhir+json")
        referral_task = _referral(painfhir, "hook")
        _move(painfhir, referral_task, "3.0")
        wait_for(lambda: len(_hook_tasks(ehr)) == 2)
    finally:
        ehr.close()
    codes = [t["businessStatus"]["coding"][0]["code"] for t in _hook_tasks(ehr)]
    assert codes == ["2.0", "3.0"]


def _hook_tasks(ehr: HttpReceiver) -> list[dict[str, Any]]:
    found = []
    for content_type, body in ehr.received:
        assert content_type.startswith("application/fhir+json")
        bundle = orjson.loads(body)
        assert bundle["type"] == "history"
        assert bundle["entry"][0]["resource"]["resourceType"] == "Parameters"
        found += [e["resource"] for e in bundle["entry"][1:] if e["resource"]["id"] == "hook-task"]
    return found
