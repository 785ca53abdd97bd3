"""A small SMTP server on 127.0.0.1 that keeps what it accepted, for the fault tests.

It speaks what Django's SMTP backend uses (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), records each accepted message (recipients, subject, headers), and can behave
like a real relay under load: close a connection after ``max_per_connection``
messages (``421``), refuse every connection after ``max_connections`` (a relay gone
away), or take ``delay`` seconds to accept each message.
"""

from __future__ import annotations

import email
import socketserver
import threading
import time
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Accepted:
    recipients: tuple[str, ...]
    subject: str
    headers: dict


class FakeSMTP:
    def __init__(
        self, *, max_per_connection: int = 0, max_connections: int = 0, delay=0.0
    ):
        self.max_per_connection = max_per_connection
        self.max_connections = max_connections  # then it refuses everyone (421)
        self.delay = delay
        self.lock = threading.Lock()
        self.accepted: list[Accepted] = []
        self.connections = 0
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Handler)
        self.server.fake = self
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeSMTP:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def per_recipient(self, subject_prefix: str = "") -> Counter:
        with self.lock:
            return Counter(
                to
                for message in self.accepted
                if message.subject.startswith(subject_prefix)
                for to in message.recipients
            )

    def count(self, subject_prefix: str = "") -> int:
        return sum(self.per_recipient(subject_prefix).values())

    def _keep(self, recipients: list[str], data: bytes) -> None:
        parsed = email.message_from_bytes(data)
        with self.lock:
            self.accepted.append(
                Accepted(tuple(recipients), str(parsed["Subject"] or ""), dict(parsed))
            )


class _Handler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self):
        fake = self.server.fake
        with fake.lock:
            fake.connections += 1
            closed = fake.max_connections and fake.connections > fake.max_connections
        if closed:
            self.reply("421 service not available")
            return
        self.reply("220 fake-smtp ready")
        self.recipients: list[str] = []
        self.sent = 0
        while True:
            line = self.rfile.readline()
            if not line:
                return
            command = line.decode(errors="replace").strip()
            verb = getattr(self, f"do_{command[:4].upper()}", None)
            if verb is None:
                self.reply("502 not implemented")
            elif verb(command) is False:
                return

    def do_EHLO(self, command):
        self.reply("250-fake-smtp")
        self.reply("250 8BITMIME")

    def do_HELO(self, command):
        self.reply("250 ok")

    do_NOOP = do_HELO

    def do_MAIL(self, command):
        if (
            self.server.fake.max_per_connection
            and self.sent >= self.server.fake.max_per_connection
        ):
            self.reply("421 too many messages on this connection")
            return False
        self.recipients = []
        self.reply("250 ok")

    def do_RCPT(self, command):
        self.recipients.append(command.split(":", 1)[1].strip(" <>"))
        self.reply("250 ok")

    def do_DATA(self, command):
        self.reply("354 go ahead")
        data = b""
        while True:
            chunk = self.rfile.readline()
            if not chunk or chunk == b".\r\n":
                break
            data += chunk[1:] if chunk.startswith(b"..") else chunk
        if self.server.fake.delay:
            time.sleep(self.server.fake.delay)
        self.server.fake._keep(self.recipients, data)
        self.sent += 1
        self.reply("250 accepted")

    def do_RSET(self, command):
        self.recipients = []
        self.reply("250 ok")

    def do_QUIT(self, command):
        self.reply("221 bye")
        return False
