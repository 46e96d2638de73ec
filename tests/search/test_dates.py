"""A date search value covers the whole range its precision implies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from painfhir.fhir.outcome import FhirError
from painfhir.search.dates import parse_date_value


def _utc(year: int, month: int, day: int, *clock: int) -> datetime:
    hour, minute, second, micro = (*clock, 0, 0, 0, 0)[:4]
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "low", "high"),
    [
        pytest.param("2024", _utc(2024, 1, 1), _utc(2025, 1, 1), id="year"),
        pytest.param("2024-03", _utc(2024, 3, 1), _utc(2024, 4, 1), id="month"),
        pytest.param("2024-12", _utc(2024, 12, 1), _utc(2025, 1, 1), id="december"),
        pytest.param("2024-02-29", _utc(2024, 2, 29), _utc(2024, 3, 1), id="leap-day"),
        pytest.param(
            "2024-03-05T10:30", _utc(2024, 3, 5, 10, 30), _utc(2024, 3, 5, 10, 31), id="minute"
        ),
        pytest.param(
            "2024-03-05T10:30:15+02:00",
            _utc(2024, 3, 5, 8, 30, 15),
            _utc(2024, 3, 5, 8, 30, 16),
            id="second-with-offset",
        ),
        pytest.param(
            "2024-03-05T10:30:15.25Z",
            _utc(2024, 3, 5, 10, 30, 15, 250000),
            _utc(2024, 3, 5, 10, 30, 15, 260000),
            id="fraction",
        ),
    ],
)
def test_precision_sets_the_range(value: str, low: datetime, high: datetime) -> None:
    parsed = parse_date_value("_lastUpdated", value)
    assert (parsed.prefix, parsed.low, parsed.high) == ("eq", low, high)


def test_prefix_is_taken_off() -> None:
    parsed = parse_date_value("_lastUpdated", "ge2024-03")
    assert (parsed.prefix, parsed.low) == ("ge", _utc(2024, 3, 1))


def test_approximately_widens_the_range() -> None:
    parsed = parse_date_value("_lastUpdated", "ap2024-03-05")
    assert parsed.low < _utc(2024, 3, 5) and parsed.high > _utc(2024, 3, 6)


@pytest.mark.parametrize("value", ["yesterday", "2024-13", "2024-03-05T25:00", "24-03-05"])
def test_invalid_dates_are_400(value: str) -> None:
    with pytest.raises(FhirError) as raised:
        parse_date_value("_lastUpdated", value)
    assert raised.value.status == 400
