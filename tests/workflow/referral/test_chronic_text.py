"""The referrer's words as evidence of chronic pain: a duration in a duration context of three
months or more, "since" a date that long ago, or "chronic" not negated — never an age or a
planned follow-up."""

from __future__ import annotations

from datetime import date

import pytest

from painfhir.workflow.referral._chronic_text import text_shows_chronicity

REFERRED = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("Burning feet for 8 months.", True, id="for 8 months"),
        pytest.param("Low back pain for the past 6 months", True, id="for the past 6 months"),
        pytest.param("Pain for over a year, worse at night", True, id="for over a year"),
        pytest.param("Neck pain over the past year", True, id="over the past year: one year"),
        pytest.param("LBP x 6 months", True, id="x 6 months"),
        pytest.param("LBP x6 months", True, id="x6 months"),
        pytest.param("LBP \u00d7 4 months", True, id="multiplication sign 4 months"),
        pytest.param("Hip pain since 6 months", True, id="since 6 months"),
        pytest.param("Painful feet since 2021.", True, id="since an earlier year"),
        pytest.param("Pain since May 2026", True, id="since a month six months back"),
        pytest.param("Pain since October 2026", False, id="since a month a month back"),
        pytest.param("Pain since 2026", False, id="since this year: maybe only weeks"),
        pytest.param("A 2-year history of knee pain", True, id="a 2-year history"),
        pytest.param("Shoulder pain of 6 months\u2019 duration", True, id="6 months' duration"),
        pytest.param("Duration: 4 months", True, id="duration: 4 months"),
        pytest.param("8 months of pain", True, id="8 months of pain"),
        pytest.param("Two years of low back pain", True, id="two years of low back pain"),
        pytest.param("2 years of follow-up", False, id="years of something else than pain"),
        pytest.param("Pain for several months", True, id="for several months"),
        pytest.param("Pain for 13 weeks", True, id="13 weeks: more than 90 days"),
        pytest.param("Pain for 12 weeks", False, id="12 weeks: under 90 days"),
        pytest.param("Burning feet for 2 months.", False, id="for 2 months"),
        pytest.param(
            "45-year-old man with low back pain for 2 weeks", False, id="an age is no duration"
        ),
        pytest.param("Aged 45, pain for 2 weeks", False, id="aged 45"),
        pytest.param("Patient 62 yo, sciatica", False, id="62 yo"),
        pytest.param("2 year follow-up planned", False, id="a follow-up plan is no duration"),
        pytest.param("Review over the next 6 months", False, id="the next months are to come"),
        pytest.param("Chronic low back pain", True, id="chronic"),
        pytest.param("Acute on chronic neck pain", True, id="acute on chronic"),
        pytest.param("No chronic features", False, id="no chronic features"),
        pytest.param("Acute, not chronic", False, id="not chronic"),
        pytest.param("Non-chronic pain", False, id="non-chronic"),
        pytest.param("No evidence of chronic pain", False, id="no evidence of chronic"),
        pytest.param("No red flags; chronic pain", True, id="a negation in another clause"),
        pytest.param("Chronicity not established", False, id="chronicity is not chronic"),
    ],
)
def test_text_shows_chronicity(text: str, shown: bool) -> None:
    assert text_shows_chronicity(text, REFERRED) is shown
