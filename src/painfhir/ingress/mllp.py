"""MLLP, HL7's Minimal Lower Layer Protocol: messages framed as 0x0B message 0x1C 0x0D over
TCP, each answered with its acknowledgement in the same framing, in order.

Senders are not always tidy: a frame may arrive in pieces or several in one read, bytes may
stray between frames (they are skipped), and a frame cut short by a new start byte is
dropped in favour of the new one — an oversize frame too. A frame over the size limit is not
taken in: its bytes are discarded as they come and it is answered AR, so one runaway sender
cannot exhaust memory. Nor can many: the frames all connections hold unanswered share one
budget of bytes, and a frame that would go over it is discarded the same way and answered
AR "resend later". A connection silent for the idle timeout is closed, and connections past
the most allowed are closed as they come.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass

from painfhir.ingress import ack
from painfhir.ingress.ack import AckError, build_ack, unlogged_control_id
from painfhir.ingress.header import read_header
from painfhir.ingress.receiver import Hl7v2Receiver
from painfhir.settings import Settings
from painfhir.store._time import utc_now

log = logging.getLogger(__name__)

START_BLOCK = b"\x0b"
END_BLOCK = b"\x1c\r"
_READ_SIZE = 64 * 1024
_OVERSIZE_HEAD = 4096  # of an oversize frame, enough to read its MSH for the answer


@dataclass(frozen=True, slots=True)
class MllpLimits:
    """What the listener allows its connections (see the `mllp_*` settings)."""

    idle_timeout_s: float
    max_connections: int
    buffer_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> MllpLimits:
        return cls(
            settings.mllp_idle_timeout_seconds,
            settings.mllp_max_connections,
            settings.mllp_buffer_bytes,
        )


class FrameBudget:
    """The bytes of unanswered frames all connections may hold together. The listener runs
    on one event loop, so plain counting is safe."""

    def __init__(self, total: int) -> None:
        self._free = total

    def take(self, size: int) -> bool:
        if size > self._free:
            return False
        self._free -= size
        return True

    def give_back(self, size: int) -> None:
        self._free += size


@dataclass(frozen=True, slots=True)
class OversizeFrame:
    head: bytes  # the frame's first bytes, for the acknowledgement's header
    size: int
    for_now: bool = False  # over what the budget had left, not over the limit


class FrameReader:
    """Turns the bytes of one connection, as they arrive, into whole frames. A frame's bytes
    are held in the budget until its caller says the frames are answered, or closes it."""

    def __init__(self, max_bytes: int, budget: FrameBudget | None = None) -> None:
        self._max_bytes = max_bytes
        self._budget = budget or FrameBudget(sys.maxsize)  # none shared: the limit bounds it
        self._frame = bytearray()
        self._in_frame = False
        self._refused: OversizeFrame | None = None  # (size 0) once the open frame is refused
        self._dropped = 0  # bytes of the open, refused frame discarded so far
        self._held = 0  # of the budget, for the open frame (none once it is refused)
        self._handed_out = 0  # of the budget, for the frames given and not yet answered
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

    def answered(self) -> None:
        """The frames given so far are answered: their bytes go back to the budget."""
        self._budget.give_back(self._handed_out)
        self._handed_out = 0

    def close(self) -> None:
        self.answered()
        self._budget.give_back(self._held)
        self._held = 0

    def _feed_frame(self, data: bytes, frames: list[bytes | OversizeFrame]) -> bytes:
        """Add to the open frame; the bytes after its end, if it ended, or from a new start
        byte, which abandons it."""
        # the end block may straddle two reads: look from the frame's last byte on
        seen = len(self._frame)
        self._frame += data
        end = self._frame.find(END_BLOCK, max(seen - 1, 0))
        restart = self._frame.find(START_BLOCK, seen)
        if restart >= 0 and (end < 0 or restart < end):
            self.skipped += 1 + self._dropped + restart  # its start byte and what came after
            rest = bytes(self._frame[restart:])
            self._end_frame()
            return rest
        self._check_limits(len(self._frame) if end < 0 else end)
        if end < 0:
            if self._refused is not None:
                self._dropped += len(self._frame) - 1
                del self._frame[:-1]  # the last byte may be the first half of the end block
            return b""
        rest = bytes(self._frame[end + len(END_BLOCK) :])
        if self._refused is not None:
            head, for_now = self._refused.head, self._refused.for_now
            frames.append(OversizeFrame(head, self._dropped + end, for_now))
        else:
            frames.append(bytes(self._frame[:end]))
            self._handed_out, self._held = self._handed_out + self._held, 0
        self._end_frame()
        return rest

    def _check_limits(self, size: int) -> None:
        """Refuse the open frame once it is over the limit, or over what the budget has."""
        if self._refused is not None:
            return
        over_limit = size > self._max_bytes
        if not over_limit and self._budget.take(size - self._held):
            self._held = size
            return
        head = bytes(self._frame[:_OVERSIZE_HEAD])
        self._refused = OversizeFrame(head, 0, for_now=not over_limit)
        self._budget.give_back(self._held)
        self._held = 0

    def _end_frame(self) -> None:
        self._budget.give_back(self._held)
        self._frame.clear()
        self._in_frame, self._refused, self._dropped, self._held = False, None, 0, 0


class MllpListener:
    """An asyncio MLLP server handing each message to the receiver, in a worker thread."""

    def __init__(
        self,
        receiver: Hl7v2Receiver,
        host: str,
        port: int,
        max_bytes: int,
        limits: MllpLimits,
    ) -> None:
        self._receiver = receiver
        self._host = host
        self._port = port
        self._max_bytes = max_bytes
        self._limits = limits
        # never less than one frame of the largest size, or that frame could never be taken
        self._budget = FrameBudget(max(self._limits.buffer_bytes, max_bytes))
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
        peer = _peer(writer)
        if len(self._connections) >= self._limits.max_connections:
            log.warning(
                "MLLP %s: closed, %d connections are open already (the most allowed)",
                peer,
                len(self._connections),
            )
            writer.close()
            return
        frames = FrameReader(self._max_bytes, self._budget)
        self._connections.add(writer)
        idle_timeout = self._limits.idle_timeout_s
        try:
            while data := await asyncio.wait_for(reader.read(_READ_SIZE), idle_timeout):
                for frame in frames.feed(data):
                    answer = await self._answer(frame, peer)
                    writer.write(START_BLOCK + answer + END_BLOCK)
                    await asyncio.wait_for(writer.drain(), idle_timeout)
                frames.answered()
        except TimeoutError:
            log.info("MLLP %s: idle for %g s, closed", peer, idle_timeout)
        except ConnectionError:
            log.info("MLLP connection from %s dropped", peer)
        finally:
            frames.close()
            if frames.skipped:
                log.warning("MLLP %s: %d bytes outside frames skipped", peer, frames.skipped)
            self._connections.discard(writer)
            writer.close()

    async def _answer(self, frame: bytes | OversizeFrame, peer: str) -> bytes:
        if isinstance(frame, OversizeFrame):
            limit = "the frames held now" if frame.for_now else "the limit"
            log.warning("MLLP %s: a frame of %d bytes refused (%s)", peer, frame.size, limit)
            return _oversize_ack(frame, self._max_bytes)
        try:
            receipt = await asyncio.to_thread(self._receiver.receive, frame, "mllp", peer, None)
        except Exception:  # the log itself failed (database down): AR, and the sender resends
            log.exception("MLLP %s: a message could not be logged", peer)
            return self._receiver.unavailable_ack(frame, utc_now())
        return receipt.ack


def _peer(writer: asyncio.StreamWriter) -> str:
    address = writer.get_extra_info("peername")  # None when the sender is already gone
    return f"{address[0]}:{address[1]}" if address else "(gone)"


def _oversize_ack(frame: OversizeFrame, max_bytes: int) -> bytes:
    if frame.for_now:
        message = "The service holds too many large messages to take this one now; resend it later"
    else:
        message = f"The message is larger than the limit of {max_bytes} bytes and was not taken in"
    error = AckError(ack.APPLICATION_INTERNAL_ERROR, message)
    header = read_header(frame.head).header
    return build_ack(header, "AR", [error], unlogged_control_id(), utc_now())
