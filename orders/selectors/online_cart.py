"""A customer's online cart as a shop sees it on the customer page: what they put in
it on the website or the app, at the prices they see there, and what this shop has
of it, so the associate can sell it at the counter. Read only: the cart stays the
customer's, as it was."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db.models import prefetch_related_objects

from customers.models import Customer
from inventory.markets import (
    MarketTerms,
    ShelfPrice,
    TaxTable,
    shelf_prices,
    tax_table,
)
from inventory.models import Location
from inventory.selectors import availability_here_and_elsewhere, images_prefetch
from omnistore.core.exceptions import NotFound
from orders.models import CartLine
from orders.selectors.carts import on_sale, open_cart_lines


@dataclass(frozen=True)
class OnlineCartLine:
    line: CartLine
    price: ShelfPrice  # in the cart's market; amount None: not on its price list
    here: int  # units available at the shop, as its stock lookup shows them

    @property
    def on_sale(self) -> bool:
        return on_sale(self.line.variant)

    @property
    def enough_here(self) -> bool:
        return self.here >= self.line.quantity


@dataclass(frozen=True)
class OnlineCart:
    lines: list[OnlineCartLine]
    currency: str  # the cart's market's
    sale_currency: str  # the shop's, which a sale there rings the items up in

    @property
    def units(self) -> int:
        return sum(row.line.quantity for row in self.lines)

    @property
    def for_sale(self) -> list[OnlineCartLine]:
        return [row for row in self.lines if row.on_sale]


def cart_market(customer: Customer, table: TaxTable) -> MarketTerms | None:
    """The market the customer's cart is priced in online: their preferred shop's,
    whose prices they see there (as their wishlists), else that of the country the
    storefront prices a cart for when none is asked (``OMNISTORE_DEFAULT_REGION``).
    None: the catalogue's prices in the home currency."""
    if customer.preferred_store_id is not None:
        return table.market_of_location(customer.preferred_store)
    return table.market_of_country(settings.OMNISTORE_DEFAULT_REGION)


def online_cart(customer: Customer, *, store: Location | None) -> OnlineCart | None:
    """The customer's open cart with its lines (item, units, price in the cart's
    market, units available at ``store``), in the order they were added; None
    without an open cart holding a line. One query without lines; with them four,
    one more for a market with its own price list (the markets are kept by the
    process), however many lines."""
    lines = open_cart_lines(customer=customer)
    if not lines:
        return None
    variants = [line.variant for line in lines]
    prefetch_related_objects([v.product for v in variants], images_prefetch())
    table = tax_table()
    market = cart_market(customer, table)
    prices = shelf_prices(market, variants)
    here = availability_here_and_elsewhere(
        variant_ids=[v.pk for v in variants], location=store
    )
    home = settings.OMNISTORE_CURRENCY
    shop_market = table.market_of_location(store) if store else None
    return OnlineCart(
        lines=[
            OnlineCartLine(line, prices[line.variant_id], here[line.variant_id][0])
            for line in lines
        ],
        currency=market.currency if market is not None else home,
        sale_currency=shop_market.currency if shop_market is not None else home,
    )


def online_cart_lines(customer: Customer, *, line_id: int | None = None) -> list:
    """The lines of the customer's open cart that a shop may sell: the one with
    ``line_id``, else every line still sold. Not found for a line that is not in
    that cart (another customer's, or gone from it). One query."""
    lines = open_cart_lines(customer=customer)
    if line_id is None:
        return [line for line in lines if on_sale(line.variant)]
    chosen = [line for line in lines if line.pk == line_id]
    if not chosen:
        raise NotFound("No such line in the customer's cart.")
    return chosen
