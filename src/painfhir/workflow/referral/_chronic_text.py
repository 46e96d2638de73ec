"""The referrer's words as evidence that the pain has lasted three months or more: "chronic"
(not negated: "no chronic features", "not chronic"), a duration in a duration context ("for
8 months", "over the past year", "x 6 months", "a 2-year history", "8 months of pain",
"since 6 months") of 90 days or more, or "since 2021" / "since March 2021" at least 90 days
before the referral.

A number with a unit is not a duration by itself: "45-year-old", "aged 45" are ages and "a
2 year follow-up" is a plan, so ages are set aside first and a bare "2 years" shows nothing.
When in doubt the text shows nothing: the finding asks the clinic to check, it declines no one.
"""

from __future__ import annotations

import re
from datetime import date

_CHRONIC_DAYS = 90  # three months (domain notes §1)
_UNIT_DAYS = {"day": 1, "week": 7, "wk": 7, "month": 30, "mo": 30, "year": 365, "yr": 365}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
            "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
            "eighteen": 18, "several": 3, "many": 3}  # fmt: skip
_MONTHS = {name: number for number, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july",
     "aug august", "sep sept september", "oct october", "nov november", "dec december"),
    start=1) for name in names.split()}  # fmt: skip

_AGE = re.compile(
    r"\b\d{1,3}[\s-]*(?:years?|yrs?|y)[\s-]*old\b"  # 45-year-old, 45 years old
    r"|\b\d{1,3}\s*y/?o\b"  # 45 yo, 45y/o
    r"|\b\d{1,3}\s+years?\s+of\s+age\b"
    r"|\baged?\s*:?\s*\d{1,3}\b"  # aged 45, age: 45
)
_QUANTITY = r"(\d+(?:\.\d+)?|[a-z]+)"
_UNIT = r"(day|week|wk|month|mo|year|yr)s?\b"
_QUALIFIERS = (
    r"(?:(?:the|past|last|about|around|almost|nearly|approximately|approx\.?|roughly|over"
    r"|more\s+than|at\s+least|>|≥)\s*)*"
)
# "for 8 months", "over the past year" (no number: one), "x 6 months" (or the multiplication sign)
_AFTER_LEAD = re.compile(
    rf"(?:\b(?:for|over|since|during)\b|\bx(?=\s*\d)|\u00d7)\s*{_QUALIFIERS}"
    rf"(?:{_QUANTITY}[\s-]*)?{_UNIT}"
)
# "a 2-year history", "6 months' duration", "8 months of low back pain", "duration of 6 months"
_HISTORY = re.compile(
    rf"\b{_QUANTITY}[\s-]+{_UNIT}['\u2019]?\s+(?:history|duration)\b"
    rf"|\b{_QUANTITY}[\s-]+{_UNIT}\s+of\s+(?:[a-z-]+\s+){{0,3}}?(?:[a-z]*(?:pain|ache)|symptoms)\b"
    rf"|\bduration\s*(?:of\s*|:\s*){_QUALIFIERS}{_QUANTITY}[\s-]*{_UNIT}"
)
_SINCE = re.compile(r"\bsince\s+(?:([a-z]+)\.?[\s-]+)?((?:19|20)\d\d)\b")

_CLAUSE_BREAK = re.compile(r"[.;:!?,()\n]|\b(?:but|however|although)\b")
_CHRONIC = re.compile(r"\bchronic(?:ally)?\b")
_NEGATION = frozenset({"no", "not", "non", "without", "denies", "denied", "never", "nor"})
_NEGATION_REACH = 3  # "no evidence of chronic pain": the negation is a few words before


def _affirmed_chronic(text: str) -> bool:
    for clause in _CLAUSE_BREAK.split(text):
        for found in _CHRONIC.finditer(clause):
            before = re.findall(r"[a-z]+", clause[: found.start()])[-_NEGATION_REACH:]
            if _NEGATION.isdisjoint(before):
                return True
    return False


def _days(quantity: str, unit: str) -> float | None:
    if not quantity:
        return _UNIT_DAYS[unit]  # "over the past year"
    count = float(quantity) if quantity[0].isdigit() else _NUMBERS.get(quantity)
    return None if count is None else count * _UNIT_DAYS[unit]


def _durations(text: str) -> list[float]:
    found = [m.groups() for m in _AFTER_LEAD.finditer(text)]
    for match in _HISTORY.finditer(text):
        groups = match.groups()  # (quantity, unit) of whichever alternative matched
        found.append(next(groups[i : i + 2] for i in range(0, 6, 2) if groups[i + 1]))
    days = [_days(quantity or "", unit) for quantity, unit in found]
    return [d for d in days if d is not None]


def _since_days(text: str, referred: date) -> list[int]:
    """Days from the end of each "since <month> <year>" or "since <year>" to the referral:
    the pain began at the latest then."""
    days = []
    for word, year_text in _SINCE.findall(text):
        year, month = int(year_text), _MONTHS.get(word)
        ended = date(year + 1, 1, 1) if month is None or month == 12 else date(year, month + 1, 1)
        days.append((referred - ended).days)
    return days


def text_shows_chronicity(text: str, referred: date) -> bool:
    lowered = _AGE.sub(" ", text.lower())
    if _affirmed_chronic(lowered):
        return True
    if any(days >= _CHRONIC_DAYS for days in _durations(lowered)):
        return True
    return any(days >= _CHRONIC_DAYS for days in _since_days(lowered, referred))
