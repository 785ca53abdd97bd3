"""Markets, price lists and VAT rates as every sale reads them, kept per process.

Every checkout asks which market a country belongs to and what a tax class costs
there; the answers change a few times a year (a new rate is a row from a future
date), so each process keeps the whole table — a few dozen rows — for
``OMNISTORE_TAX_TABLE_TTL`` seconds (0: read every time) and a checkout reads
nothing for it. A save or delete in this process drops the copy at once, and the
thread that made it reads fresh until its transaction commits, so an uncommitted
row is never kept; other processes follow within the TTL. Only the rows
themselves are kept: a rate is chosen for the sale's date each time.

A saved or imported change of a price-list price is announced after commit
(``list_prices_changed``), for the apps above that follow what a market sells at.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import Signal
from django.utils import timezone

from .models import (
    LegalEntity,
    Location,
    Market,
    MarketCountry,
    PriceList,
    PriceListPrice,
    TaxRate,
    Variant,
)


@dataclass(frozen=True)
class MarketTerms:
    """What a sale needs of a market: its currency, its price list (None: the
    catalogue's prices), who sells its online orders, from which country, and what
    an online order delivered there pays for delivery (free from a threshold)."""

    id: int
    code: str
    currency: str
    price_list_id: int | None
    legal_entity_id: int | None
    seller_country: str
    delivery_fee: Decimal = Decimal("0.00")
    free_delivery_from: Decimal | None = None


class TaxTable:
    def __init__(self, rates, markets: list[MarketTerms], countries: dict[str, int]):
        by_key: dict[tuple[str, str], list[tuple[date, Decimal]]] = defaultdict(list)
        for country, tax_class, valid_from, rate in rates:
            by_key[(country, tax_class)].append((valid_from, rate))
        self._rates = {key: sorted(rows) for key, rows in by_key.items()}
        self._markets = {market.id: market for market in markets}
        self._countries = countries

    def rate(self, country: str, tax_class: str, on: date) -> Decimal | None:
        """The rate of ``tax_class`` in ``country`` on ``on``: the row with the
        latest start on or before that day; None when there is none."""
        rows = self._rates.get((country, tax_class), [])
        index = bisect_right(rows, on, key=lambda row: row[0])
        return rows[index - 1][1] if index else None

    def market_of_country(self, country: str) -> MarketTerms | None:
        pk = self._countries.get(country)
        return self._markets.get(pk) if pk is not None else None

    def market_of_location(self, location: Location) -> MarketTerms | None:
        """The shop's own market, else the market of its country."""
        if location.market_id is not None:
            return self._markets.get(location.market_id)
        return self.market_of_country(location.country)


_kept: tuple[float, TaxTable] | None = None
_changing = threading.local()


def _read_table() -> TaxTable:
    rates = TaxRate.objects.values_list("country", "tax_class", "valid_from", "rate")
    markets = [
        MarketTerms(
            id=market.pk,
            code=market.code,
            currency=market.currency,
            price_list_id=market.price_list_id,
            legal_entity_id=market.legal_entity_id,
            seller_country=market.legal_entity.country if market.legal_entity else "",
            delivery_fee=market.delivery_fee,
            free_delivery_from=market.free_delivery_from,
        )
        for market in Market.objects.select_related("legal_entity")
    ]
    countries = dict(MarketCountry.objects.values_list("country", "market_id"))
    return TaxTable(list(rates), markets, countries)


def tax_table() -> TaxTable:
    """The markets and rates, kept by this process (see the module's docstring)."""
    global _kept
    ttl = settings.OMNISTORE_TAX_TABLE_TTL
    if ttl <= 0 or getattr(_changing, "active", False):
        return _read_table()
    now = time.monotonic()
    kept = _kept
    if kept is None or now - kept[0] >= ttl:
        kept = (now, _read_table())
        _kept = kept
    return kept[1]


def forget_tax_table() -> None:
    """Drop this process's copy: the next sale reads the table again."""
    global _kept
    _kept = None
    _changing.active = False


def _table_changed(**kwargs) -> None:
    global _kept
    _kept = None
    _changing.active = True
    transaction.on_commit(forget_tax_table)


for _model in (TaxRate, Market, MarketCountry, LegalEntity, PriceList):
    post_save.connect(
        _table_changed, sender=_model, dispatch_uid=f"markets.{_model.__name__}.saved"
    )
    post_delete.connect(
        _table_changed,
        sender=_model,
        dispatch_uid=f"markets.{_model.__name__}.deleted",
    )


@dataclass(frozen=True)
class ShelfPrice:
    """What a variant sells at in a market, tax included: ``amount`` in
    ``currency``, None when the market's price list leaves it out (not sold
    there). ``catalogue`` when it is the catalogue's own ``Variant.price`` (the
    market has no price list, or there is no market), the price a wishlist item
    records when added."""

    amount: Decimal | None
    currency: str
    catalogue: bool


def shelf_prices(
    market: MarketTerms | None, variants: Iterable[Variant]
) -> dict[int, ShelfPrice]:
    """Each variant's shelf price in ``market``, by variant id: its price list's,
    else the catalogue's in the market's currency (the home currency, as the
    market's form requires); without a market, the catalogue's in the home
    currency. One query for a market with its own price list, whatever the number
    of variants; none otherwise."""
    variants = list(variants)
    if market is None or market.price_list_id is None:
        home = settings.OMNISTORE_CURRENCY
        currency = market.currency if market is not None else home
        return {
            variant.pk: ShelfPrice(variant.price, currency, catalogue=True)
            for variant in variants
        }
    listed = dict(
        PriceListPrice.objects.filter(
            price_list_id=market.price_list_id,
            variant_id__in=[variant.pk for variant in variants],
        ).values_list("variant_id", "price")
    )
    return {
        variant.pk: ShelfPrice(listed.get(variant.pk), market.currency, catalogue=False)
        for variant in variants
    }


def shelf_prices_at(
    location: Location | None, variants: Iterable[Variant]
) -> dict[int, ShelfPrice]:
    """Each variant's price at a shop, by variant id: its market's shelf price, what
    a sale there rings up (no shop, or one outside every market: the catalogue's in
    the home currency). One query for a market with its own price list, none
    otherwise."""
    market = tax_table().market_of_location(location) if location is not None else None
    return shelf_prices(market, variants)


# A variant's price in a price list changed; sent after the change committed, with
# ``changes``, a list of ``ListPriceChange``. Higher apps (campaigns: price drops in
# the markets that sell at the list) listen without inventory importing them. A save
# announces its own change; a price list imported as CSV
# (``inventory.services.price_lists.import_prices``) announces each price it adds or
# changes the same way. Prices written by a bare ``bulk_create`` or ``update`` (the
# demo's seed) and deleted ones (the admin keeps those of a list in use) send nothing.
list_prices_changed = Signal()


@dataclass(frozen=True)
class ListPriceChange:
    """``was`` and ``price`` of a variant in a price list around one save (None: not
    on the list, before it was added or after it moved to another variant or list).
    ``at`` is when it was saved, not committed: an item wished in between saw the
    old price yet is measured from the new one, a drop missed rather than one
    claimed that the wisher never saw."""

    price_list_id: int
    variant_id: int
    was: Decimal | None
    price: Decimal | None
    at: datetime


def _list_price_saving(sender, instance, raw=False, **kwargs) -> None:
    """The row as stored, before a change to it: its price is what it ``was``."""
    instance._stored_price = None
    if raw or instance._state.adding or instance.pk is None:
        return
    instance._stored_price = (
        PriceListPrice.objects.filter(pk=instance.pk)
        .values_list("price_list_id", "variant_id", "price")
        .first()
    )


def _list_price_saved(sender, instance, raw=False, **kwargs) -> None:
    if raw:
        return
    now = timezone.now()
    price = Decimal(str(instance.price))
    here = (instance.price_list_id, instance.variant_id)
    stored = getattr(instance, "_stored_price", None)
    changes = []
    if stored is not None and stored[:2] != here:  # moved: off one, onto another
        changes.append(ListPriceChange(*stored, price=None, at=now))
        stored = None
    was = stored[2] if stored is not None else None
    if was != price:
        changes.append(ListPriceChange(*here, was=was, price=price, at=now))
    announce_price_changes(changes)


def announce_price_changes(changes: list[ListPriceChange]) -> None:
    """Send ``list_prices_changed`` with ``changes`` once the transaction commits
    (nothing when it rolls back, or when there is no change)."""
    if changes:
        transaction.on_commit(
            lambda: list_prices_changed.send(sender=PriceListPrice, changes=changes)
        )


pre_save.connect(
    _list_price_saving, sender=PriceListPrice, dispatch_uid="markets.price.saving"
)
post_save.connect(
    _list_price_saved, sender=PriceListPrice, dispatch_uid="markets.price.saved"
)
