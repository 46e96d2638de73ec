"""What the workflow ships is stored once, even when several workers start together."""

from __future__ import annotations

import threading

from painfhir import workflow
from painfhir.store import HistoryQuery, open_store
from tests.conftest import Database

WORKERS = 4


def test_workers_starting_together_store_the_shipped_content_once(database: Database) -> None:
    open_store(database.url).close()  # the schema first, as `painfhir serve` migrates first
    stores = [open_store(database.url, migrate=False) for _ in range(WORKERS)]
    start = threading.Barrier(WORKERS)
    failures: list[BaseException] = []

    def install(index: int) -> None:
        start.wait()
        try:
            workflow.install_content(stores[index])
        except BaseException as exc:  # reported by the assertion below
            failures.append(exc)

    threads = [threading.Thread(target=install, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    history = stores[0].history(HistoryQuery(count=1000))
    for store in stores:
        store.close()
    assert failures == []
    assert history and all(version.version == 1 for version in history)
    assert len({version.reference for version in history}) == len(history)
