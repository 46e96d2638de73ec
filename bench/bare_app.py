"""Reference servers for the REST-core bench.

`python -m bench.bare_app --port N` serves a bare FastAPI app with one GET endpoint returning a
fixed 2 KB FHIR JSON body, under uvicorn configured exactly as painfhir serves. Its rate is the
framework's ceiling on this machine, and painfhir's read-by-id rate is judged against it.

`python -m bench.bare_app --raw --port N` serves the same bytes from a bare asyncio protocol
(no HTTP parsing, no framework). It costs the server almost nothing per request, so the rate
the load generator reaches against it is the load generator's own ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

import orjson
import uvicorn
import uvloop
from fastapi import FastAPI, Response

FHIR_JSON = "application/fhir+json"
BODY_SIZE = 2048


def fixed_body(size: int = BODY_SIZE) -> bytes:
    """A realistic-looking Patient padded to exactly `size` bytes, so both servers send the
    same payload as a mid-sized stored resource."""
    patient = {
        "resourceType": "Patient",
        "id": "bench-patient",
        "meta": {"versionId": "1", "lastUpdated": "2024-01-01T00:00:00Z"},
        "name": [{"family": "Bench", "given": ["Fixed"]}],
        "gender": "unknown",
        "birthDate": "1970-01-01",
        "text": {"status": "generated", "div": ""},
    }
    base = len(orjson.dumps(patient))
    if base > size:
        raise ValueError(f"body template is already {base} bytes")
    # Pad inside a string field so the body stays valid JSON of the exact size.
    patient["text"] = {"status": "generated", "div": "x" * (size - base)}
    body = orjson.dumps(patient)
    assert len(body) == size
    return body


BODY = fixed_body()

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/bare")
async def bare() -> Response:
    return Response(content=BODY, media_type=FHIR_JSON)


class _CannedHttp(asyncio.Protocol):
    """Answers every complete request head with the same pre-built response. Only valid for
    body-less GETs, which is all the calibration run sends."""

    response = (
        f"HTTP/1.1 200 OK\r\ncontent-type: {FHIR_JSON}\r\ncontent-length: {len(BODY)}\r\n\r\n"
    ).encode("ascii") + BODY

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._pending = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's TCP transport is not an asyncio.Transport subclass, but is one in behaviour.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        # Requests may arrive split across reads; keep the tail after the last full head.
        buffered = self._pending + data
        complete = buffered.count(b"\r\n\r\n")
        self._pending = buffered[buffered.rfind(b"\r\n\r\n") + 4 :] if complete else buffered
        if complete and self._transport is not None:
            self._transport.write(self.response * complete)


async def _serve_raw(host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_CannedHttp, host, port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--raw", action="store_true", help="canned asyncio server (calibration)")
    args = parser.parse_args()
    if args.raw:
        uvloop.run(_serve_raw(args.host, args.port))
    else:
        # Exactly painfhir's serving configuration, so the comparison is like for like.
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            http="httptools",
            loop="uvloop",
            log_level="warning",
            access_log=False,
        )


if __name__ == "__main__":
    main()
