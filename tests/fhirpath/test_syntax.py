"""Parsing: precedence, literals, comments, and errors that say where."""

from __future__ import annotations

from decimal import Decimal

import pytest

from painfhir.fhirpath import FhirPathSyntaxError, Quantity, Temporal, compile_fhirpath
from tests.fhirpath.conftest import run


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        pytest.param("1 + 2 * 3", [7], id="multiplication before addition"),
        pytest.param("(1 + 2) * 3", [9], id="parentheses"),
        pytest.param("-2 + 5", [3], id="unary minus"),
        pytest.param("10 - 4 - 3", [3], id="left associative"),
        pytest.param("1 | 2 = 1 | 2", [True], id="union before equality"),
        pytest.param("true or false and false", [True], id="and before or"),
        pytest.param("false implies true or false", [True], id="implies loosest"),
        pytest.param("2 > 1 = true", [True], id="comparison before equality"),
        pytest.param("'a' & 'b' + 'c'", ["abc"], id="additive operators"),
        pytest.param("5 is Integer and 'x' is String", [True], id="type operator"),
        pytest.param("1.50", [Decimal("1.50")], id="decimal keeps its digits"),
        pytest.param(r"'it\'s \u00e9'", ["it's é"], id="string escapes"),
        pytest.param("`div`.exists()", [False], id="delimited identifier"),
        pytest.param("1 // a comment\n + /* another */ 1", [2], id="comments"),
        pytest.param("{}", [], id="empty collection"),
    ],
)
def test_expressions_parse_as_fhirpath_says(expression: str, expected: list[object]) -> None:
    assert run(expression) == expected


def test_literals_of_every_kind() -> None:
    (date,) = run("@2024-03-05")
    (date_time,) = run("@2024-03-05T10:30:00.5+01:00")
    (time,) = run("@T10:30")
    (quantity,) = run("4.5 'mg'")
    (calendar,) = run("3 days")
    assert isinstance(date, Temporal) and date.kind == "Date" and date.parts == (2024, 3, 5)
    assert isinstance(date_time, Temporal) and date_time.kind == "DateTime"
    assert date_time.second == Decimal("0.5") and date_time.zone == 60
    assert isinstance(time, Temporal) and time.kind == "Time"
    assert quantity == Quantity(Decimal("4.5"), "mg")
    assert calendar == Quantity(Decimal(3), "day")


@pytest.mark.parametrize(
    ("expression", "position", "message"),
    [
        pytest.param("name.given.", 11, "expected a name", id="dangling dot"),
        pytest.param("name.where(use = 'official'", 27, "expected ',' or ')'", id="unclosed call"),
        pytest.param("1 +", 3, "expected a term", id="missing operand"),
        pytest.param("name given", 5, "expected an operator", id="two terms"),
        pytest.param(
            "name.frobnicate()", 5, "unknown function frobnicate()", id="unknown function"
        ),
        pytest.param("name.first(1)", 5, "first() takes 0 arguments", id="wrong arity"),
        pytest.param("value is Quantityy", 6, "unknown type Quantityy", id="unknown type"),
        pytest.param("'unterminated", 0, "unexpected", id="unterminated string"),
        pytest.param("@2024-13-01", 0, "not a valid date", id="no such month"),
        pytest.param("", 0, "expected an expression", id="empty"),
    ],
)
def test_errors_say_what_and_where(expression: str, position: int, message: str) -> None:
    with pytest.raises(FhirPathSyntaxError) as caught:
        compile_fhirpath(expression)
    assert caught.value.position == position
    assert message in str(caught.value)


def test_compiled_expressions_are_cached() -> None:
    assert compile_fhirpath("status = 'final'") is compile_fhirpath("status = 'final'")
