"""Searches that read their page's ids from the index tables, and the token + date pairs
(`search_token_date`) that answer "this code in that window", on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.interactions import writes
from painfhir.search.query import parse_query
from painfhir.store import Store
from tests.conftest import Database

LOINC = "http://loinc.org"


def _observation(code: str, when: str, system: str = LOINC) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": system, "code": code}], "text": f"text of {code}"},
        "effectiveDateTime": when,
    }


@pytest.fixture
def observations(store: Store) -> dict[str, str]:
    """name → id of a few Observations with known codes and dates."""
    made = {
        "height-2020": _observation("8302-2", "2020-03-01"),
        "height-2023": _observation("8302-2", "2023-07-15T10:00:00Z"),
        "height-2024": _observation("8302-2", "2024-05-30"),
        "weight-2024": _observation("29463-7", "2024-06-01"),
        "local-2024": _observation("8302-2", "2024-06-02", system="urn:local"),
        "period": {
            **_observation("29463-7", "2021-01-01"),
            "effectivePeriod": {"start": "2021-01-01", "end": "2023-12-31"},
        },
    }
    del made["period"]["effectiveDateTime"]
    ids = {}
    with store.write() as session:
        for name, resource in made.items():
            ids[name] = writes.create(session, resource).version.res_id
    return ids


def _found(store: Store, res_type: str, query: str) -> set[str]:
    items = [(name, value) for name, _, value in (p.partition("=") for p in query.split("&"))]
    page = store.search(parse_query(res_type, items, strict=True))
    return {v.res_id for v in page.matches}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("code=8302-2&date=ge2023-01-01", {"height-2023", "height-2024", "local-2024"}),
        ("code=http://loinc.org|8302-2&date=ge2023-01-01", {"height-2023", "height-2024"}),
        ("code=urn:local|8302-2&date=ge2023-01-01", {"local-2024"}),
        ("code=8302-2&date=lt2023-07-15", {"height-2020"}),
        ("code=8302-2&date=2023-07", {"height-2023"}),
        ("code=8302-2&date=ge2021&date=le2023-12", {"height-2023"}),
        ("code=8302-2,29463-7&date=ge2024-05-31", {"weight-2024", "local-2024"}),
        # R4's eq is containment: 2022 does not contain a 2021-2023 period, which starts
        # below it (le) and is not contained in it (ne)
        ("code=29463-7&date=2022", set()),
        ("code=29463-7&date=le2022", {"period"}),
        ("code=29463-7&date=ne2022", {"weight-2024", "period"}),
        (
            "code=8302-2&date=ge2023-01-01&status=final",
            {"height-2023", "height-2024", "local-2024"},
        ),
        # Not a pair (no code named, or a modifier): the two criteria are searched apart.
        ("code=http://loinc.org|&date=ge2024-01-01", {"height-2024", "weight-2024"}),
        ("code:text=text of 8302&date=ge2024-01-01", {"height-2024", "local-2024"}),
        ("code:not=8302-2&date=ge2024-01-01", {"weight-2024"}),
        (
            "date=ge2024-01-01&_lastUpdated=gt2000-01-01",
            {"height-2024", "weight-2024", "local-2024"},
        ),
    ],
)
def test_code_in_window(
    store: Store, observations: dict[str, str], query: str, expected: set[str]
) -> None:
    names = {v: k for k, v in observations.items()}
    assert {names[i] for i in _found(store, "Observation", query)} == expected


def test_pair_rows_follow_the_current_version(
    store: Store, database: Database, observations: dict[str, str]
) -> None:
    # One row per coding with a code (the CodeableConcept's text has none) and date.
    assert database.count("search_token_date") == len(observations)
    res_id = observations["height-2020"]
    with store.write() as session:
        moved = {**_observation("8302-2", "2024-06-03"), "id": res_id}
        writes.update(session, res_id, moved)
    assert res_id in _found(store, "Observation", "code=8302-2&date=ge2024-06-03")
    assert res_id not in _found(store, "Observation", "code=8302-2&date=lt2021")
    with store.write() as session:
        writes.delete(session, "Observation", res_id)
    assert res_id not in _found(store, "Observation", "code=8302-2&date=ge2024-06-03")
    assert database.count("search_token_date") == len(observations) - 1


def test_pages_from_the_index_follow_their_cursors(store: Store) -> None:
    with store.write() as session:
        by_day = {
            day: writes.create(session, _observation("8302-2", f"2024-01-{day:02d}")).version.res_id
            for day in range(1, 8)
        }
    items = [("code", "8302-2"), ("date", "ge2024-01-02"), ("_count", "2")]
    seen: list[str] = []
    query = parse_query("Observation", items, strict=True)
    while True:
        page = store.search(query)
        seen += [v.res_id for v in page.matches]
        if page.next_cursor is None:
            break
        query = parse_query("Observation", [*items, ("_cursor", page.next_cursor)], strict=True)
    # Every match once, in id order, over three pages.
    assert seen == sorted(by_day[day] for day in range(2, 8))
    assert page.previous_cursor is not None
    back = [*items, ("_cursor", page.previous_cursor)]
    previous = store.search(parse_query("Observation", back, strict=True))
    assert [v.res_id for v in previous.matches] == seen[2:4]


def test_a_reference_leads_and_the_rest_filter(store: Store) -> None:
    with store.write() as session:
        patient = writes.create(session, {"resourceType": "Patient"}).version.res_id
        other = writes.create(session, {"resourceType": "Patient"}).version.res_id
        plans = {}
        for owner, status in ((patient, "active"), (patient, "completed"), (other, "active")):
            plan = {
                "resourceType": "CarePlan",
                "status": status,
                "intent": "plan",
                "subject": {"reference": f"Patient/{owner}"},
            }
            plans[(owner, status)] = writes.create(session, plan).version.res_id
        writes.delete(session, "CarePlan", plans[(other, "active")])
    assert _found(store, "CarePlan", f"patient={patient}&status=active") == {
        plans[(patient, "active")]
    }
    assert _found(store, "CarePlan", f"patient={other}&status=active") == set()
    assert _found(store, "CarePlan", f"patient={patient}&_id={plans[(patient, 'completed')]}") == {
        plans[(patient, "completed")]
    }
