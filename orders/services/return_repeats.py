"""A return asked for again: the same ``Idempotency-Key`` sent once more, or the same
return asked for moments after the first (a double tap, an app retrying after a
timeout without a key). Either answers the return already made: a second one would
put the same units on a return twice and email the customer twice.

Decided under the lock ``request_return`` takes on the order lines asked for: two
identical requests at once lock the same rows, so the second waits for the first
and then finds its return. Two requests with one key but other lines lock other
rows; the return's unique key refuses the later one as it goes in
(``insert_return``).

A counter is left alone: an associate may take back one unit, then another of the
same line, moments apart.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction

from customers.models import Customer
from orders.models import Order, Return, ReturnStatus

from .common import (
    CODE_ALPHABET,
    clean_idempotency_key,
    key_reused,
    replay,
    request_fingerprint,
)

# How long after a return the customer's identical request is taken for a repeat of
# it rather than a second return: a retry or a double tap comes within seconds.
REPEAT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True)
class ReturnKey:
    """A customer's keyed request: whose keys (``scope``), the key and a digest of
    what it asks for. Empty for a request without a key."""

    scope: str = ""
    key: str = ""
    fingerprint: str = ""

    def fields(self) -> dict[str, str]:
        """The return's columns that keep it."""
        return {
            "idempotency_scope": self.scope,
            "idempotency_key": self.key,
            "idempotency_fingerprint": self.fingerprint,
        }


def return_key(
    idempotency_key: str,
    *,
    customer: Customer | None,
    order: Order,
    wanted: Sequence,
    channel: str,
    refund_method: str,
    note: str,
) -> ReturnKey:
    """The key of a customer's own request, with what it asks for: the order, each
    line's quantity, reason and note, where it is started, the refund method and
    the note. A key longer than its column is refused; staff at a counter send
    none."""
    key = clean_idempotency_key(idempotency_key)
    if customer is None or not key:
        return ReturnKey()
    lines = sorted((w.order_line, w.quantity, w.reason, w.note) for w in wanted)
    return ReturnKey(
        scope=f"customer:{customer.pk}",
        key=key,
        fingerprint=request_fingerprint(
            order.number, lines, channel, refund_method, (note or "").strip()
        ),
    )


def repeated_return(
    order: Order,
    customer: Customer | None,
    wanted: Sequence,
    refund_method: str,
    asked: ReturnKey,
    now: datetime,
) -> Return | None:
    """The return this request of a customer already made (``idempotent_replay``
    True), or None to open one. Its key's return when the key was used: the same
    request is answered with it, another is refused (409). Else the customer's
    return of this order still waiting for its items and started at most
    ``REPEAT_WINDOW`` ago with the same lines, quantities and reasons, refunded the
    same way. Called with the order lines locked."""
    if customer is None:
        return None
    if asked.key:
        keyed = _keyed(asked).first()
        if keyed is not None:
            return replay(keyed, asked.fingerprint, what="return")
    same = {(w.order_line, w.quantity, w.reason) for w in wanted}
    recent = (
        Return.objects.filter(
            order=order,
            customer_id=order.customer_id,
            status=ReturnStatus.REQUESTED,
            refund_method=refund_method,
            created_at__gte=now - REPEAT_WINDOW,
        )
        .prefetch_related("lines")
        .order_by("created_at", "pk")
    )
    for earlier in recent:
        lines = {(r.order_line_id, r.quantity, r.reason) for r in earlier.lines.all()}
        if lines == same:
            earlier.order = order
            earlier.idempotent_replay = True
            return earlier
    return None


def _new_return_code() -> str:
    return "R-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))


def insert_return(asked: ReturnKey, **fields) -> Return:
    """The new return's row, with its key, under a code no other return has (drawn
    again on a clash). Its key taken meanwhile (a request with the same key and
    other lines, at the same moment) is refused as it would be a moment later."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Return.objects.create(
                    code=_new_return_code(), **asked.fields(), **fields
                )
        except IntegrityError:
            if asked.key and _keyed(asked).exists():
                raise key_reused("return") from None
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _keyed(asked: ReturnKey):
    return Return.objects.filter(
        idempotency_scope=asked.scope, idempotency_key=asked.key
    )
