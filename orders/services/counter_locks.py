"""The lock order of a counter transaction: one for every transaction that books
into a till, so two of them at one till never deadlock.

A sale rung up at a shop's counter (``write_order`` with its till), an exchange, a
return refunded at the counter and an order cancelled there (its money going back
through the till) each lock, before any other row, the counter's basket (a sale's)
and then the open session of the till they book into (``lock_counter``); only then
the order, return, customer, payments, gift cards and stock rows, in their own order
(``orders.services.common``, ``inventory.services``). A card payment sent to the
reader locks the basket, then the session, too.

Each of them locks the session anyway, to book into it. Taken at the end, after the
stock rows, the order was not one: an exchange books its return's store credit
between its return's stock and its replacement's, and a sale locks its stock before
its booking, so an exchange and a sale of the same item at one till each held what
the other waited for. Taken first, the second waits at the till for the first.
"""

from __future__ import annotations

from orders.models import Cart, TillSession

from .carts import lock_counter_basket
from .till import counter_session_to_book


def lock_counter(
    *,
    location=None,
    actor=None,
    session: TillSession | int | None = None,
    cart: Cart | None = None,
) -> None:
    """Lock, first in a counter transaction, what it will book into: the counter
    basket ``cart`` (a sale's), then the till's open session: ``session`` (the
    device's), else the one a booking at ``location`` goes into (the device's
    register's inside ``at_counter``, else the one ``actor`` opened there, else the
    shop's latest). Away from a counter (neither ``location`` nor ``session``: a web
    order, the admin, a task) nothing is locked. Nothing is refused here: the
    booking itself says when no till is open."""
    if cart is not None:
        lock_counter_basket(cart)
    counter_session_to_book(location=location, actor=actor, session=session)
