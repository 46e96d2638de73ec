"""The MLLP listener's limits over real sockets, on both backends: idle connections are
closed, connections past the most allowed are closed at once, and frames share one budget
of bytes."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from painfhir.ingress import Hl7v2Receiver, MllpListener
from painfhir.ingress.mllp import MllpLimits
from painfhir.mapping import Mappings
from painfhir.mapping.hl7v2 import parse_message
from painfhir.store import Store
from tests.ingress.messages import REFERRAL_MODULE, referral
from tests.ingress.mllp_client import MllpClient

MAX_BYTES = 20_000


@pytest.fixture(scope="module")
def mappings() -> Mappings:
    return Mappings.discover([REFERRAL_MODULE])


@contextmanager
def _listening(store: Store, mappings: Mappings, limits: MllpLimits) -> Iterator[int]:
    """A listener on its own event loop, in a thread; its port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    receiver = Hl7v2Receiver(store, mappings, base="", lenient=False)
    listener = MllpListener(receiver, "127.0.0.1", port, MAX_BYTES, limits)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(listener.start(), loop).result(10)
    try:
        yield port
    finally:
        asyncio.run_coroutine_threadsafe(_stop(listener), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


async def _stop(listener: MllpListener) -> None:
    await listener.stop()
    serving = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in serving:
        task.cancel()
    await asyncio.gather(*serving, return_exceptions=True)


def _limits(
    idle_timeout_s: float = 60, max_connections: int = 100, buffer_bytes: int = 10 * MAX_BYTES
) -> MllpLimits:
    return MllpLimits(idle_timeout_s, max_connections, buffer_bytes)


def _closed_by_server(connection: socket.socket, within_s: float) -> bool:
    connection.settimeout(within_s)
    try:
        return connection.recv(1) == b""
    except TimeoutError:
        return False


def _answered_soon(port: int, message: bytes) -> list[str]:
    for _ in range(100):
        try:
            with MllpClient(port) as client:
                return _msa(client.exchange(message))
        except ConnectionError:
            time.sleep(0.05)
    pytest.fail("no connection was taken")


def _msa(ack: bytes) -> list[str]:
    return list(parse_message(ack).segments[1].fields[1:3])


def test_an_idle_connection_is_closed(store: Store, mappings: Mappings) -> None:
    with _listening(store, mappings, _limits(idle_timeout_s=0.5)) as port:
        with MllpClient(port) as busy:
            assert _msa(busy.exchange(referral("IDLE-1"))) == ["AA", "IDLE-1"]
        with socket.create_connection(("127.0.0.1", port)) as idle:
            assert _closed_by_server(idle, within_s=5)


def test_connections_past_the_most_allowed_are_closed_at_once(
    store: Store, mappings: Mappings
) -> None:
    with _listening(store, mappings, _limits(max_connections=2)) as port:
        with MllpClient(port) as first, MllpClient(port) as second:
            assert _msa(first.exchange(referral("CAP-1")))[0] == "AA"
            assert _msa(second.exchange(referral("CAP-2")))[0] == "AA"
            with socket.create_connection(("127.0.0.1", port)) as third:
                assert _closed_by_server(third, within_s=5)
        # room again once those are gone (as soon as the server has seen them close)
        assert _answered_soon(port, referral("CAP-3")) == ["AA", "CAP-3"]


def test_frames_over_the_shared_budget_are_answered_resend_later(
    store: Store, mappings: Mappings
) -> None:
    big = referral("BUDGET-2") + b"NTE|1||" + b"y" * (MAX_BYTES - 1_000) + b"\r"
    limits = _limits(buffer_bytes=MAX_BYTES + 10_000)
    with _listening(store, mappings, limits) as port, MllpClient(port) as slow:
        slow.send_bytes(b"\x0b" + referral("BUDGET-1") + b"NTE|1||" + b"x" * 15_000)
        with MllpClient(port) as other:
            refused = other.exchange(big)  # 15 kB held + 19 kB is over 30 kB
            assert _msa(refused) == ["AR", "BUDGET-2"]
            assert "resend it later" in parse_message(refused).segments[2].fields[8]
            slow.send_bytes(b"\r\x1c\r")
            assert _msa(slow.receive()) == ["AA", "BUDGET-1"]
            assert _msa(other.exchange(big)) == ["AA", "BUDGET-2"]  # the resend is taken
