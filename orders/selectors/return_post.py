"""Returns by post: where a customer sends the parcel of a return.

Each market takes its postal returns at one returns location: of the active
warehouses in the market (``market_of_location``: the warehouse's own market, else
its country's) with a full address (street, postcode, city, country), the first by
code, so the same one answers every time. The market of an order is the one checkout
sold it in: its pickup shop's, its counter's, else its delivery country's. A market
without such a warehouse takes returns at its shops only: nothing offers an address
then, never a blank one. Nor does a return to be refunded to an order paid (partly)
in cash: a warehouse has no till, so that refund is made at a shop's counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import prefetch_related_objects

from inventory.markets import MarketTerms, TaxTable, tax_table
from inventory.models import Location, LocationKind
from orders.models import (
    Fulfilment,
    FulfilmentMethod,
    Order,
    PaymentMethod,
    RefundMethod,
    Return,
    ReturnStatus,
)


@dataclass(frozen=True)
class ReturnAddress:
    """The returns location's postal address, as a parcel's label carries it."""

    location_id: int
    name: str
    street: str
    postcode: str
    city: str
    country: str

    @property
    def lines(self) -> list[str]:
        return [self.name, self.street, f"{self.postcode} {self.city}", self.country]

    def __str__(self) -> str:
        return ", ".join(self.lines)


def order_market(order: Order, table: TaxTable | None = None) -> MarketTerms | None:
    """The market ``order`` was sold in, as checkout chose it: a pickup's at its
    pickup shop, a counter sale's at its shop, a delivery's in its country. One
    query (the markets are kept by the process)."""
    table = table or tax_table()
    parts = (
        Fulfilment.objects.filter(order=order)
        .select_related("location", "pickup_location")
        .order_by("id")
    )
    for part in parts:
        if part.method == FulfilmentMethod.PICKUP:
            return table.market_of_location(part.pickup_location)
        if part.method == FulfilmentMethod.CARRY_OUT:
            return table.market_of_location(part.location)
        country = (part.address or {}).get("country") or ""
        if country:
            return table.market_of_country(country.upper())
    return None


def _postable(location: Location) -> bool:
    fields = (location.address, location.postcode, location.city, location.country)
    return all((value or "").strip() for value in fields)


def returns_location(
    market: MarketTerms | None, table: TaxTable | None = None
) -> Location | None:
    """The warehouse that takes ``market``'s postal returns (see the module's
    docstring); None when the market has none with a full address. One query."""
    if market is None:
        return None
    table = table or tax_table()
    warehouses = Location.objects.filter(
        kind=LocationKind.WAREHOUSE, active=True
    ).order_by("code", "pk")
    for warehouse in warehouses:
        in_market = table.market_of_location(warehouse)
        if in_market is not None and in_market.id == market.id and _postable(warehouse):
            return warehouse
    return None


def return_address(ret: Return) -> ReturnAddress | None:
    """Where the customer may post return ``ret``: its order's market's returns
    location, while the return waits for its goods; None once they are back or it
    is cancelled, or when the market takes returns at its shops only. Two queries
    while it waits, none after."""
    if ret.status != ReturnStatus.REQUESTED or cash_back_in(ret):
        return None
    table = tax_table()
    location = returns_location(order_market(ret.order, table), table)
    if location is None:
        return None
    return ReturnAddress(
        location_id=location.pk,
        name=location.name.strip(),
        street=location.address.strip(),
        postcode=location.postcode.strip(),
        city=location.city.strip(),
        country=location.country.strip().upper(),
    )


def cash_back_in(ret: Return) -> str:
    """The currency of the cash ``ret`` gives back: refunded to its order's payments
    and one of them, cash, still has money to give back; empty when none does. The
    order's payments are read once, however often it is asked."""
    if ret.refund_method != RefundMethod.ORIGINAL:
        return ""
    prefetch_related_objects([ret.order], "payments")
    for payment in ret.order.payments.all():
        if payment.method == PaymentMethod.CASH and payment.refundable > 0:
            return payment.currency
    return ""
