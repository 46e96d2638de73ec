"""The real server with an MLLP listener, one per module and backend, and its two clients:
the referring EHR and the clinic, each saying its side in X-Painfhir-Actor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer, new_database
from tests.workflow.referral.conftest import Party
from tests.workflow.referral.referral_package import CLINIC


@pytest.fixture(scope="module")
def loop_server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    database = new_database(backend, tmp_path_factory.mktemp("loop"))
    running = RunningServer(database, mllp=True)
    yield running
    running.stop()
    database.drop()


@pytest.fixture
def ehr(loop_server: RunningServer) -> Iterator[Party]:
    party = Party(loop_server.url, "referrer")
    yield party
    party.http.close()


@pytest.fixture
def clinic(loop_server: RunningServer) -> Iterator[Party]:
    party = Party(loop_server.url, "clinic Practitioner/dr-lee")
    organization = {"resourceType": "Organization", "id": CLINIC.split("/")[1], "name": "Clinic"}
    assert party.send("PUT", f"/{CLINIC}", organization).status_code in (200, 201)
    # the pain physician the clinic acts as, whom `$schedule` books
    physician = {"resourceType": "Practitioner", "id": "dr-lee", "name": [{"family": "Lee"}]}
    assert party.send("PUT", "/Practitioner/dr-lee", physician).status_code in (200, 201)
    yield party
    party.http.close()
