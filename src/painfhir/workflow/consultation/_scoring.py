"""Which Observations each shipped questionnaire's completed response yields, pure. Each
derived Observation has a kind (`peg`, `phq-9-total` …) that names it among the response's
derived Observations, so scoring a response again replaces them rather than adding more."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from painfhir.workflow.consultation import _instruments as scales
from painfhir.workflow.consultation._observations import (
    ResponseContext,
    pain_now,
    peg_panel,
    total_score,
)

Json = dict[str, Any]
Derived = dict[str, Json]  # kind → Observation
Scorer = Callable[[ResponseContext, dict[str, Json], str | None], Derived]


def _peg(context: ResponseContext, answers: dict[str, Json], gender: str | None) -> Derived:
    items = scales.peg_items(answers)
    return {"peg": peg_panel(context, items, scales.peg_mean(items))}


def _phq9(context: ResponseContext, answers: dict[str, Json], gender: str | None) -> Derived:
    total = scales.phq9_total(answers)
    return {"phq-9-total": total_score(context, "44261-6", "PHQ-9 total score", total)}


def _gad7(context: ResponseContext, answers: dict[str, Json], gender: str | None) -> Derived:
    total = scales.gad7_total(answers)
    return {"gad-7-total": total_score(context, "70274-6", "GAD-7 total score", total)}


def _ort(context: ResponseContext, answers: dict[str, Json], gender: str | None) -> Derived:
    total = scales.ort_total(answers, gender)
    return {"ort-total": total_score(context, "91392-1", "Opioid Risk Tool total score", total)}


def _pain_impact(context: ResponseContext, answers: dict[str, Json], gender: str | None) -> Derived:
    """Pain now, when answered; the impact answers stay in the response."""
    if scales.PAIN_NOW not in answers:
        return {}
    return {"pain-now": pain_now(context, scales.rating(answers, scales.PAIN_NOW))}


@dataclass(frozen=True, slots=True)
class Instrument:
    kinds: tuple[str, ...]  # the kinds of Observation it may derive
    score: Scorer


# By the shipped questionnaire's id.
SCORERS: dict[str, Instrument] = {
    "peg": Instrument(("peg",), _peg),
    "phq-9": Instrument(("phq-9-total",), _phq9),
    "gad-7": Instrument(("gad-7-total",), _gad7),
    "opioid-risk-tool": Instrument(("ort-total",), _ort),
    "pain-impact": Instrument(("pain-now",), _pain_impact),
}
