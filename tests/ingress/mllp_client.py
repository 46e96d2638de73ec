"""A blocking MLLP client for the end-to-end tests: frames out, acknowledgements back."""

from __future__ import annotations

import socket
from types import TracebackType

START_BLOCK, END_BLOCK = b"\x0b", b"\x1c\r"


def frame(message: bytes) -> bytes:
    return START_BLOCK + message + END_BLOCK


class MllpClient:
    def __init__(self, port: int) -> None:
        self._socket = socket.create_connection(("127.0.0.1", port), timeout=30)
        self._pending = b""

    def __enter__(self) -> MllpClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._socket.close()

    def send_bytes(self, data: bytes) -> None:
        self._socket.sendall(data)

    def send(self, *messages: bytes) -> None:
        self.send_bytes(b"".join(frame(message) for message in messages))

    def receive(self) -> bytes:
        """The next acknowledgement, unframed."""
        while END_BLOCK not in self._pending:
            chunk = self._socket.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self._pending += chunk
        answer, self._pending = self._pending.split(END_BLOCK, 1)
        assert answer.startswith(START_BLOCK)
        return answer[1:]

    def exchange(self, message: bytes) -> bytes:
        self.send(message)
        return self.receive()
