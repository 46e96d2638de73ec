"""Scoring the shipped questionnaires, pure: the totals and bands each instrument publishes,
the Observations they become, and responses that cannot be scored."""

from __future__ import annotations

from typing import Any

import pytest

from painfhir.validation.validator import write_refusal
from painfhir.workflow.consultation import QUESTIONNAIRES, SCORERS
from painfhir.workflow.consultation._instruments import (
    GAD7_ITEMS,
    PHQ9_ITEMS,
    NotScoredError,
    ort_total,
)
from painfhir.workflow.consultation._observations import ResponseContext
from tests.e2e import consultation

Json = dict[str, Any]
CONTEXT = ResponseContext(
    response="QuestionnaireResponse/qr1",
    subject={"reference": "Patient/p1"},
    effective="2026-11-16T09:30:00-07:00",
    performer={"reference": "Practitioner/dr-lee"},
    encounter=None,
)


def _scored(questionnaire: str, answers: dict[str, Json], gender: str | None = None) -> Json:
    (observation,) = SCORERS[questionnaire].score(CONTEXT, answers, gender).values()
    assert write_refusal({**observation, "id": "x"}) is None  # valid R4, and its profiles
    assert observation["derivedFrom"] == [{"reference": "QuestionnaireResponse/qr1"}]
    return observation


def _frequencies(items: tuple[str, ...], points: tuple[int, ...]) -> dict[str, Json]:
    return {
        link: {"valueCoding": {"code": consultation.FREQUENCIES[p]}}
        for link, p in zip(items, points, strict=True)
    }


@pytest.mark.parametrize(
    ("points", "total", "band"),
    [
        pytest.param((0,) * 9, 0, "Minimal depression", id="none"),
        pytest.param((1, 1, 1, 1, 1, 0, 0, 0, 0), 5, "Mild depression", id="mild from 5"),
        pytest.param((2, 2, 2, 2, 2, 0, 0, 0, 0), 10, "Moderate depression", id="moderate"),
        pytest.param((3, 3, 3, 3, 3, 0, 0, 0, 0), 15, "Moderately severe depression", id="15"),
        pytest.param((3,) * 9, 27, "Severe depression", id="the maximum"),
    ],
)
def test_phq9_total_and_band(points: tuple[int, ...], total: int, band: str) -> None:
    observation = _scored("phq-9", _frequencies(PHQ9_ITEMS, points))
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    assert (observation["valueInteger"], observation["interpretation"][0]["text"]) == (total, band)


@pytest.mark.parametrize(
    ("points", "total", "band"),
    [
        pytest.param((0, 0, 0, 0, 1, 1, 2), 4, "Minimal anxiety", id="minimal to 4"),
        pytest.param((2, 2, 2, 2, 1, 1, 0), 10, "Moderate anxiety", id="moderate"),
        pytest.param((3,) * 7, 21, "Severe anxiety", id="the maximum"),
    ],
)
def test_gad7_total_and_band(points: tuple[int, ...], total: int, band: str) -> None:
    observation = _scored("gad-7", _frequencies(GAD7_ITEMS, points))
    assert observation["code"]["coding"][0]["code"] == "70274-6"
    assert (observation["valueInteger"], observation["interpretation"][0]["text"]) == (total, band)


def test_peg_panel_conforms_and_carries_the_mean() -> None:
    answers = {
        code: {"valueInteger": v} for code, v in (("75893-8", 7), ("91145-3", 5), ("91146-1", 6))
    }
    panel = _scored("peg", answers)
    assert panel["meta"]["profile"] == ["http://painfhir.org/fhir/StructureDefinition/peg-panel"]
    means = [c["valueQuantity"]["value"] for c in panel["component"] if "valueQuantity" in c]
    assert means == [6.0]


YES_TO_ALL = {link: {"valueBoolean": True} for link in (
    "family-alcohol", "family-illegal-drugs", "family-prescription-drugs", "personal-alcohol",
    "personal-illegal-drugs", "personal-prescription-drugs", "age-16-45",
    "preadolescent-sexual-abuse", "psych-add-ocd-bipolar-schizophrenia", "psych-depression",
)}  # fmt: skip


@pytest.mark.parametrize(
    ("gender", "total"),
    [
        pytest.param("female", 26, id="female weights"),
        pytest.param("male", 26, id="male weights"),
        pytest.param(None, 29, id="unknown sex: the higher weight of each item"),
    ],
)
def test_opioid_risk_tool_weights_by_sex(gender: str | None, total: int) -> None:
    scored = ort_total(YES_TO_ALL, gender)
    assert (scored.value, scored.band) == (total, "High risk of opioid misuse")
    assert (scored.note is None) == (gender is not None)


def test_opioid_risk_tool_bands() -> None:
    answers = {link: {"valueBoolean": False} for link in YES_TO_ALL}
    answers["personal-prescription-drugs"] = {"valueBoolean": True}
    observation = _scored("opioid-risk-tool", answers, "female")
    assert observation["code"]["coding"][0]["code"] == "91392-1"
    assert observation["interpretation"][0]["text"] == "Moderate risk of opioid misuse"


def test_pain_now_is_a_pain_score() -> None:
    observation = _scored("pain-impact", {"72514-3": {"valueInteger": 4}})
    assert observation["valueInteger"] == 4
    assert observation["meta"]["profile"] == [
        "http://painfhir.org/fhir/StructureDefinition/pain-score"
    ]


@pytest.mark.parametrize(
    ("questionnaire", "answers", "problem"),
    [
        pytest.param("phq-9", {}, "item 44250-9 has no answer", id="unanswered"),
        pytest.param(
            "peg",
            {"75893-8": {"valueInteger": 11}},
            "item 75893-8 has no whole-number answer from 0 to 10",
            id="off the scale",
        ),
        pytest.param("opioid-risk-tool", {}, "item family-alcohol has no yes / no", id="ort"),
    ],
)
def test_a_response_that_cannot_be_scored(questionnaire: str, answers: Json, problem: str) -> None:
    with pytest.raises(NotScoredError, match=problem):
        SCORERS[questionnaire].score(CONTEXT, answers, None)


def test_each_shipped_questionnaire_is_valid_and_scored() -> None:
    assert set(QUESTIONNAIRES) == set(SCORERS)
    for questionnaire in QUESTIONNAIRES.values():
        assert write_refusal(questionnaire) is None
        assert questionnaire["url"].endswith("/" + questionnaire["id"])
