"""Delivery backends, one per channel, chosen by settings.

Email goes through Django's email backend (``EMAIL_BACKEND``): a batch is one
``send_messages`` call on one connection. SMS and push go through a ``MessageBackend``
named by a dotted path in ``OMNISTORE_SMS_BACKEND`` / ``OMNISTORE_PUSH_BACKEND``; the
project ships a console backend (prints) and a memory backend (keeps the last
``OMNISTORE_MEMORY_BACKEND_KEEP`` messages in ``MemoryBackend.outbox`` and counts them
all), which tests and benchmarks read. A real provider implements ``send_messages``.

A backend reports per message: accepted (and whether the provider confirmed delivery)
or refused (with a reason). The message id goes to the provider as its client
reference, so receipts can find the message. An exception means the
provider could not be reached: the batch stays queued and is retried.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from campaigns.channels import MessageChannel


@dataclass(frozen=True)
class OutgoingMessage:
    message_id: int
    channel: str
    to: str
    subject: str
    body: str
    html: str = ""
    headers: dict = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    ok: bool
    delivered: bool = False
    error: str = ""


class MessageBackend:
    """Send a batch; return one result per message, in order."""

    def send_messages(self, messages: list[OutgoingMessage]) -> list[DeliveryResult]:
        raise NotImplementedError


class ConsoleBackend(MessageBackend):
    """Prints each message; for development and the demo."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_messages(self, messages):
        for message in messages:
            self.stream.write(
                f"[{message.channel} → {message.to}] {message.subject}\n"
                f"{message.body}\n{'-' * 60}\n"
            )
        self.stream.flush()
        return [DeliveryResult(ok=True, delivered=True) for _ in messages]


class MemoryBackend(MessageBackend):
    """Keeps recent messages in memory, bounded so a large send does not grow the
    process; ``sent_count`` counts every message ever accepted."""

    outbox: deque = deque(maxlen=10_000)
    sent_count = 0
    _lock = threading.Lock()

    def send_messages(self, messages):
        keep = getattr(settings, "OMNISTORE_MEMORY_BACKEND_KEEP", 10_000)
        with MemoryBackend._lock:
            if MemoryBackend.outbox.maxlen != keep:
                MemoryBackend.outbox = deque(MemoryBackend.outbox, maxlen=keep)
            MemoryBackend.outbox.extend(messages)
            MemoryBackend.sent_count += len(messages)
        return [DeliveryResult(ok=True, delivered=True) for _ in messages]

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.outbox.clear()
            cls.sent_count = 0


class EmailBackend(MessageBackend):
    """Django's email backend: one connection and one ``send_messages`` per batch.

    When the batch call fails, each message is tried alone so one bad address does not
    fail the others; if every one fails, the server is taken to be down (exception).
    """

    def send_messages(self, messages):
        emails = [self._email(m) for m in messages]
        connection = get_connection(fail_silently=False)
        try:
            connection.send_messages(emails)
        except Exception:  # isolate the failing messages below
            pass
        else:
            return [DeliveryResult(ok=True, delivered=True) for _ in messages]
        results = []
        last_error = None
        for email in emails:
            try:
                get_connection(fail_silently=False).send_messages([email])
            except Exception as error:  # refused: recorded on the message
                last_error = error
                results.append(DeliveryResult(ok=False, error=repr(error)[:500]))
            else:
                results.append(DeliveryResult(ok=True, delivered=True))
        if last_error is not None and not any(r.ok for r in results):
            raise last_error
        return results

    @staticmethod
    def _email(message: OutgoingMessage) -> EmailMultiAlternatives:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.to],
            headers={
                **message.headers,
                "X-Omnistore-Message-Id": str(message.message_id),
            },
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        return email


_SETTINGS = {
    MessageChannel.SMS: "OMNISTORE_SMS_BACKEND",
    MessageChannel.PUSH: "OMNISTORE_PUSH_BACKEND",
}


def get_backend(channel: str) -> MessageBackend:
    if channel == MessageChannel.EMAIL:
        return EmailBackend()
    path = getattr(settings, _SETTINGS[channel], "campaigns.backends.ConsoleBackend")
    return import_string(path)()
