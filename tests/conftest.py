"""Shared fixtures: the real server (uvicorn in a subprocess), stores on every backend, and
the corpora.

Every store and API test runs on SQLite and on PostgreSQL. PostgreSQL is the server at
PAINFHIR_TEST_POSTGRES (default postgresql://127.0.0.1:5432/test); each test gets its own
schema. When no PostgreSQL answers, its tests are skipped with the reason.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from painfhir.store import Store, open_store

CORPORA = Path(__file__).resolve().parents[1].parent / "shared" / "corpora"
POSTGRES = os.environ.get("PAINFHIR_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


def _postgres_unreachable() -> str | None:
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL at {POSTGRES}: {str(exc).strip()[:200]}"
    return None


NO_POSTGRES = _postgres_unreachable()
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(NO_POSTGRES is not None, reason=NO_POSTGRES or ""),
    ),
]


@dataclass
class Database:
    """A fresh, empty database of one backend, and a way to look inside it."""

    backend: str
    url: str
    _cleanup: str | None = None

    def count(self, table: str) -> int:
        sql = f"SELECT count(*) FROM {table}"
        if self.backend == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as db:
                return int(db.execute(sql).fetchone()[0])
        with psycopg.connect(self.url) as db:
            row = db.execute(sql).fetchone()
            assert row is not None
            return int(row[0])

    def drop(self) -> None:
        if self._cleanup is not None:
            with psycopg.connect(POSTGRES, autocommit=True) as db:
                db.execute(self._cleanup)


def new_database(backend: str, folder: Path) -> Database:
    if backend == "sqlite":
        return Database(backend, f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}")
    schema = f"painfhir_test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(POSTGRES, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES else "?"
    url = f"{POSTGRES}{separator}options=-csearch_path%3D{schema}"
    return Database(backend, url, f"DROP SCHEMA {schema} CASCADE")


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
    """`painfhir serve` in a subprocess, on a free port, with its own database; with `mllp`,
    also listening for MLLP on a free port of its own (`mllp_port`)."""

    def __init__(self, database: Database, *args: str, mllp: bool = False, **settings: str) -> None:
        self.database = database
        self.url = f"http://127.0.0.1:{_free_port()}"
        self.mllp_port = _free_port() if mllp else None
        if self.mllp_port is not None:
            args = (*args, "--mllp-port", str(self.mllp_port))
        env = {**os.environ, "PAINFHIR_DATABASE_URL": database.url}
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


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture(scope="session")
def server(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    database = new_database(backend, tmp_path_factory.mktemp("server"))
    running = RunningServer(database)
    yield running
    running.stop()
    database.drop()


@pytest.fixture
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


@pytest.fixture
def database(backend: str, tmp_path: Path) -> Iterator[Database]:
    fresh = new_database(backend, tmp_path)
    yield fresh
    fresh.drop()


@pytest.fixture
def postgres(tmp_path: Path) -> Iterator[Database]:
    """A fresh database on PostgreSQL alone: for what only several writers at once can bring
    about (SQLite lets one write at a time)."""
    if NO_POSTGRES is not None:
        pytest.skip(NO_POSTGRES)
    fresh = new_database("postgresql", tmp_path)
    yield fresh
    fresh.drop()


@pytest.fixture
def store(database: Database) -> Iterator[Store]:
    opened = open_store(database.url)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.fail(f"The shared corpora are missing: expected them at {CORPORA}")
    return CORPORA
