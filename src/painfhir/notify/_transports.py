"""Sending one payload and telling whether the receiver took it.

A delivery counts as delivered only on the receiver's word: an HL7 v2 message needs an
acknowledgement accepting it (MSA-1 AA, or CA in enhanced mode) that names its control id
(MSA-2); over HTTP a 2xx status, and for HL7 v2 an ACK in the body when there is one. AE,
AR, another status, a timeout or a dropped connection are failures, tried again later. The
timeout bounds the whole send, connecting to the last byte of the answer, on either transport.

MLLP uses the listener's framing (`painfhir.ingress.mllp`): one connection per delivery,
the message framed, then the first frame that comes back is the acknowledgement.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from painfhir.ingress.mllp import END_BLOCK, START_BLOCK, FrameReader, OversizeFrame
from painfhir.mapping.hl7v2 import Hl7Error, Terser, parse_message
from painfhir.notify._subscribers import HL7_V2_ER7

_ACCEPTED = frozenset({"AA", "CA"})
_MAX_ACK_BYTES = 1024 * 1024
_READ_SIZE = 64 * 1024


@dataclass(frozen=True, slots=True)
class SendResult:
    delivered: bool
    detail: str  # what the receiver said, for the delivery's attempts


def acknowledgement(ack: bytes, control_id: str) -> SendResult:
    """What an HL7 acknowledgement says about the message `control_id`."""
    try:
        read = Terser(parse_message(ack))
        code, acked, text = read.value("MSA-1"), read.value("MSA-2"), read.value("MSA-3")
    except Hl7Error as error:
        return SendResult(False, f"unreadable acknowledgement: {error}")
    said = f"MSA {code} {text}".strip()
    if acked != control_id:
        return SendResult(False, f"{said}: acknowledges {acked!r}, not {control_id!r}")
    return SendResult(code in _ACCEPTED, said)


async def _read_ack(reader: asyncio.StreamReader) -> bytes:
    frames = FrameReader(_MAX_ACK_BYTES)
    while data := await reader.read(_READ_SIZE):
        for frame in frames.feed(data):
            if isinstance(frame, OversizeFrame):
                raise ConnectionError(f"an acknowledgement of {frame.size} bytes")
            return frame
    raise ConnectionError("the receiver closed the connection without acknowledging")


async def send_mllp(endpoint: str, message: bytes, control_id: str, timeout: float) -> SendResult:
    address = urlsplit(endpoint)
    if address.hostname is None or address.port is None:
        return SendResult(False, f"{endpoint}: an MLLP endpoint is mllp://host:port")
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(address.hostname, address.port)
            writer.write(START_BLOCK + message + END_BLOCK)
            await writer.drain()
            ack = await _read_ack(reader)
    except TimeoutError:
        return SendResult(False, f"no acknowledgement within {timeout:g} s")
    except OSError as error:  # ConnectionError included
        return SendResult(False, f"{endpoint}: {error}")
    finally:
        if writer is not None:
            writer.close()
    return acknowledgement(ack, control_id)


async def send_http(
    client: httpx.AsyncClient,
    endpoint: str,
    payload: bytes,
    content_type: str,
    control_id: str,
    headers: list[tuple[str, str]],
    timeout: float,
) -> SendResult:
    media_type = content_type or "application/fhir+json"
    try:
        # httpx's own timeouts bound each read, so a receiver trickling its answer would
        # hold the send (and the queue) for as long as it likes: bound the whole exchange
        async with asyncio.timeout(timeout):
            response = await client.post(
                endpoint, content=payload, headers=[*headers, ("Content-Type", media_type)]
            )
    except TimeoutError:
        return SendResult(False, f"{endpoint}: no answer within {timeout:g} s")
    except httpx.HTTPError as error:
        return SendResult(False, f"{endpoint}: {type(error).__name__} {error}".strip())
    said = f"HTTP {response.status_code}"
    if not response.is_success:
        return SendResult(False, said)
    if content_type == HL7_V2_ER7 and response.content.lstrip().startswith(b"MSH"):
        ack = acknowledgement(response.content, control_id)
        return SendResult(ack.delivered, f"{said}, {ack.detail}")
    return SendResult(True, said)
