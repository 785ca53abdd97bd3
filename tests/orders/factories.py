"""Shops, stock and orders for the orders tests, made through the real services."""

from __future__ import annotations

from decimal import Decimal

from customers.models import Channel
from inventory.models import PriceList, PriceListPrice, StockLevel
from orders.services.checkout import LineRequest, place_order
from orders.services.fulfilment import mark_picked, mark_ready
from orders.services.payments import PaymentRequest
from tests.factories import LocationFactory, VariantFactory, WarehouseFactory, stock

CARD = [PaymentRequest(method="card_online", token="tok_visa")]


def shop(**kwargs):
    return LocationFactory(**kwargs)


def warehouse(**kwargs):
    return WarehouseFactory(**kwargs)


def variant(price: str = "49.90", **kwargs):
    return VariantFactory(price=Decimal(price), **kwargs)


def stocked(location, quantity: int, **kwargs):
    """A new variant with ``quantity`` units at ``location``."""
    item = variant(**kwargs)
    stock(item, location, quantity)
    return item


def in_francs(item, price: str):
    """``item`` on the Swiss market's price list at ``price`` CHF."""
    PriceListPrice.objects.create(
        price_list=PriceList.objects.get(code="CHF"), variant=item, price=Decimal(price)
    )
    return item


def on_hand(variant, location) -> int:
    """Units on hand of ``variant`` at ``location`` (0 where it never had a row)."""
    level = StockLevel.objects.filter(variant=variant, location=location).first()
    return level.on_hand if level else 0


def pickup_order(*, store, lines, email="ada@example.com", key="", **kwargs):
    return place_order(
        lines=[LineRequest(v, q) for v, q in lines],
        channel=kwargs.pop("channel", Channel.WEB),
        fulfilment="pickup",
        pickup_store=store,
        email=email,
        payments=kwargs.pop("payments", CARD),
        idempotency_key=key,
        **kwargs,
    )


ADDRESS = {
    "name": "Ada Lovelace",
    "line1": "Via Torino 1",
    "city": "Milano",
    "postcode": "20123",
    "country": "IT",
}


def delivery_order(*, lines, email="ada@example.com", address=None, **kwargs):
    return place_order(
        lines=[LineRequest(v, q) for v, q in lines],
        channel=kwargs.pop("channel", Channel.WEB),
        fulfilment="delivery",
        address=address or ADDRESS,
        email=email,
        payments=kwargs.pop("payments", CARD),
        **kwargs,
    )


def ready_order(*, store, lines, staff=None, **kwargs):
    order = pickup_order(store=store, lines=lines, **kwargs)
    mark_picked(order=order, actor=staff)
    return mark_ready(order=order, actor=staff)


def deliver_outbox() -> int:
    """Run the periodic drain until nothing is left (a handler may queue a follow-up)."""
    from omnistore.core import outbox

    total = 0
    for _ in range(5):
        delivered = outbox.drain()
        total += delivered
        if not delivered:
            break
    return total
