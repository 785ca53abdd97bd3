"""The emails a login's account sends itself (a verification code, a password reset
link): recorded on the login's profile like every other email it is sent, then sent
with a text and an HTML part. The timeline says what was sent, never the code or the
link it carries."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from customers.models import Customer
from customers.services.inbox import EVENT_MESSAGE_SENT
from customers.services.timeline import record_event


def send_account_email(
    user_id, to, subject, template, context, *, text=None, about=None
) -> None:
    """Record an account email on the login's profile, then send it, last, as order
    emails go (a failed send rolls the record back with the outbox row): its text
    (``text``, else ``customers/email/<template>.txt``) and its HTML part
    (``customers/email/<template>.html``). The timeline reads ``about``, else the
    subject."""
    profile = Customer.objects.filter(user_id=user_id).first()
    if profile is not None:
        record_event(
            customer=profile,
            kind=EVENT_MESSAGE_SENT,
            summary=f"Email sent: {about or subject}",
            channel="email",
            data={"template": f"customers.{template}", "to": to},
        )
    text = text or render_to_string(f"customers/email/{template}.txt", context)
    html = render_to_string(f"customers/email/{template}.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to]
    )
    message.attach_alternative(html, "text/html")
    message.send()
