"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), wired into Django.

Use it from any test package's conftest.py:

    from tests.smtp_server import smtp_server, stopped_smtp_server  # noqa: F401

`smtp_server` is listening; `stopped_smtp_server` is configured but not listening (the mail
server is down) until the test calls `.start()`. Both point Django's SMTP backend at the
port. Messages arrive in `server.messages` as `Received(mail_from, rcpt_tos, message)` where
`message` is an `email.message.EmailMessage`. Mail is delivered by a task after commit, so a
test with the `db` fixture needs `django_capture_on_commit_callbacks(execute=True)`.
"""

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, content_type: str) -> str:
        body = self.message.get_body(preferencelist=(content_type.split("/")[1],))
        return body.get_content() if body is not None else ""


@dataclass
class _Collector:
    messages: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd API)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPTestServer:
    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._collector = _Collector()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[Received]:
        with self._collector.lock:
            return list(self._collector.messages)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> "SMTPTestServer":
        if self._controller is None:
            self._controller = Controller(self._collector, hostname=self.host, port=self.port)
            self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def configure(self, settings) -> None:
        """Point Django's SMTP backend here (the settings EMAIL_URL=smtp://host:port gives)."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = self.host
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def stopped_smtp_server(settings):
    server = SMTPTestServer()
    server.configure(settings)
    yield server
    server.stop()


@pytest.fixture
def smtp_server(stopped_smtp_server):
    yield stopped_smtp_server.start()
