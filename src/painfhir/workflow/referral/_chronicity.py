"""Has the pain lasted three months or more? A chronic pain code says so; so does a reason
Condition whose onset (or, failing that, recorded date) is three months before the referral,
or the referrer's own words ("chronic", "for 8 months", "over two years", "since 2021"):
see `_chronic_text`."""

from __future__ import annotations

from datetime import date
from typing import Any

from painfhir.workflow.referral._chronic_text import text_shows_chronicity
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


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


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
    return any(text_shows_chronicity(text, referred) for text in referral_texts(package))
