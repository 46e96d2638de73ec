"""The bundled opioid product table: what it covers, and that docs/opioid-safety.md says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from painfhir.workflow.opioids import OPIOIDS, PRODUCTS, Opioid

DOC = Path(__file__).resolve().parents[3] / "docs" / "opioid-safety.md"


def test_the_documentation_lists_every_product() -> None:
    documented = DOC.read_text()
    missing = [code for code in PRODUCTS if f": {code}" not in documented]
    assert missing == []


@pytest.mark.parametrize("opioid", [pytest.param(o, id=o.name) for o in OPIOIDS])
def test_every_opioid_of_the_guideline_has_products(opioid: Opioid) -> None:
    assert any(product.opioid is opioid for product in PRODUCTS.values())


@pytest.mark.parametrize(
    ("route", "opioids"),
    [
        pytest.param("transdermal", {"fentanyl", "buprenorphine"}, id="patches"),
        pytest.param("buccal", {"fentanyl", "buprenorphine"}, id="buccal"),
        pytest.param("sublingual", {"fentanyl", "buprenorphine"}, id="sublingual"),
        pytest.param("nasal", {"fentanyl"}, id="nasal"),
    ],
)
def test_non_oral_products(route: str, opioids: set[str]) -> None:
    found = {p.opioid.name for p in PRODUCTS.values() if p.form.route == route}
    assert found == opioids


def test_every_strength_is_positive_and_every_code_confirmed() -> None:
    assert all(p.strength > 0 and p.confirmed for p in PRODUCTS.values())


def test_opioid_naloxone_combinations_are_marked() -> None:
    combined = {p.rxcui for p in PRODUCTS.values() if p.partner == "naloxone"}
    assert {"1545910", "1545903", "1545907", "351266", "1010604"} <= combined
