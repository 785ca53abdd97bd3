"""Wishlist owners who may share their lists by email: an account proves its email
the way the storefront does it, by typing back the code mailed there."""

import re

from django.core import mail
from django.test import TestCase
from rest_framework.test import APIClient

from customers.models import Customer, IdentityKind


def confirm_email(client: APIClient, email: str) -> None:
    """Ask for a code, read it in the mailbox and type it back. The requests' emails
    leave as each commits; the code's is then cleared from ``mail.outbox``, which
    holds only what the test sends after."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        asked = client.post("/api/v1/me/verify/", {"email": email}, format="json")
    assert asked.status_code == 202, asked.json()
    (sent,) = [m for m in mail.outbox if email in m.to and "code" in m.subject]
    code = re.search(r"\b(\d{6})\b", sent.body).group(1)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            "/api/v1/me/verify/confirm/", {"email": email, "code": code}, format="json"
        )
    assert response.status_code == 200, response.json()
    mail.outbox.clear()


def with_confirmed_email(customer: Customer) -> Customer:
    """A profile without a login whose email counts as confirmed by its owner (the
    code typed back, as ``confirm_email`` does for an account)."""
    assert customer.identities.filter(kind=IdentityKind.EMAIL).update(verified=True)
    return customer
