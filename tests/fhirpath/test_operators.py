"""Operators: three-valued logic, empty propagation, equality and equivalence, comparison of
dates of partial precision and of quantities with units, arithmetic."""

from __future__ import annotations

from decimal import Decimal

import pytest

from painfhir.fhirpath import Quantity
from tests.fhirpath.conftest import run

T, F, E = "true", "false", "{}"


@pytest.mark.parametrize(
    ("left", "operator", "right", "expected"),
    [
        (T, "and", T, [True]), (T, "and", F, [False]), (T, "and", E, []),
        (F, "and", E, [False]), (E, "and", E, []),
        (T, "or", E, [True]), (F, "or", E, []), (F, "or", F, [False]), (E, "or", E, []),
        (T, "xor", F, [True]), (T, "xor", T, [False]), (T, "xor", E, []),
        (F, "implies", E, [True]), (E, "implies", T, [True]), (T, "implies", E, []),
        (T, "implies", F, [False]), (E, "implies", F, []),
    ],
)  # fmt: skip
def test_three_valued_logic(left: str, operator: str, right: str, expected: list[bool]) -> None:
    assert run(f"({left}) {operator} ({right})") == expected


def test_the_left_operand_alone_decides_when_it_can() -> None:
    # The right side would be an error if it were evaluated.
    assert run("true or (note.text < 1)") == [True]
    assert run("false and (note.text < 1)") == [False]
    assert run("false implies (note.text < 1)") == [True]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("{} = 1", [], id="equality with empty is empty"),
        pytest.param("{} != 1", [], id="inequality with empty is empty"),
        pytest.param("{} ~ {}", [True], id="equivalence of empties"),
        pytest.param("1 ~ {}", [False], id="equivalence with empty is false"),
        pytest.param("1 + {}", [], id="arithmetic with empty"),
        pytest.param("'a' & {}", ["a"], id="& treats empty as ''"),
        pytest.param("{} in (1 | 2)", [], id="in with nothing on the left"),
        pytest.param("1 in {}", [False], id="in an empty collection"),
        pytest.param("(1 | 2) contains 2", [True], id="contains"),
        pytest.param("{}.not()", [], id="not of empty"),
        pytest.param("{} < 1", [], id="comparison with empty"),
    ],
)
def test_empty_propagates(expression: str, expected: list[object]) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("1 = 1.0", [True], id="integer and decimal by value"),
        pytest.param("1.10 = 1.1", [True], id="decimals by value"),
        pytest.param("'a' = 'A'", [False], id="strings exactly"),
        pytest.param("'a b' ~ 'A  B'", [True], id="strings equivalent"),
        pytest.param("1.2 ~ 1.23", [True], id="decimals equivalent at the lesser precision"),
        pytest.param("1.2 ~ 1.28", [False], id="decimals not equivalent"),
        pytest.param("true = 1", [False], id="a Boolean is no number"),
        pytest.param("(1 | 2) = (1 | 2)", [True], id="collections item by item"),
        pytest.param("(1 | 2) = (2 | 1)", [False], id="order matters for ="),
        pytest.param("(1 | 2) ~ (2 | 1)", [True], id="not for ~"),
        pytest.param("code = code", [True], id="complex elements by content"),
        pytest.param("code = category", [False], id="complex elements that differ"),
        pytest.param("status = 'final'", [True], id="a FHIR code as a String"),
    ],
)
def test_equality_and_equivalence(expression: str, expected: list[bool]) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("@2024-03-05 < @2024-03-06", [True], id="dates"),
        pytest.param("@2024-03 < @2024-04-01", [True], id="decided before precision differs"),
        pytest.param("@2024-03 < @2024-03-15", [], id="undecided with different precision"),
        pytest.param("@2024-03 = @2024-03-15", [], id="equality undecided too"),
        pytest.param("@2024-03 ~ @2024-03-15", [False], id="not equivalent"),
        pytest.param("@2024-03-05 = @2024-03-05T00:00:00Z", [], id="date and dateTime"),
        pytest.param("@2024-03-05T10:00:00+01:00 = @2024-03-05T09:00:00Z", [True], id="zones"),
        pytest.param("@2024-03-05T10:00:00 = @2024-03-05T10:00:00.000", [True], id="seconds"),
        pytest.param("@T10:00 < @T10:01", [True], id="times"),
        pytest.param("effective.start <= effective.end", [], id="FHIR dates, precisions differ"),
        pytest.param("issued > @2024-03-05T09:00:00Z", [True], id="an instant"),
        pytest.param("@2024-01-31 + 1 month", ["2024-02-29"], id="month arithmetic clamps"),
        pytest.param("@2024-03-05T10:00:00Z - 90 minutes", ["2024-03-05T08:30:00Z"], id="minus"),
        pytest.param("@2014 + 24 months", ["2016"], id="converted to the value's precision"),
    ],
)
def test_dates_and_times(expression: str, expected: list[object]) -> None:
    assert [str(value) for value in run(expression)] == [str(value) for value in expected]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("1 'g' = 1000 'mg'", [True], id="converted"),
        pytest.param("120 'mm[Hg]' > 15 'kPa'", [True], id="pressure"),
        pytest.param("1 'mL' = 1 'cm3'", [True], id="volume"),
        pytest.param("7 days = 1 week", [True], id="calendar durations"),
        pytest.param("1 year = 12 months", [True], id="years and months"),
        pytest.param("1 year = 1 'a'", [], id="a calendar year is no UCUM year"),
        pytest.param("1 'mg' < 1 'mL'", [], id="different dimensions"),
        pytest.param("value > 7 '{score}'", [True], id="a FHIR Quantity"),
        pytest.param("value = 7.5 '{score}'", [True], id="value by value"),
        pytest.param("2 'kg' + 500 'g'", [Quantity(Decimal("2.5"), "kg")], id="addition"),
        pytest.param("3 'mg' * 2", [Quantity(Decimal(6), "mg")], id="scaled"),
        pytest.param("1 'kg/m2' = 1000 'g/m2'", [True], id="compound units"),
        pytest.param("3 '10*3/uL' = 3000 '/uL'", [True], id="powers of ten"),
    ],
)
def test_quantities(expression: str, expected: list[object]) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("7 / 2", [Decimal("3.5")], id="division is decimal"),
        pytest.param("7 div 2", [3], id="div"),
        pytest.param("-7 div 2", [-3], id="div truncates"),
        pytest.param("7 mod 3", [1], id="mod"),
        pytest.param("1 / 0", [], id="division by zero is empty"),
        pytest.param("'ab' + 'cd'", ["abcd"], id="string +"),
        pytest.param("0.1 + 0.2 = 0.3", [True], id="decimals are exact"),
    ],
)
def test_arithmetic(expression: str, expected: list[object]) -> None:
    assert run(expression) == expected
