from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer, new_database


@pytest.fixture(scope="module")
def server_with_small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = new_database("sqlite", tmp_path_factory.mktemp("small"))
    running = RunningServer(database, max_body_bytes="1000")
    yield running.url
    running.stop()
