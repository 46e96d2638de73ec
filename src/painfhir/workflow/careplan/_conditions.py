"""The chronic pain Conditions a care plan addresses: the referral's reasons and the patient's
Conditions that claim the chronic-pain-condition profile or carry a chronic pain code — unless
resolved, in remission, refuted or entered in error."""

from __future__ import annotations

from typing import Any

from painfhir.store import WriteSession
from painfhir.validation.profile import default_guide
from painfhir.workflow.careplan._codes import (
    CHRONIC_PAIN_CONDITION_PROFILE,
    CHRONIC_PAIN_CONDITIONS,
)
from painfhir.workflow.referral._lookup import resolve, search

Json = dict[str, Any]

_OVER = {"inactive", "resolved", "remission"}
_NOT_SO = {"refuted", "entered-in-error"}
_MOST_CONDITIONS = 100


def _status(condition: Json, element: str) -> set[str]:
    return {c.get("code") for c in (condition.get(element) or {}).get("coding") or []}


def _current(condition: Json) -> bool:
    return not (
        _status(condition, "clinicalStatus") & _OVER
        or _status(condition, "verificationStatus") & _NOT_SO
    )


def is_chronic_pain(condition: Json) -> bool:
    if CHRONIC_PAIN_CONDITION_PROFILE in (condition.get("meta") or {}).get("profile", []):
        return True
    codes = default_guide().value_set(CHRONIC_PAIN_CONDITIONS)
    codings = (condition.get("code") or {}).get("coding") or []
    return codes is not None and any(
        (c.get("system"), c.get("code")) in codes.codings for c in codings
    )


def addressed_conditions(
    session: WriteSession, patient_id: str, referral: Json | None
) -> list[Json]:
    reasons = [resolve(session, r) for r in (referral or {}).get("reasonReference") or []]
    on_file = search(session, "Condition", [("subject", f"Patient/{patient_id}")], _MOST_CONDITIONS)
    found: dict[str, Json] = {}
    for condition in [c for c in reasons if c is not None] + on_file:
        if condition.get("resourceType") != "Condition" or not _current(condition):
            continue
        if condition in reasons or is_chronic_pain(condition):
            found.setdefault(condition["id"], condition)
    return list(found.values())
