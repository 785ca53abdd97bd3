"""What a card payment confirmed before checkout was made for, and what the charge
asks of it.

A cart's checkout takes only the intent made for its cart (``cart_tag``). A purchase
without a cart takes only the intent made with its secret reference and for what it
is, its scope: an e-gift card (``E_GIFT_SCOPE``), or a buy now of what
``prepare_checkout`` priced (``buy_now_scope``). The intent is made with the scope
(``payment_intents``), and the charge names it again (``placing``, ``egift``), so an
e-gift card's intent pays no buy now, and a buy now's intent no other buy now of
the same total.
"""

from __future__ import annotations

from orders.payments.base import cart_tag

from .common import request_fingerprint

BUY_NOW = "buy_now"
E_GIFT_SCOPE = "e_gift"
PRICED_DIGEST = 32  # hex digits of the digest of what a buy now priced


def buy_now_scope(checkout) -> str:
    """A buy now's scope: a digest of what was priced, as ``prepare_checkout`` saw
    it in ``checkout`` (a ``placing.Checkout``): the lines, how they go, the shop
    they are collected at, the address as orders keep it. The same for the intent
    made before the purchase and for its charge; the amount and currency are
    checked apart."""
    digest = request_fingerprint(
        sorted((variant.pk, quantity) for variant, quantity in checkout.lines),
        checkout.method,
        getattr(checkout.pickup_store, "pk", None),
        checkout.address or {},
    )
    return f"{BUY_NOW}:{digest[:PRICED_DIGEST]}"


def paid_for(checkout) -> str:
    """What the intent that pays ``checkout``'s card share must have been made
    for: its cart, else a buy now of what it priced (``buy_now_scope``)."""
    if checkout.cart is not None:
        return cart_tag(checkout.cart.pk)
    return buy_now_scope(checkout)
