"""MLLP, HL7's Minimal Lower Layer Protocol: messages framed as 0x0B message 0x1C 0x0D over
TCP, each answered with its acknowledgement in the same framing, in order.

Senders are not always tidy: a frame may arrive in pieces or several in one read, bytes may
stray between frames (they are skipped), and a frame cut short by a new start byte is
dropped in favour of the new one. A frame over the size limit is not taken in: its bytes are
discarded as they come and it is answered AR, so one runaway sender cannot exhaust memory.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from painfhir.ingress import ack
from painfhir.ingress.ack import AckError, build_ack, unlogged_control_id
from painfhir.ingress.header import read_header
from painfhir.ingress.receiver import Hl7v2Receiver
from painfhir.store._time import utc_now

log = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
_READ_SIZE = 64 * 1024
_OVERSIZE_HEAD = 4096  # of an oversize frame, enough to read its MSH for the answer


@dataclass(frozen=True, slots=True)
class OversizeFrame:
    head: bytes  # the frame's first bytes, for the acknowledgement's header
    size: int


class FrameReader:
    """Turns the bytes of one connection, as they arrive, into whole frames."""

    def __init__(self, max_bytes: int) -> None:
        self._max_bytes = max_bytes
        self._frame = bytearray()
        self._in_frame = False
        self._oversize_head: bytes | None = None  # set once the open frame is over the limit
        self._dropped = 0  # bytes of the open, oversize frame discarded so far
        self.skipped = 0  # bytes seen outside any frame

    def feed(self, data: bytes) -> list[bytes | OversizeFrame]:
        frames: list[bytes | OversizeFrame] = []
        while data:
            if not self._in_frame:
                start = data.find(START_BLOCK)
                self.skipped += len(data) if start < 0 else start
                if start < 0:
                    return frames
                self._in_frame, data = True, data[start + 1 :]
                continue
            data = self._feed_frame(data, frames)
        return frames

    def _feed_frame(self, data: bytes, frames: list[bytes | OversizeFrame]) -> bytes:
        """Add to the open frame; the bytes after its end, if it ended."""
        # the end block may straddle two reads: look from the frame's last byte on
        seen = len(self._frame)
        self._frame += data
        end = self._frame.find(END_BLOCK, max(seen - 1, 0))
        if end < 0:
            self._keep_within_limit()
            return b""
        rest = bytes(self._frame[end + len(END_BLOCK) :])
        body = bytes(self._frame[:end])
        restart = body.rfind(START_BLOCK)
        if restart >= 0:  # an unfinished frame, then a new one: the new one counts
            self.skipped += restart + 1
            body = body[restart + 1 :]
        if self._oversize_head is not None:
            frames.append(OversizeFrame(self._oversize_head, self._dropped + len(body)))
        elif len(body) > self._max_bytes:
            frames.append(OversizeFrame(body[:_OVERSIZE_HEAD], len(body)))
        else:
            frames.append(body)
        self._frame.clear()
        self._in_frame, self._oversize_head, self._dropped = False, None, 0
        return rest

    def _keep_within_limit(self) -> None:
        if len(self._frame) <= self._max_bytes:
            return
        if self._oversize_head is None:
            self._oversize_head = bytes(self._frame[:_OVERSIZE_HEAD])
        self._dropped += len(self._frame) - 1
        del self._frame[:-1]  # the last byte may be the first half of the end block


class MllpListener:
    """An asyncio MLLP server handing each message to the receiver, in a worker thread."""

    def __init__(self, receiver: Hl7v2Receiver, host: str, port: int, max_bytes: int) -> None:
        self._receiver = receiver
        self._host = host
        self._port = port
        self._max_bytes = max_bytes
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        # reuse_port: every worker process of `painfhir serve --workers N` listens on the
        # port, and the kernel spreads connections across them.
        self._server = await asyncio.start_server(
            self._serve, self._host, self._port, reuse_port=True
        )
        log.info("MLLP listener on %s:%s", self._host, self._port)

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._connections):
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host, port = writer.get_extra_info("peername")[:2]
        peer = f"{host}:{port}"
        frames = FrameReader(self._max_bytes)
        self._connections.add(writer)
        try:
            while data := await reader.read(_READ_SIZE):
                for frame in frames.feed(data):
                    answer = await self._answer(frame, peer)
                    writer.write(START_BLOCK + answer + END_BLOCK)
                    await writer.drain()
        except ConnectionError:
            log.info("MLLP connection from %s dropped", peer)
        finally:
            if frames.skipped:
                log.warning("MLLP %s: %d bytes outside frames skipped", peer, frames.skipped)
            self._connections.discard(writer)
            writer.close()

    async def _answer(self, frame: bytes | OversizeFrame, peer: str) -> bytes:
        if isinstance(frame, OversizeFrame):
            log.warning("MLLP %s: a frame of %d bytes refused", peer, frame.size)
            return _oversize_ack(frame, self._max_bytes)
        try:
            receipt = await asyncio.to_thread(self._receiver.receive, frame, "mllp", peer, None)
        except Exception:  # the log itself failed (database down): AR, and the sender resends
            log.exception("MLLP %s: a message could not be logged", peer)
            return self._receiver.unavailable_ack(frame, utc_now())
        return receipt.ack


def _oversize_ack(frame: OversizeFrame, max_bytes: int) -> bytes:
    error = AckError(
        ack.APPLICATION_INTERNAL_ERROR,
        f"The message is larger than the limit of {max_bytes} bytes and was not taken in",
    )
    header = read_header(frame.head).header
    return build_ack(header, "AR", [error], unlogged_control_id(), utc_now())
