"""Real receivers for the end-to-end tests, on loopback sockets in threads: an MLLP server
that answers each message with the acknowledgement code its script says next (AA once the
script runs out), and an HTTP server that answers 200 and keeps what was posted."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from painfhir.mapping.hl7v2 import Terser, parse_message

START_BLOCK, END_BLOCK = b"\x0b", b"\x1c\r"


def wait_for(condition: Callable[[], object], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


class MllpReceiver:
    """A referring EHR's MLLP interface: `answers` are the MSA-1 codes to give, in order."""

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.received: list[bytes] = []
        receiver = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                pending = b""
                while chunk := self.request.recv(65536):
                    pending += chunk
                    while END_BLOCK in pending:
                        body, _, pending = pending.partition(END_BLOCK)
                        message = body.lstrip(START_BLOCK)
                        self.request.sendall(START_BLOCK + receiver.ack(message) + END_BLOCK)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port: int = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"mllp://127.0.0.1:{self.port}"

    def ack(self, message: bytes) -> bytes:
        self.received.append(message)
        code = self.answers.pop(0) if self.answers else "AA"
        control_id = Terser(parse_message(message)).value("MSH-10")
        header = f"MSH|^~\\&|EHR|MV|painfhir||20261103||ACK^I12^ACK|A{control_id}|P|2.5.1"
        return f"{header}\rMSA|{code}|{control_id}\r".encode()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class HttpReceiver:
    """A FHIR rest-hook endpoint: every POST body is kept, with its content type."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                content_type = self.headers.get("Content-Type", "")
                receiver.received.append((content_type, self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: the test reports what matters."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/notifications"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A port nothing listens on: a receiver that is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
