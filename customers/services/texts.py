"""Text messages (SMS) this app sends itself: verification codes, appointment
reminders. They go through the backend named by ``OMNISTORE_SMS_BACKEND``, the one
campaigns use, read at each send."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class TextMessage:
    """What an SMS backend is handed: the fields of the messages every backend
    sends."""

    message_id: int
    channel: str
    to: str
    subject: str
    body: str
    html: str = ""
    headers: dict = field(default_factory=dict)


def send_text(*, message_id: int, to: str, body: str):
    """Send one SMS now; returns the backend's result (``ok``, ``error``)."""
    backend = import_string(settings.OMNISTORE_SMS_BACKEND)()
    message = TextMessage(
        message_id=message_id, channel="sms", to=to, subject="", body=body
    )
    [result] = backend.send_messages([message])
    return result
