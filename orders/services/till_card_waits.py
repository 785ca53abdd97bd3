"""A till is not closed while a card payment for it waits on the shop's reader: the
sale is booked on that session when the card pays, and a closed session takes no
sale (``orders.services.till.book_counter_sale``), so closing under it would leave
the sale on no Z report.

``close_till`` asks this under its lock on the session; a card payment is sent to
the reader under the same lock (``lock_open_session``), so either the close sees
the payment or the payment sees the till closed.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from omnistore.core.exceptions import Conflict
from orders.models import TerminalIntent, TerminalIntentStatus, TillSession


def refuse_waiting_card(session: TillSession, *, now: datetime) -> None:
    """Refuse the close while a sale's card is out on the reader for ``session``
    (still in its time, or paid and its sale being placed), naming it. One past
    its time no longer holds the till, as it no longer holds the reader (the
    counter's next poll times it out); a card paying it after the close is given
    back and its sale refused."""
    waiting = (
        TerminalIntent.objects.filter(sale__till_session_id=session.pk)
        .filter(
            Q(status=TerminalIntentStatus.PENDING, expires_at__gt=now)
            | Q(status=TerminalIntentStatus.SUCCEEDED)
        )
        .select_related("device", "created_by")
        .order_by("created_at", "id")
        .first()
    )
    if waiting is None:
        return
    who = waiting.created_by.display_name if waiting.created_by else "the counter"
    at = timezone.localtime(waiting.created_at).strftime("%H:%M")
    message = (
        f"A card payment of {waiting.amount} {waiting.currency} ({waiting.reference}, "
        f"started by {who} at {at}) is waiting on {waiting.device.label}: let the "
        "card pay or cancel it on that counter's screen, then close the till. The "
        "till is still open."
    )
    raise Conflict(
        message,
        code="card_payment_waiting",
        extra={"terminal_payment": waiting.reference},
    )
