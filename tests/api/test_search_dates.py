"""Date prefixes as R4's table reads them (https://hl7.org/fhir/R4/search.html#prefix): a
stored range is `eq` to a search value when the search value contains it — overlapping is
not enough — and `ge` / `le` when it reaches beyond the search value or is contained."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.fhir_client import json_of, send, unique

TAGS = "http://painfhir.example/date-tests"


def _observation(marker: str, name: str, **effective: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{name}-{marker}",
        "meta": {"tag": [{"system": TAGS, "code": marker}]},
        "status": "final",
        "code": {"text": "pain score"},
        **effective,
    }


@pytest.fixture
def dated(client: httpx.Client) -> str:
    """Observations at every precision, tagged with a marker of their own."""
    marker = unique()
    resources = [
        _observation(marker, "month", effectiveDateTime="2024-03"),
        _observation(marker, "day", effectiveDateTime="2024-03-11"),
        _observation(marker, "instant", effectiveDateTime="2024-03-11T04:30:00Z"),
        _observation(marker, "year", effectivePeriod={"start": "2024-01-01", "end": "2024-12-31"}),
        _observation(marker, "open", effectivePeriod={"start": "2024-03-11"}),
    ]
    for resource in resources:
        url = f"/Observation/{resource['id']}"
        assert send(client, "PUT", url, resource).status_code == 201
    return marker


def _found(client: httpx.Client, marker: str, date: str) -> list[str]:
    response = client.get("/Observation", params={"_tag": f"{TAGS}|{marker}", "date": date})
    assert response.status_code == 200, response.text
    return sorted(e["resource"]["id"].split("-")[0] for e in json_of(response).get("entry", []))


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        # eq: the search range contains the target's; a wider target is not equal
        ("2024-03-11T04:30:00Z", ["instant"]),
        ("2024-03-11", ["day", "instant"]),
        ("2024-03", ["day", "instant", "month"]),
        ("2024", ["day", "instant", "month", "year"]),
        # ne: not contained
        ("ne2024-03-11", ["month", "open", "year"]),
        # gt / lt: the range above / below the search value meets the target's
        ("gt2024-03-11", ["month", "open", "year"]),
        ("lt2024-03-11", ["month", "year"]),
        # ge / le: that, or contained
        ("ge2024-03-11", ["day", "instant", "month", "open", "year"]),
        ("le2024-03-11", ["day", "instant", "month", "year"]),
        ("ge2024-04", ["open", "year"]),
        ("le2024-02", ["year"]),
        # sa / eb: wholly after / before
        ("sa2024-03-10", ["day", "instant", "open"]),
        ("eb2025", ["day", "instant", "month", "year"]),
    ],
)
def test_date_prefixes(client: httpx.Client, dated: str, date: str, expected: list[str]) -> None:
    assert _found(client, dated, date) == expected


def test_a_year_is_not_found_by_a_month_in_it(client: httpx.Client) -> None:
    family = f"Year{unique()}"
    body = {"resourceType": "Patient", "name": [{"family": family}], "birthDate": "1980"}
    assert send(client, "POST", "/Patient", body).status_code == 201

    def found(birthdate: str) -> int:
        bundle = json_of(client.get("/Patient", params={"family": family, "birthdate": birthdate}))
        return len(bundle.get("entry", []))

    assert (found("1980-06"), found("1980"), found("ge1980-06"), found("le1980-06")) == (0, 1, 1, 1)
