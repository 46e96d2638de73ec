"""A referral Bundle runs its intake check once, whichever of its entries lead to it."""

from __future__ import annotations

import pytest

from painfhir.fhir.codec import parse_json
from painfhir.interactions import bundles
from painfhir.mapping import Mappings
from painfhir.store import Store
from painfhir.workflow.referral import _gathering, _reactions
from tests.conftest import CORPORA
from tests.workflow.referral.referral_package import referral_bundle


def test_a_package_bundle_checks_its_referral_once(
    store: Store, reacting: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gathered: list[str] = []
    real = _gathering.referral_package

    def counting(session: object, request: dict[str, object]) -> object:
        gathered.append(str(request.get("id")))
        return real(session, request)  # type: ignore[arg-type]

    monkeypatch.setattr(_reactions, "referral_package", counting)
    bundle = referral_bundle(with_coverage=True, with_records=True)
    # The referral first: its package is written after it, so the package's writes reach
    # the referral's Task too (as with an HL7 v2 referral, whose Task comes with it).
    entries = bundle["entry"]
    first = next(e for e in entries if e["resource"]["resourceType"] == "ServiceRequest")
    bundle["entry"] = [first, *(e for e in entries if e is not first)]
    bundles.process(store, bundle, base="", representation=False)
    # The referral's arrival checks it; its Condition, Coverage and records, written in the
    # same Bundle, would have checked it again.
    assert len(gathered) == 1


def test_an_answer_shows_the_content_its_version_holds(store: Store, reacting: None) -> None:
    """An HL7 v2 referral's Task gets its intake findings in the same transaction (one
    version): the transaction-response must show that version as stored, findings and all."""
    raw = (CORPORA / "hl7v2" / "REF-I12-01.hl7").read_bytes()
    bundle = Mappings.discover().map(raw).bundle
    answer = parse_json(bundles.process(store, bundle, base="", representation=True))
    (task,) = [e["resource"] for e in answer["entry"] if e["resource"]["resourceType"] == "Task"]
    stored = store.read_version("Task", task["id"], int(task["meta"]["versionId"]))
    assert stored is not None and stored.content is not None
    assert task == parse_json(stored.content)
    assert task["meta"]["tag"]  # the intake findings are there
