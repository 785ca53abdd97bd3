"""Deploy checks (``manage.py check --deploy``): what a production server would get
wrong silently — messages printed instead of sent, links to a development address."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

NOT_SENT = {
    "django.core.mail.backends.console.EmailBackend": "printed in the log",
    "django.core.mail.backends.dummy.EmailBackend": "dropped",
    "django.core.mail.backends.locmem.EmailBackend": "kept in memory",
    "django.core.mail.backends.filebased.EmailBackend": "written to files",
}
LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}


@checks.register(checks.Tags.security, deploy=True)
def messages_leave(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    found = []
    fate = NOT_SENT.get(settings.EMAIL_BACKEND)
    if fate:
        found.append(
            checks.Warning(
                f"Emails (receipts, codes, password reset links) are {fate}: "
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}.",
                hint="Use the SMTP backend with EMAIL_HOST, EMAIL_PORT, "
                "EMAIL_HOST_USER and EMAIL_HOST_PASSWORD (docs/operations.md).",
                id="core.W001",
            )
        )
    for name, what in (
        ("OMNISTORE_SMS_BACKEND", "SMS messages (codes, reminders, campaigns)"),
        ("OMNISTORE_PUSH_BACKEND", "push notifications (campaigns)"),
    ):
        backend = getattr(settings, name, "")
        if backend.endswith(("ConsoleBackend", "MemoryBackend")):
            found.append(
                checks.Warning(
                    f"{name} is {backend}: {what} are printed, not sent.",
                    hint=f"Set {name} to the dotted path of the provider's "
                    "MessageBackend subclass (campaigns/backends.py says what it "
                    "implements).",
                    id="core.W002",
                )
            )
    site = urlsplit(settings.OMNISTORE_SITE_URL)
    if site.scheme != "https" or (site.hostname or "") in LOOPBACK:
        found.append(
            checks.Warning(
                f"OMNISTORE_SITE_URL is {settings.OMNISTORE_SITE_URL}: the links in "
                "emails and messages (password reset, wishlists, campaigns) lead there.",
                hint="Set OMNISTORE_SITE_URL to the site's public https address.",
                id="core.W003",
            )
        )
    if settings.OMNISTORE_STOREFRONT_URL.rstrip(
        "/"
    ) == settings.OMNISTORE_SITE_URL.rstrip("/"):
        found.append(
            checks.Warning(
                "OMNISTORE_STOREFRONT_URL is not set apart from OMNISTORE_SITE_URL: "
                "campaign messages' shop and cart links ({{ shop_url }}, "
                "{{ shop_url }}/cart/) lead to the back office, which has no shop "
                "or cart page for customers.",
                hint="Set OMNISTORE_STOREFRONT_URL to the customer-facing website.",
                id="core.W004",
            )
        )
    return found
