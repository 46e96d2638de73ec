"""Has the pain lasted three months or more? A chronic pain code says so; so does a reason
Condition whose onset (or, failing that, recorded date) is three months before the referral,
or the referrer's own words ("chronic", "for 8 months", "two years", "since 2021")."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from painfhir.workflow.referral._referral_package import (
    ICD10CM,
    SNOMED,
    ReferralPackage,
    day,
    matches,
    reason_codings,
    referral_day,
    referral_texts,
)

Json = dict[str, Any]
_CHRONIC_MONTHS = 3
# Codes that say "chronic" themselves (domain notes §3): the referrer asserts the duration.
_CHRONIC_CODES = {
    SNOMED: ("82423001", "373621006", "278860009", "1121000119107"),
    ICD10CM: ("G89.2", "G89.4"),  # G89.2x by prefix
}
_NUMBERS = {"one": 1, "a": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "several": 3, "many": 3}  # fmt: skip
_DURATION = re.compile(r"\b(\d+|[a-z]+)[\s-]+(month|year|yr)s?\b")
_SINCE_YEAR = re.compile(r"\bsince\s+(?:[a-z]+\s+)?((?:19|20)\d\d)\b")
_CHRONIC_WORD = re.compile(r"\bchronic\b")


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def _text_shows_chronicity(text: str, referred: date) -> bool:
    lowered = text.lower()
    if _CHRONIC_WORD.search(lowered):
        return True
    for number, unit in _DURATION.findall(lowered):
        count = int(number) if number.isdigit() else _NUMBERS.get(number)
        if count is not None and (unit != "month" or count >= _CHRONIC_MONTHS):
            return True
    return any(int(year) < referred.year for year in _SINCE_YEAR.findall(lowered))


def _condition_began(condition: Json) -> date | None:
    period = condition.get("onsetPeriod") or {}
    return (
        day(condition.get("onsetDateTime"))
        or day(period.get("start"))
        or day(condition.get("recordedDate"))
    )


def chronicity_shown(package: ReferralPackage) -> bool:
    referred = referral_day(package.referral)
    if matches(reason_codings(package), _CHRONIC_CODES):
        return True
    for condition in package.conditions:
        began = _condition_began(condition)
        if began is not None and _months_between(began, referred) >= _CHRONIC_MONTHS:
            return True
    return any(_text_shows_chronicity(text, referred) for text in referral_texts(package))
