"""A tiny SMTP server for tests that need a real mail server: it keeps what it is sent.

It speaks just enough SMTP for Django's SMTP backend (EHLO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT), listens on a free loopback port and records each message as (recipients, parsed email).
"""

from __future__ import annotations

import socketserver
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage


class SmtpSink:
    """Start with `with SmtpSink() as sink:`; `sink.url` is an EMAIL_URL for it."""

    def __init__(self):
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def reply(self, line: str) -> None:
                self.wfile.write(f"{line}\r\n".encode())

            def handle(self) -> None:
                self.reply("220 sink ready")
                recipients: list[str] = []
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb in {"EHLO", "HELO"}:
                        self.reply("250 sink")
                    elif verb == "MAIL":
                        recipients = []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        recipients.append(command.split(":", 1)[1].strip(" <>"))
                        self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 end with a full stop on a line of its own")
                        sink._keep(recipients, self._read_data())
                        self.reply("250 OK: queued")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:  # RSET, NOOP and anything else: fine
                        self.reply("250 OK")

            def _read_data(self) -> bytes:
                lines = []
                while (line := self.rfile.readline()) not in {b".\r\n", b".\n", b""}:
                    lines.append(line[1:] if line.startswith(b"..") else line)
                return b"".join(lines)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.url = f"smtp://127.0.0.1:{self.port}"

    def _keep(self, recipients: list[str], data: bytes) -> None:
        with self._lock:
            self.messages.append((recipients, message_from_bytes(data, policy=policy.default)))

    def __enter__(self) -> SmtpSink:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
