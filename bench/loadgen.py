"""A lean HTTP/1.1 keep-alive load generator over raw asyncio streams.

Why not httpx/aiohttp: a general-purpose Python client spends more CPU per request than a
small FastAPI endpoint does, so on a 2-core box it, not the server, would set the rate. This
client does the minimum per request: write pre-encoded bytes, read the head up to the blank
line, read exactly Content-Length (or the chunks) of body, record the latency.

It only speaks what the bench needs: one request in flight per connection (no pipelining),
`Content-Length` or `Transfer-Encoding: chunked` bodies, and reconnecting when the server says
`Connection: close`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

# Bodies above this go through drain() so a 1 MB bundle respects flow control; small requests
# skip it because awaiting drain() per request is measurable overhead.
_DRAIN_ABOVE = 64 * 1024
_HEAD_END = b"\r\n\r\n"


def build_request(
    method: str,
    path: str,
    port: int,
    *,
    body: bytes = b"",
    content_type: str | None = None,
    host: str = "127.0.0.1",
) -> bytes:
    """Encode one request once, so the hot loop only writes bytes."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Accept: application/fhir+json",
    ]
    if content_type is not None:
        lines.append(f"Content-Type: {content_type}")
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    head: bytes  # status line + headers, lower-cased, for cheap substring lookups
    body: bytes

    def header(self, name: str) -> str | None:
        """Value of a header (first occurrence), or None."""
        key = b"\r\n" + name.lower().encode("ascii") + b":"
        start = self.head.find(key)
        if start < 0:
            return None
        end = self.head.find(b"\r\n", start + len(key))
        return self.head[start + len(key) : end].strip().decode("latin-1")


class Connection:
    """One keep-alive connection; `send` writes a request and returns the parsed response."""

    def __init__(self, host: str, port: int) -> None:
        self._host = host
        self._port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            # The peer may already have gone; closing is best effort.
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    async def send(self, request: bytes) -> Response:
        if self._writer is None or self._reader is None:
            await self.open()
        assert self._reader is not None and self._writer is not None
        self._writer.write(request)
        if len(request) > _DRAIN_ABOVE:
            await self._writer.drain()
        response = await _read_response(self._reader)
        if b"\r\nconnection: close" in response.head:
            await self.close()
        return response


async def _read_response(reader: asyncio.StreamReader) -> Response:
    head = (await reader.readuntil(_HEAD_END)).lower()
    # "HTTP/1.1 200 OK": the status code is always bytes 9..12.
    status = int(head[9:12])
    start = head.find(b"\r\ncontent-length:")
    if start >= 0:
        end = head.find(b"\r\n", start + 17)
        length = int(head[start + 17 : end])
        body = await reader.readexactly(length) if length else b""
    elif b"\r\ntransfer-encoding: chunked" in head:
        body = await _read_chunked(reader)
    else:
        body = b""  # 1xx/204/304 or a server bug; the status check will tell
    return Response(status, head, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected: just the final CRLF
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


@dataclass(slots=True)
class RunResult:
    """What one measured phase produced; latencies are per request, in nanoseconds."""

    requests: int
    elapsed_s: float
    latencies_ns: list[int]
    errors: int = 0
    first_error: str | None = None
    bytes_received: int = 0
    client_cpu_s: float = 0.0  # this process's CPU during the measured phase

    @property
    def rate(self) -> float:
        return self.requests / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def client_cpu_share(self) -> float:
        """Fraction of one core the load generator used; near 1.0 it would be the bottleneck."""
        return self.client_cpu_s / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def percentile_ms(self, pct: float) -> float:
        """Nearest-rank percentile: a real observed latency, not an interpolation."""
        if not self.latencies_ns:
            return float("nan")
        ordered = sorted(self.latencies_ns)
        rank = max(1, -(-len(ordered) * pct // 100))  # ceil without float rounding surprises
        return ordered[int(rank) - 1] / 1e6


@dataclass(slots=True)
class _Tally:
    """Shared by all workers of one phase; asyncio is single-threaded so no lock is needed."""

    tickets: Iterator[int]
    total: int
    expect_status: int
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    bytes_received: int = 0

    def take(self) -> int | None:
        ticket = next(self.tickets)
        return ticket if ticket < self.total else None

    def record(self, response: Response, latency_ns: int) -> None:
        self.latencies_ns.append(latency_ns)
        self.bytes_received += len(response.body)
        if response.status != self.expect_status:
            self.errors += 1
            if self.first_error is None:
                snippet = response.body[:300].decode("utf-8", "replace")
                self.first_error = (
                    f"HTTP {response.status} (expected {self.expect_status}): {snippet}"
                )


async def _worker(connection: Connection, requests: Sequence[bytes], tally: _Tally) -> None:
    perf = time.perf_counter_ns
    count = len(requests)
    while (ticket := tally.take()) is not None:
        started = perf()
        response = await connection.send(requests[ticket % count])
        tally.record(response, perf() - started)


async def _phase(
    connections: Sequence[Connection],
    requests: Sequence[bytes],
    total: int,
    expect_status: int,
    offset: int,
) -> tuple[_Tally, float, float]:
    # Tickets index the request list round-robin; `offset` lets the measured phase continue
    # where the warm-up stopped, so reads keep cycling through all ids.
    tally = _Tally(itertools.count(offset), offset + total, expect_status)
    cpu_started, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(_worker(c, requests, tally) for c in connections))
    return tally, time.perf_counter() - started, time.process_time() - cpu_started


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    total: int,
    warmup: int,
    concurrency: int,
    expect_status: int,
    timeout_s: float,
) -> RunResult:
    """Send `total` requests (cycling through `requests`) over `concurrency` keep-alive
    connections after `warmup` unrecorded ones; the whole run is bounded by `timeout_s`."""
    if not requests:
        raise ValueError("no requests to send")
    connections = [Connection(host, port) for _ in range(concurrency)]
    try:
        async with asyncio.timeout(timeout_s):
            await asyncio.gather(*(c.open() for c in connections))
            warm, _, _ = await _phase(connections, requests, warmup, expect_status, 0)
            tally, elapsed, cpu = await _phase(connections, requests, total, expect_status, warmup)
    finally:
        await asyncio.gather(*(c.close() for c in connections))
    errors = warm.errors + tally.errors
    return RunResult(
        requests=total,
        elapsed_s=elapsed,
        latencies_ns=tally.latencies_ns,
        errors=errors,
        first_error=warm.first_error or tally.first_error,
        bytes_received=tally.bytes_received,
        client_cpu_s=cpu,
    )


async def send_one(host: str, port: int, request: bytes, timeout_s: float = 10.0) -> Response:
    """One request on a fresh connection: for readiness probes and setup, not for load."""
    connection = Connection(host, port)
    try:
        async with asyncio.timeout(timeout_s):
            return await connection.send(request)
    finally:
        await connection.close()
