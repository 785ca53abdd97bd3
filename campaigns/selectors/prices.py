"""Prices as messages show them: in the customer's market (their preferred shop's,
whose prices they see online), as money with two decimals and the currency. A batch
reads each market's price list once, whatever the number of customers and items."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from customers.models import Customer
from inventory.markets import MarketTerms, ShelfPrice, shelf_prices, tax_table
from inventory.models import Location, Variant


def money(amount: Decimal | None, currency: str) -> dict:
    """An amount as a message shows it: ``price`` ("59.90 EUR"), ``amount``
    ("59.90") and ``currency``; all empty when there is no price."""
    if amount is None:
        return {"price": "", "amount": "", "currency": ""}
    return {
        "price": f"{amount:.2f} {currency}",
        "amount": f"{amount:.2f}",
        "currency": currency,
    }


def shop_markets(store_ids) -> dict[int, MarketTerms | None]:
    """Each shop's market (None: outside every market, it sells at the catalogue's
    prices in the home currency). One query."""
    store_ids = {pk for pk in store_ids if pk}
    if not store_ids:
        return {}
    return _markets_of(Location.objects.filter(pk__in=store_ids))


def _markets_of(shops) -> dict[int, MarketTerms | None]:
    table = tax_table()
    return {shop.pk: table.market_of_location(shop) for shop in shops}


def shops_by_price_list() -> dict[int, list[int]]:
    """The shops whose market sells at each price list, by price list id; a shop
    selling at the catalogue's prices (its market has no list, or it is outside every
    market) is under none. One query for the shops."""
    shops = Location.objects.only("pk", "market_id", "country").order_by("pk")
    found: dict[int, list[int]] = {}
    for shop, market in _markets_of(shops).items():
        if market is not None and market.price_list_id is not None:
            found.setdefault(market.price_list_id, []).append(shop)
    return found


def customer_markets(customer_ids) -> dict[int, MarketTerms | None]:
    """Each customer's market: their preferred shop's (``shop_markets``; None without
    a shop). Two queries."""
    stores = dict(
        Customer.objects.filter(pk__in=list(customer_ids)).values_list(
            "pk", "preferred_store_id"
        )
    )
    shops = shop_markets(stores.values())
    return {pk: shops.get(store) for pk, store in stores.items()}


def variant_prices(
    *, markets: Iterable[MarketTerms | None], variants
) -> dict[MarketTerms | None, dict[int, ShelfPrice]]:
    """Per market, each variant's shelf price there (``shelf_prices``): one query per
    market with a price list of its own, none otherwise."""
    variants = list(variants)
    return {market: shelf_prices(market, variants) for market in set(markets)}


def market_prices(*, markets, product_ids) -> dict[MarketTerms | None, dict[int, dict]]:
    """Per market, each product's lowest shelf price among its active variants, as
    ``money``. A product the market's price list leaves out is absent from it. One
    query for the variants, one per market with a price list of its own."""
    variants = list(Variant.objects.filter(product_id__in=product_ids, active=True))
    shelves = variant_prices(markets=markets, variants=variants)
    result: dict[MarketTerms | None, dict[int, dict]] = {}
    for market, shelf in shelves.items():
        lowest: dict[int, ShelfPrice] = {}
        for variant in variants:
            price = shelf[variant.pk]
            if price.amount is None:
                continue
            known = lowest.get(variant.product_id)
            if known is None or price.amount < known.amount:
                lowest[variant.product_id] = price
        result[market] = {
            product_id: money(price.amount, price.currency)
            for product_id, price in lowest.items()
        }
    return result


def shop_shelves(*, store_ids, variants) -> dict[int | None, dict[int, ShelfPrice]]:
    """Per shop of ``store_ids``, and None for customers without one, each
    variant's shelf price in the shop's market. One query for the shops, one per
    market with a price list of its own."""
    shops = shop_markets(store_ids)
    shelves = variant_prices(markets=[None, *shops.values()], variants=variants)
    return {
        None: shelves[None],
        **{store: shelves[market] for store, market in shops.items()},
    }


def shop_prices(*, store_ids, variants) -> dict[int | None, dict[int, dict]]:
    """``shop_shelves`` as ``money``; a variant the market's price list leaves out
    (not sold there) is absent."""
    return {
        store: {
            pk: money(price.amount, price.currency)
            for pk, price in shelf.items()
            if price.amount is not None
        }
        for store, shelf in shop_shelves(store_ids=store_ids, variants=variants).items()
    }
