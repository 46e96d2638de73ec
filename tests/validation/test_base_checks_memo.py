"""Base R4's checks are remembered by content: the same content gets the same answer, any
change to it a fresh one, and no caller can spoil what is remembered."""

from __future__ import annotations

import datetime
import enum
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import pytest

from painfhir.fhir.outcome import Issue
from painfhir.validation import _base_checks
from painfhir.validation.validator import validate

PRACTITIONER = {"resourceType": "Practitioner", "name": [{"family": "Okafor"}]}


class Sex(enum.Enum):
    FEMALE = "female"


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


def test_threads_filling_the_memo_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server validates on a thread pool: evicting and adding at once must not fail."""
    monkeypatch.setattr(_base_checks, "MEMO_SIZE", 8)
    monkeypatch.setattr(_base_checks, "_memo", {})

    def validate_many(thread: int) -> int:
        return sum(len(validate({**PRACTITIONER, "id": f"t{thread}-{n}"})) for n in range(300))

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(validate_many, range(8)))
    assert len(set(counts)) == 1  # every thread got the same answers for alike resources
    assert len(_base_checks._memo) <= 8


def test_documents_are_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Memory: a Binary of a megabyte is checked, never kept."""
    monkeypatch.setattr(_base_checks, "_memo", {})
    document = {"resourceType": "Binary", "contentType": "application/pdf", "data": "QUJD" * 2**18}
    assert _errors(validate(document)) == []
    assert _base_checks._memo == {}
    validate(PRACTITIONER)
    assert len(_base_checks._memo) == 1
    assert all(len(key) == 16 for key in _base_checks._memo)  # digests, not the JSON


def _prefixed(prefix: object) -> dict[str, object]:
    return {**PRACTITIONER, "name": [{"family": "Okafor", "prefix": prefix}]}


@pytest.mark.parametrize(
    ("refused", "accepted"),
    [
        (
            {**PRACTITIONER, "birthDate": datetime.date(1970, 1, 2)},
            {**PRACTITIONER, "birthDate": "1970-01-02"},
        ),
        (_prefixed(("Dr",)), _prefixed(["Dr"])),
        ({**PRACTITIONER, "gender": Sex.FEMALE}, {**PRACTITIONER, "gender": "female"}),
        ({**PRACTITIONER, "name": [OrderedDict(family="Okafor")]}, PRACTITIONER),
    ],
    ids=["date", "tuple", "enum", "dict subclass"],
)
def test_python_values_that_serialise_like_json_are_not_taken_for_it(
    refused: dict[str, object], accepted: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Site mapping modules hand over what they built; the memo's key is its JSON text,
    which is the same for both of each pair."""
    for first in (refused, accepted):  # whichever was checked first
        monkeypatch.setattr(_base_checks, "_memo", {})
        validate(first)
        assert _errors(validate(refused))
        assert _errors(validate(accepted)) == []
