"""A shop with a simulated card reader and a basket at its counter."""

from __future__ import annotations

from decimal import Decimal

from omnistore.core.channels import Channel
from orders.models import FulfilmentMethod, PaymentMethod, TerminalDevice
from orders.services.carts import add_cart_lines, create_cart
from orders.services.terminals import CounterSale
from orders.terminals import get_terminal_provider


def simulator():
    return get_terminal_provider("simulated")


def reader(location, *, label="Counter reader", device_id=None) -> TerminalDevice:
    return TerminalDevice.objects.create(
        location=location,
        label=label,
        provider="simulated",
        device_id=device_id or f"sim-{location.code}",
    )


def basket(lines) -> object:
    cart = create_cart(channel=Channel.STORE)
    add_cart_lines(cart=cart, lines=[(v.pk, q) for v, q in lines])
    return cart


def card_sale(lines, *, tenders=None, **kwargs) -> CounterSale:
    total = sum((v.price * q for v, q in lines), Decimal("0.00"))
    return CounterSale(
        lines=[(v.pk, q) for v, q in lines],
        fulfilment=kwargs.pop("fulfilment", FulfilmentMethod.CARRY_OUT),
        tenders=tenders or [(PaymentMethod.CARD_IN_STORE, total)],
        **kwargs,
    )
