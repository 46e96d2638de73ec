"""Each family of N1 functions, on the pain-score Observation (see conftest)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from painfhir.fhirpath import FhirPathEvaluationError, Quantity
from tests.fhirpath.conftest import run

CASES = [
    # existence
    pytest.param("note.empty()", [False], id="empty"),
    pytest.param("identifier.empty()", [True], id="empty of nothing"),
    pytest.param("note.exists(text.contains('night'))", [True], id="exists with criteria"),
    pytest.param("note.all(text.length() > 5)", [True], id="all"),
    pytest.param("identifier.all(false)", [True], id="all of nothing is true"),
    pytest.param("(true | false).anyTrue()", [True], id="anyTrue"),
    pytest.param("(true | false).allTrue()", [False], id="allTrue"),
    pytest.param("(false).allFalse()", [True], id="allFalse"),
    pytest.param("(true).anyFalse()", [False], id="anyFalse"),
    pytest.param("(1 | 2).subsetOf(1 | 2 | 3)", [True], id="subsetOf"),
    pytest.param("(1 | 2).supersetOf(3)", [False], id="supersetOf"),
    pytest.param("component.count()", [2], id="count"),
    pytest.param("(1 | 1.0 | 2).count()", [2], id="union merges equal values"),
    pytest.param("(1).combine(1).distinct().count()", [1], id="distinct"),
    pytest.param("component.code.text.isDistinct()", [True], id="isDistinct"),
    # filtering and projection
    pytest.param("component.where(value > 5).code.text", ["worst"], id="where"),
    pytest.param("component.select(code.text)", ["worst", "least"], id="select"),
    pytest.param("component.where($index = 1).code.text", ["least"], id="$index"),
    pytest.param("(1 | 2 | 3).aggregate($this + $total, 0)", [6], id="aggregate"),
    pytest.param("ofType(Observation).id", ["pain-1"], id="ofType on the focus"),
    # subsetting
    pytest.param("note[1].text", ["Better after walking"], id="indexer"),
    pytest.param("note.first().text", ["Worse at night"], id="first"),
    pytest.param("note.last().text", ["Better after walking"], id="last"),
    pytest.param("note.tail().count()", [1], id="tail"),
    pytest.param("(1 | 2 | 3).skip(1)", [2, 3], id="skip"),
    pytest.param("(1 | 2 | 3).take(2)", [1, 2], id="take"),
    pytest.param("(1 | 2 | 3).intersect(2 | 3 | 4)", [2, 3], id="intersect"),
    pytest.param("(1 | 2 | 3).exclude(2)", [1, 3], id="exclude"),
    pytest.param("status.single()", ["final"], id="single"),
    # combining
    pytest.param("(1 | 2).union(2 | 3)", [1, 2, 3], id="union"),
    pytest.param("(1 | 2).combine(2)", [1, 2, 2], id="combine keeps duplicates"),
    # conversion
    pytest.param("iif(status = 'final', 'done', 'open')", ["done"], id="iif"),
    pytest.param("identifier.iif(empty(), 'none', 'some')", ["none"], id="iif on its input"),
    pytest.param("'yes'.toBoolean()", [True], id="toBoolean"),
    pytest.param("'maybe'.convertsToBoolean()", [False], id="convertsToBoolean"),
    pytest.param("'42'.toInteger() + 1", [43], id="toInteger"),
    pytest.param("'4.20'.toDecimal()", [Decimal("4.20")], id="toDecimal"),
    pytest.param("value.value.toString()", ["7.50"], id="toString keeps the JSON digits"),
    pytest.param("true.toString()", ["true"], id="toString of a Boolean"),
    pytest.param("'2024-03'.toDate() < @2024-04", [True], id="toDate"),
    pytest.param("'10:30'.toTime() = @T10:30", [True], id="toTime"),
    pytest.param("'5 mg'.toQuantity()", [], id="toQuantity needs quotes for UCUM"),
    pytest.param(
        "'5 \\'mg\\''.toQuantity('g')", [Quantity(Decimal("0.005"), "g")], id="toQuantity"
    ),
    pytest.param("issued.convertsToDateTime()", [True], id="convertsToDateTime"),
    # strings
    pytest.param("code.text.indexOf('sev')", [5], id="indexOf"),
    pytest.param("code.text.substring(5, 3)", ["sev"], id="substring"),
    pytest.param("code.text.substring(40)", [], id="substring past the end"),
    pytest.param("code.text.startsWith('Pain')", [True], id="startsWith"),
    pytest.param("code.text.endsWith('ity')", [True], id="endsWith"),
    pytest.param("code.text.contains('in s')", [True], id="contains"),
    pytest.param("code.text.upper()", ["PAIN SEVERITY"], id="upper"),
    pytest.param("code.text.lower()", ["pain severity"], id="lower"),
    pytest.param("code.text.replace('Pain', 'Ache')", ["Ache severity"], id="replace"),
    pytest.param("code.text.matches('Pain.*')", [True], id="matches the whole string"),
    pytest.param("code.text.matches('sev')", [False], id="matches is not a search"),
    pytest.param(
        "code.text.replaceMatches('(\\\\w+) (\\\\w+)', '$2 of $1')",
        ["severity of Pain"],
        id="replaceMatches with groups",
    ),
    pytest.param("code.text.length()", [13], id="length"),
    pytest.param("'ab'.toChars()", ["a", "b"], id="toChars"),
    pytest.param("' a '.trim()", ["a"], id="trim"),
    pytest.param("'a,b'.split(',').join('+')", ["a+b"], id="split and join"),
    pytest.param("identifier.value.startsWith('x')", [], id="empty in, empty out"),
    # math
    pytest.param("(-2.5).abs()", [Decimal("2.5")], id="abs"),
    pytest.param("2.1.ceiling()", [3], id="ceiling"),
    pytest.param("2.9.floor()", [2], id="floor"),
    pytest.param("2.567.round(2)", [Decimal("2.57")], id="round"),
    pytest.param("(-2.7).truncate()", [-2], id="truncate"),
    pytest.param("2.power(10)", [1024], id="power"),
    pytest.param("16.sqrt()", [Decimal(4)], id="sqrt"),
    pytest.param("(-1).sqrt()", [], id="sqrt of a negative"),
    pytest.param("100.log(10)", [Decimal(2)], id="log"),
    # tree navigation
    pytest.param("code.children().count()", [2], id="children"),
    pytest.param("code.descendants().count()", [5], id="descendants"),
    pytest.param("descendants().ofType(Coding).code", ["survey", "72514-3"], id="descendants deep"),
    # utility
    pytest.param("note.trace('notes').count()", [2], id="trace returns its input"),
    pytest.param("now() > @2020-01-01T00:00:00Z", [True], id="now"),
    pytest.param("today() = today()", [True], id="today"),
    pytest.param("timeOfDay() >= @T00:00:00", [True], id="timeOfDay"),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_function(expression: str, expected: list[object]) -> None:
    assert run(expression) == expected


@pytest.mark.parametrize(
    "expression",
    [
        pytest.param("note.text.startsWith('W')", id="a String function on several items"),
        pytest.param("component.value.single()", id="single() on several"),
        pytest.param("(1 | 2) < 3", id="comparison of several"),
        pytest.param("'a' < 1", id="no order between String and Integer"),
        pytest.param("value.value.upper()", id="a String function on a Decimal"),
        pytest.param("%undefined", id="an unknown variable"),
    ],
)
def test_what_the_specification_calls_an_error_is_raised(expression: str) -> None:
    with pytest.raises(FhirPathEvaluationError):
        run(expression)


def test_user_variables() -> None:
    assert run("%threshold < value.value", variables={"threshold": 5}) == [True]
