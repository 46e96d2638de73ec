"""`painfhir serve --demo` loads the demo referrals once, however often it starts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.conftest import RunningServer


def _totals(url: str) -> dict[str, int]:
    counts = {}
    for res_type in ("Patient", "ServiceRequest", "Condition", "Coverage", "Organization"):
        bundle = httpx.get(f"{url}/{res_type}", params={"_count": "100"}).json()
        counts[res_type] = len(bundle.get("entry", []))
    return counts


def test_demo_is_loaded_once(tmp_path: Path) -> None:
    database = tmp_path / "demo.db"
    first = RunningServer(database, "--demo")
    try:
        loaded = _totals(first.url)
        referrals = httpx.get(f"{first.url}/ServiceRequest").json()["entry"]
        referral = referrals[0]["resource"]
        subject = httpx.get(f"{first.url}/{referral['subject']['reference']}")
    finally:
        first.stop()
    assert loaded["Patient"] == 3
    assert loaded["ServiceRequest"] == 3
    assert loaded["Condition"] >= 3
    assert subject.status_code == 200
    again = RunningServer(database, "--demo")
    try:
        assert _totals(again.url) == loaded
    finally:
        again.stop()
