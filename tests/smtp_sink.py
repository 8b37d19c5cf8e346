"""A small SMTP server for tests (a thread on loopback): it speaks enough RFC 5321 for
``smtplib`` (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and keeps what it receives.
The reminders work brings aiosmtpd; until it lands, this is the real conversation over a
real socket."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message


@dataclass
class Received:
    messages: list[tuple[list[str], Message]] = field(default_factory=list)


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def _reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self._reply("220 sink ready")
        recipients: list[str] = []
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._reply("250-sink")
                self._reply("250 8BITMIME")
            elif verb in ("HELO", "NOOP"):
                self._reply("250 ok")
            elif verb == "MAIL":
                recipients = []
                self._reply("250 ok")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>"))
                self._reply("250 ok")
            elif verb == "DATA":
                self._reply("354 end with .")
                lines = []
                while (line := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.server.received.messages.append(
                    (recipients, message_from_bytes(b"".join(lines)))
                )
                self._reply("250 queued")
            elif verb == "RSET":
                recipients = []
                self._reply("250 ok")
            elif verb == "QUIT":
                self._reply("221 bye")
                return
            else:
                self._reply("502 not implemented")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    received: Received


@contextmanager
def smtp_sink() -> Iterator[tuple[int, Received]]:
    """A running sink: its port and what it has received."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.received = Received()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
