"""How big a search may be (PAINFHIR_SEARCH_MAX_CRITERIA, PAINFHIR_SEARCH_MAX_VALUES) and
how long it may run on PostgreSQL (PAINFHIR_SEARCH_TIMEOUT_SECONDS): past a limit the answer
is an OperationOutcome that says which, never a 500 nor minutes of work."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.api.fhir_client import json_of, patient, send, unique
from tests.conftest import NO_POSTGRES, RunningServer, new_database

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _search(client: httpx.Client, form: str) -> httpx.Response:
    """A search by POST: a query string of this size would be over the URL limit."""
    return client.post("/Patient/_search", content=form, headers=FORM)


def _diagnostics(response: httpx.Response) -> str:
    outcome = json_of(response)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "too-costly"
    return str(outcome["issue"][0]["diagnostics"])


def test_too_many_criteria_are_refused(client: httpx.Client) -> None:
    many = _search(client, "&".join(f"family=f{n}" for n in range(3000)))
    assert many.status_code == 400
    assert "3000 criteria" in _diagnostics(many) and "at most 100" in _diagnostics(many)
    family = f"Limit{unique()}"
    assert send(client, "POST", "/Patient", patient(family)).status_code == 201
    at_the_limit = _search(client, "&".join([f"family={family}"] * 100))
    assert at_the_limit.status_code == 200
    assert len(json_of(at_the_limit)["entry"]) == 1


def test_too_many_values_are_refused(client: httpx.Client) -> None:
    ids = _search(client, "_id=" + ",".join(f"id{n}" for n in range(70_000)))
    assert ids.status_code == 400
    assert "70000 values" in _diagnostics(ids) and "at most 1000" in _diagnostics(ids)
    spread = _search(client, "&".join("family=" + ",".join(["a"] * 11) for _ in range(100)))
    assert spread.status_code == 400 and "1100 values" in _diagnostics(spread)
    family = f"Limit{unique()}"
    assert send(client, "POST", "/Patient", patient(family)).status_code == 201
    at_the_limit = _search(client, "family=" + ",".join([*(f"x{n}" for n in range(999)), family]))
    assert at_the_limit.status_code == 200
    assert len(json_of(at_the_limit)["entry"]) == 1


def test_a_conditional_request_has_the_same_limits(client: httpx.Client) -> None:
    criteria = "&".join(f"identifier=urn:s|{n}" for n in range(101))
    response = client.delete(f"/Patient?{criteria}")
    assert response.status_code == 400
    assert "101 criteria" in _diagnostics(response)


@pytest.fixture(scope="module")
def impatient(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A server on PostgreSQL (the time limit is its statement_timeout) that gives a search
    a twentieth of a second."""
    if NO_POSTGRES is not None:
        pytest.skip(NO_POSTGRES)
    database = new_database("postgresql", tmp_path_factory.mktemp("impatient"))
    running = RunningServer(database, search_timeout_seconds="0.05")
    with httpx.Client(base_url=running.url, timeout=60) as http:
        yield http
    running.stop()
    database.drop()


def test_a_search_past_the_time_limit_is_stopped(impatient: httpx.Client) -> None:
    # A hundred string criteria take PostgreSQL's planner about a second.
    slow = _search(impatient, "&".join(f"family=f{n}" for n in range(100)))
    assert slow.status_code == 503
    assert "longer than 0.05 s" in _diagnostics(slow)
    assert "Retry-After" not in slow.headers
    family = f"Quick{unique()}"
    assert send(impatient, "POST", "/Patient", patient(family)).status_code == 201
    for _ in range(12):  # every pooled connection is back to no limit for other statements
        found = impatient.get("/Patient", params={"family": family})
        assert found.status_code == 200 and len(json_of(found)["entry"]) == 1
