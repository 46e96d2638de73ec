"""The FHIR receiver in-process, on both backends: whatever JSON a sender posts is logged
first, answered with an OperationOutcome when it cannot be taken, and never left
`received` (which a resend answers 409 and a replay refuses)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from painfhir.ingress import FhirReceiver
from painfhir.mapping import Mappings
from painfhir.store import Store

MAPPINGS = Path(__file__).parents[2] / "mappings"
BSER_MESSAGE = MAPPINGS / "bser_message/cases/message-fibromyalgia/input.json"
FHIR_JSON = "application/fhir+json"

Json = dict[str, Any]


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover()


@pytest.fixture
def receiver(store: Store, mappings: Mappings) -> Iterator[FhirReceiver]:
    yield FhirReceiver(store, mappings, base="", lenient=False)


def _message(control_id: str, change: Callable[[Json], None]) -> bytes:
    message: Json = orjson.loads(BSER_MESSAGE.read_bytes())
    message["identifier"]["value"] = control_id
    change(message)
    return orjson.dumps(message)


def _header(key: str, value: Any) -> Callable[[Json], None]:
    return lambda message: message["entry"][0]["resource"].__setitem__(key, value)


@pytest.mark.parametrize(
    ("change", "status", "logged_as"),
    [
        pytest.param(
            _header("source", "https://ehr.valleyclinic.example/fhir/bser"),
            422,
            "failed",
            id="header source a string",
        ),
        pytest.param(_header("eventCoding", "I12"), 400, "rejected", id="event a string"),
        pytest.param(
            lambda m: m.__setitem__("meta", {"profile": None}), 200, "processed", id="null profile"
        ),
    ],
)
def test_json_of_the_wrong_type_is_logged_and_answered(
    receiver: FhirReceiver,
    store: Store,
    change: Callable[[Json], None],
    status: int,
    logged_as: str,
) -> None:
    raw = _message("X-1", change)
    receipt = receiver.receive(raw, None, FHIR_JSON)
    assert (receipt.status, receipt.outcome) == (status, logged_as)
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert (logged.raw, logged.status) == (raw, logged_as)
    resend = receiver.receive(raw, None, FHIR_JSON)
    assert resend.status == status  # answered as the first copy was, not 409
    if logged_as != "processed":
        receiver.replay(receipt.message_id)
        replayed = store.messages.get(receipt.message_id)
        assert replayed is not None
        assert replayed.status == logged_as


@pytest.mark.parametrize(
    "identifier",
    [
        pytest.param({"value": 41177}, id="a number"),
        pytest.param({"value": "MSG\u00001"}, id="with NUL"),
        pytest.param("MSG-1", id="a string"),
    ],
)
def test_a_control_id_the_log_cannot_hold_is_read_as_absent(
    receiver: FhirReceiver, store: Store, identifier: Any
) -> None:
    raw = _message("X-2", lambda m: m.__setitem__("identifier", identifier))
    receipt = receiver.receive(raw, None, FHIR_JSON)
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert logged.control_id == "msg-valley-41177"  # the Bundle's id instead


def test_a_failure_of_painfhir_itself_is_logged_failed_and_replayable(
    receiver: FhirReceiver, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Mappings, "detect", broken)
    receipt = receiver.receive(_message("X-3", lambda m: None), None, FHIR_JSON)
    assert (receipt.status, receipt.outcome) == (500, "failed")
    assert orjson.loads(receipt.body)["issue"][0]["code"] == "exception"
    monkeypatch.undo()
    receiver.replay(receipt.message_id)
    logged = store.messages.get(receipt.message_id)
    assert logged is not None
    assert logged.status == "processed"
