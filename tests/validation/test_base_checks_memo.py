"""Base R4's checks are remembered by content: the same content gets the same answer, any
change to it a fresh one, and no caller can spoil what is remembered."""

from __future__ import annotations

import pytest

from painfhir.fhir.outcome import Issue
from painfhir.validation import _base_checks
from painfhir.validation.validator import validate

PRACTITIONER = {"resourceType": "Practitioner", "name": [{"family": "Okafor"}]}


def _errors(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.severity in ("error", "fatal")]


def test_a_resource_changed_in_place_is_checked_again() -> None:
    resource = {**PRACTITIONER, "gender": "female"}
    assert _errors(validate(resource)) == []
    resource["gender"] = "sometimes"  # not a code of the required AdministrativeGender
    assert any("gender" in (issue.expression or "") for issue in _errors(validate(resource)))
    resource["gender"] = "female"
    assert _errors(validate(resource)) == []


def test_a_caller_changing_the_answer_does_not_change_the_next_one() -> None:
    resource = {**PRACTITIONER, "birthDate": "1970-13-45"}
    first = validate(resource)
    assert _errors(first)
    expected = list(first)
    first.clear()
    assert validate(resource) == expected


def test_the_memo_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_base_checks, "MEMO_SIZE", 3)
    monkeypatch.setattr(_base_checks, "_memo", {})
    for n in range(10):
        validate({**PRACTITIONER, "id": f"p{n}"})
    assert len(_base_checks._memo) == 3


def test_what_is_not_json_is_checked_without_a_memo() -> None:
    assert _errors(validate({"resourceType": "Practitioner", "active": {1, 2}}))
