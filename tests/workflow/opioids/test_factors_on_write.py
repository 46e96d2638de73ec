"""The checks on write use the factor set PAINFHIR_MME_FACTORS names: 2022 unless told."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.interactions import writes
from painfhir.store import Store
from painfhir.workflow.opioids._detected_issue import detected_issue_id
from painfhir.workflow.opioids._reaction import factors_on_write
from tests.workflow.opioids.prescriptions import dosage, every, prescription

METHADONE_10_TABLET = "864706"


@pytest.fixture(autouse=True)
def factors_read_afresh() -> Iterator[None]:
    yield
    factors_on_write.cache_clear()  # the setting is read once: the next test may set another


@pytest.mark.parametrize(
    ("setting", "detail", "summary"),
    [
        pytest.param(
            None,
            "282 MME/d.",
            "282 MME/d over 1 active opioid prescription(s) (CDC 2022 factors)",
            id="default-2022: 60 mg x 4.7",
        ),
        pytest.param(
            "2016",
            "600 MME/d.",
            "600 MME/d over 1 active opioid prescription(s) (CDC 2016 factors)",
            id="2016: 60 mg/d in the 41-60 band, x 10",
        ),
    ],
)
def test_the_factor_set_of_the_checks_on_write(
    store: Store,
    reacting: None,
    monkeypatch: pytest.MonkeyPatch,
    setting: str | None,
    detail: str,
    summary: str,
) -> None:
    if setting is not None:
        monkeypatch.setenv("PAINFHIR_MME_FACTORS", setting)
    factors_on_write.cache_clear()
    methadone = prescription(METHADONE_10_TABLET, dosage(2, "TAB", every(3)), patient="p1")
    with store.write() as session:
        writes.update(session, "p1", {"resourceType": "Patient", "id": "p1"})
        written = writes.update(session, "rx", methadone)
    assert written.issues[0].diagnostics.startswith(summary)  # it names the factors used
    stored = store.read("DetectedIssue", detected_issue_id("MedicationRequest/rx"))
    assert stored is not None and stored.content is not None
    issue = parse_json(stored.content)
    assert issue["detail"].startswith(detail)
    guideline = setting or "2022"
    assert (
        issue["code"]["text"]
        == f"Opioid prescribing review (CDC clinical practice guideline {guideline})"
    )
