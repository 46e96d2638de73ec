"""Scoring the shipped assessment questionnaires, pure: a response's answers in, the score the
instrument defines out — or why it cannot be scored (an unanswered item, an answer off the
scale), so a partial response never yields a misleading total.

PHQ-9 and GAD-7 items are answered with the LOINC frequency answers (0 to 3); PEG and pain
severity items with whole numbers 0 to 10; the Opioid Risk Tool's items yes / no, weighted by
the patient's sex (Webster & Webster 2005). The bands are the instruments' published ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]
LOINC = "http://loinc.org"

# LOINC answer list LL358-3, "Over the last 2 weeks…", and the points each answer scores.
FREQUENCY_POINTS = {"LA6568-5": 0, "LA6569-3": 1, "LA6570-1": 2, "LA6571-9": 3}
PHQ9_ITEMS = (
    "44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3",
    "44260-8",
)  # fmt: skip
GAD7_ITEMS = ("69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7")
PEG_ITEMS = ("75893-8", "91145-3", "91146-1")
PAIN_NOW = "72514-3"

PHQ9_BANDS = ((4, "Minimal depression"), (9, "Mild depression"), (14, "Moderate depression"),
              (19, "Moderately severe depression"), (27, "Severe depression"))  # fmt: skip
GAD7_BANDS = ((4, "Minimal anxiety"), (9, "Mild anxiety"), (14, "Moderate anxiety"),
              (21, "Severe anxiety"))  # fmt: skip
# 29: every item at its higher weight, the most `ort_total` gives a patient of unknown sex.
ORT_BANDS = ((3, "Low risk of opioid misuse"), (7, "Moderate risk of opioid misuse"),
             (29, "High risk of opioid misuse"))  # fmt: skip

# Opioid Risk Tool: linkId → (points for a woman, points for a man).
ORT_WEIGHTS = {
    "family-alcohol": (1, 3),
    "family-illegal-drugs": (2, 3),
    "family-prescription-drugs": (4, 4),
    "personal-alcohol": (3, 3),
    "personal-illegal-drugs": (4, 4),
    "personal-prescription-drugs": (5, 5),
    "age-16-45": (1, 1),
    "preadolescent-sexual-abuse": (3, 0),
    "psych-add-ocd-bipolar-schizophrenia": (2, 2),
    "psych-depression": (1, 1),
}


class NotScoredError(ValueError):
    """The response cannot be scored; the message says which item is wrong."""


@dataclass(frozen=True, slots=True)
class Total:
    value: int
    band: str
    note: str | None = None  # how the score was reached, when that needs saying


def band_of(value: int, bands: tuple[tuple[int, str], ...]) -> str:
    return next(label for upper, label in bands if value <= upper)


def frequency_points(answers: dict[str, Json], link_id: str) -> int:
    code = (answers.get(link_id) or {}).get("valueCoding", {}).get("code")
    if code not in FREQUENCY_POINTS:
        raise NotScoredError(f"item {link_id} has no answer from the LOINC frequency scale")
    return FREQUENCY_POINTS[code]


def rating(answers: dict[str, Json], link_id: str) -> int:
    """A 0-to-10 rating item's whole number."""
    value = (answers.get(link_id) or {}).get("valueInteger")
    if not isinstance(value, int) or not 0 <= value <= 10:
        raise NotScoredError(f"item {link_id} has no whole-number answer from 0 to 10")
    return value


def phq9_total(answers: dict[str, Json]) -> Total:
    value = sum(frequency_points(answers, item) for item in PHQ9_ITEMS)
    return Total(value, band_of(value, PHQ9_BANDS))


def gad7_total(answers: dict[str, Json]) -> Total:
    value = sum(frequency_points(answers, item) for item in GAD7_ITEMS)
    return Total(value, band_of(value, GAD7_BANDS))


def ort_total(answers: dict[str, Json], gender: str | None) -> Total:
    """Weighted by sex; for a patient recorded as neither female nor male, each item counts
    with the higher of its two weights, so the risk is never understated."""
    value = 0
    for link_id, (female, male) in ORT_WEIGHTS.items():
        said = (answers.get(link_id) or {}).get("valueBoolean")
        if not isinstance(said, bool):
            raise NotScoredError(f"item {link_id} has no yes / no answer")
        if said:
            value += {"female": female, "male": male}.get(gender or "", max(female, male))
    note = None
    if gender not in ("female", "male"):
        note = (
            "the patient's sex is not recorded as female or male: each item took its higher weight"
        )
    return Total(value, band_of(value, ORT_BANDS), note)


def peg_items(answers: dict[str, Json]) -> tuple[int, int, int]:
    pain, enjoyment, activity = (rating(answers, item) for item in PEG_ITEMS)
    return pain, enjoyment, activity


def peg_mean(items: tuple[int, int, int]) -> float:
    """The PEG score: the items' mean, to one decimal."""
    return round(sum(items) / 3, 1)
