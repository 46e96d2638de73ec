"""Fixtures the workflow's tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from painfhir import workflow
from painfhir.interactions import reactions
from painfhir.store import Store, open_store
from tests.conftest import Database


@pytest.fixture
def reacting() -> Iterator[None]:
    """The workflow's reactions installed for the test, as `painfhir serve` installs them."""
    previous = reactions.install(workflow.reactions_for)
    yield
    reactions.install(previous)


@pytest.fixture
def reacting_postgres_store(postgres: Database, reacting: None) -> Iterator[Store]:
    """A store on PostgreSQL with the workflow's reactions installed: for races between
    writers, which SQLite (one writer at a time) cannot have."""
    store = open_store(postgres.url)
    yield store
    store.close()
