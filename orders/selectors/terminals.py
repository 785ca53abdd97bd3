"""Reads of card-present payments: a shop's terminal, the intent a basket waits on,
an intent and its history."""

from __future__ import annotations

from django.conf import settings

from inventory.models import Location
from orders.models import (
    Cart,
    TerminalDevice,
    TerminalIntent,
    TerminalIntentEvent,
    TerminalIntentStatus,
)


def shop_terminal(*, location: Location) -> TerminalDevice | None:
    """The shop's active reader of the configured terminal provider, or None: then a
    card at this counter is recorded as taken at the till, as without a terminal."""
    provider = getattr(settings, "OMNISTORE_TERMINAL_PROVIDER", "")
    if not provider:
        return None
    return (
        TerminalDevice.objects.filter(
            location=location, provider=provider, is_active=True
        )
        .order_by("id")
        .first()
    )


def waiting_intent(*, cart: Cart | None) -> TerminalIntent | None:
    """The intent this basket waits on, if any (at most one: a constraint)."""
    if cart is None:
        return None
    return TerminalIntent.objects.filter(
        cart=cart, status=TerminalIntentStatus.PENDING
    ).first()


def intent_at(*, reference: str, location: Location) -> TerminalIntent | None:
    """The intent ``reference`` of this shop; another shop's is not found."""
    return (
        TerminalIntent.objects.select_related("device", "order", "cart")
        .filter(reference=reference, location=location)
        .first()
    )


def intent_events(intent: TerminalIntent) -> list[TerminalIntentEvent]:
    return list(intent.events.select_related("actor"))
