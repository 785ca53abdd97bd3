"""Delivery backends, one per channel, chosen by settings.

Email goes through Django's email backend (``EMAIL_BACKEND``): a batch is one
``send_messages`` call on one connection. SMS and push go through a ``MessageBackend``
named by a dotted path in ``OMNISTORE_SMS_BACKEND`` / ``OMNISTORE_PUSH_BACKEND``; the
project ships a console backend (prints) and a memory backend (keeps the last
``OMNISTORE_MEMORY_BACKEND_KEEP`` messages in ``MemoryBackend.outbox`` and counts them
all), which tests and benchmarks read. A real provider implements ``send_messages``.

A backend reports per message: accepted (and whether the provider confirmed delivery)
or refused (with a reason), or deferred (not sent: the provider went away mid-batch;
the message stays queued). The message id goes to the provider as its client
reference, so receipts can find the message. An exception means the
provider could not be reached: the batch stays queued and is retried.
"""

from __future__ import annotations

import contextlib
import smtplib
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
    deferred: bool = False  # not sent, not refused: left queued for a later run


class MessageBackend:
    """Send a batch; return one result per message, in order.

    A backend whose messages leave one at a time (``one_at_a_time``) calls
    ``on_sent(index, result)`` as each is accepted or refused, so the caller records it
    before the next goes out: a process killed mid-batch resends at most the message in
    hand. The others hand the whole batch over in one call and are recorded after it.
    """

    one_at_a_time = False

    def send_messages(
        self, messages: list[OutgoingMessage], on_sent=None
    ) -> list[DeliveryResult]:
        raise NotImplementedError


class ConsoleBackend(MessageBackend):
    """Prints each message; for development and the demo."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send_messages(self, messages, on_sent=None):
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

    def send_messages(self, messages, on_sent=None):
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
    """Django's email backend, one message at a time over one connection, so the
    result of each is known: what the server accepted is never sent again.

    When the connection fails mid-batch (a server that closes it after so many
    messages, a restart), the message in hand is tried once more on a new connection.
    A permanent refusal (5xx) fails that message only; when the server cannot be
    reached again, the message and those after it are ``deferred`` (left queued for a
    later run); if nothing at all was accepted, the server is taken to be down
    (exception).
    """

    one_at_a_time = True

    def send_messages(self, messages, on_sent=None):
        emails = [self._email(m) for m in messages]
        results: list[DeliveryResult] = []
        self.connection = None
        try:
            for index, email in enumerate(emails):
                result = self._send_one(email)
                results.append(result)
                if result.deferred:
                    break
                if on_sent is not None:
                    on_sent(index, result)
        finally:
            self._close()
        error = results[-1].error if results else ""
        results += [DeliveryResult(ok=False, deferred=True, error=error)] * (
            len(emails) - len(results)
        )
        if results and not any(r.ok for r in results) and results[-1].deferred:
            raise ConnectionError(error)
        return results

    def _send_one(self, email) -> DeliveryResult:
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = get_connection(fail_silently=False)
                    self.connection.open()
                self.connection.send_messages([email])
            except smtplib.SMTPResponseException as error:
                self._close()
                if error.smtp_code >= 500:  # refused for good: this message only
                    return DeliveryResult(ok=False, error=repr(error)[:500])
                failure = error
            except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as error:
                self._close()
                return DeliveryResult(ok=False, error=repr(error)[:500])
            except (OSError, smtplib.SMTPException) as error:  # connection lost
                self._close()
                failure = error
            else:
                return DeliveryResult(ok=True, delivered=True)
            if attempt == 2:
                return DeliveryResult(
                    ok=False, deferred=True, error=repr(failure)[:500]
                )
        raise AssertionError("unreachable")

    def _close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already gone
                self.connection.close()
            self.connection = None

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
