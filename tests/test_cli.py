"""`painfhir serve --demo` loads the demo referrals once, however often it starts; the
commands' arguments are checked before anything runs."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from painfhir.cli import main
from tests.api.fhir_client import patient, send
from tests.conftest import Database, RunningServer


def _totals(url: str) -> dict[str, int]:
    counts = {}
    for res_type in ("Patient", "ServiceRequest", "Condition", "Coverage", "Organization", "Task"):
        bundle = httpx.get(f"{url}/{res_type}", params={"_count": "100"}).json()
        counts[res_type] = len(bundle.get("entry", []))
    return counts


def test_demo_is_loaded_once(database: Database) -> None:
    first = RunningServer(database, "--demo")
    try:
        loaded = _totals(first.url)
        referrals = httpx.get(f"{first.url}/ServiceRequest").json()["entry"]
        referral = referrals[0]["resource"]
        subject = httpx.get(f"{first.url}/{referral['subject']['reference']}")
        tasks = httpx.get(f"{first.url}/Task", params={"owner": "Organization/painfhir-clinic"})
    finally:
        first.stop()
    received = [entry["resource"] for entry in tasks.json()["entry"]]
    assert len(received) == 3  # the demo referrals arrive at the configured clinic
    assert all(task["businessStatus"]["coding"][0]["code"] == "2.0" for task in received)
    # The intake check ran: at least one demo package lacks something the clinic needs.
    assert any(task.get("input") for task in received)
    assert loaded["Patient"] == 3
    assert loaded["ServiceRequest"] == 3
    assert loaded["Condition"] >= 3
    assert subject.status_code == 200
    again = RunningServer(database, "--demo")
    try:
        assert _totals(again.url) == loaded
        # the shipped questionnaires are stored at start only when they changed
        peg = httpx.get(f"{again.url}/Questionnaire/peg").json()
        assert peg["meta"]["versionId"] == "1"
    finally:
        again.stop()


def test_several_workers_share_one_database(database: Database) -> None:
    """Two worker processes: a conditional create still leaves exactly one resource."""
    running = RunningServer(database, "--workers", "2")
    try:
        resource = {**patient(), "identifier": [{"system": "urn:w", "value": "1"}]}

        def create(_: int) -> int:
            with httpx.Client(base_url=running.url, timeout=30) as own:
                headers = {"If-None-Exist": "identifier=urn:w|1"}
                return send(own, "POST", "/Patient", resource, **headers).status_code

        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = sorted(pool.map(create, range(16)))
        found = httpx.get(f"{running.url}/Patient", params={"identifier": "urn:w|1"}).json()
    finally:
        running.stop()
    assert statuses == [200] * 15 + [201]
    assert len(found["entry"]) == 1


def test_db_upgrade_then_serve_without_migrating(database: Database) -> None:
    env = {**os.environ, "PAINFHIR_DATABASE_URL": database.url}
    upgrade = [sys.executable, "-m", "painfhir", "db", "upgrade"]
    first = subprocess.run(upgrade, env=env, capture_output=True, text=True, check=True)
    assert "applied 0001_initial" in first.stdout
    second = subprocess.run(upgrade, env=env, capture_output=True, text=True, check=True)
    assert "up to date" in second.stdout
    running = RunningServer(database, migrate_on_start="false")
    running.stop()


def test_serve_refuses_an_outdated_schema_when_not_migrating(database: Database) -> None:
    env = {
        **os.environ,
        "PAINFHIR_DATABASE_URL": database.url,
        "PAINFHIR_MIGRATE_ON_START": "false",
    }
    command = [sys.executable, "-m", "painfhir", "serve", "--port", "1"]
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "painfhir db upgrade" in result.stderr


@pytest.mark.parametrize("limit", ["0", "-1", "many"])
def test_messages_list_refuses_a_limit_below_one(
    limit: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["messages", "list", "--limit", limit])
    assert exited.value.code == 2
    assert f"argument --limit: {limit}:" in capsys.readouterr().err
