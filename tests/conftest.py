"""Shared fixtures: the real server (uvicorn in a subprocess), stores, and the corpora."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from painfhir.store import Store, open_store

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
FHIR_JSON = "application/fhir+json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"painfhir exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/metadata", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("painfhir did not start within 30 s")


class RunningServer:
    """`painfhir serve` in a subprocess, on a free port, with its own database."""

    def __init__(self, database: Path, *args: str, **settings: str) -> None:
        self.database = database
        self.url = f"http://127.0.0.1:{_free_port()}"
        env = {**os.environ, "PAINFHIR_DATABASE_URL": f"sqlite:///{database}"}
        env.update({f"PAINFHIR_{name.upper()}": value for name, value in settings.items()})
        port = self.url.rsplit(":", 1)[1]
        command = [sys.executable, "-m", "painfhir", "serve", "--port", port, *args]
        self.process = subprocess.Popen([*command, "--log-level", "warning"], env=env)
        try:
            _wait_until_up(self.url, self.process)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = RunningServer(tmp_path_factory.mktemp("server") / "painfhir.db")
    yield running
    running.stop()


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """Every store test runs on each backend."""
    opened = open_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"The shared corpora are missing: expected them at {CORPORA}")
    return CORPORA
