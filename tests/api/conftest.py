from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import RunningServer


@pytest.fixture(scope="module")
def server_with_small_limit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    running = RunningServer(tmp_path_factory.mktemp("small") / "painfhir.db", max_body_bytes="1000")
    yield running.url
    running.stop()
