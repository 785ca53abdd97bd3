"""Demo markets and legal entities: each country's shops sell in the name of a
local company, the Italian one sells the EU's online orders, Zürich sells in francs
from a Swiss price list, and the children's range is sold at the reduced rate so a
receipt shows two rates (a real catalogue sets each product's class by law)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from inventory.markets import forget_tax_table
from inventory.models import (
    Category,
    LegalEntity,
    Location,
    Market,
    PriceList,
    PriceListPrice,
    Product,
    TaxClass,
    Variant,
)

from .batches import BATCH_SIZE, batches

# country: (name, registered address, VAT number; check digits valid)
# fmt: off
ENTITIES = {
    "IT": ("Omnistore S.p.A.", "Corso Vittorio Emanuele II 15, 20122 Milano",
           "IT04512370158"),
    "DE": ("Omnistore Deutschland GmbH", "Kaufingerstraße 28, 80331 München",
           "DE314708527"),
    "AT": ("Omnistore Österreich GmbH", "Kärntner Straße 19, 1010 Wien",
           "ATU74285132"),
    "FR": ("Omnistore France SAS", "118 Rue de Rivoli, 75001 Paris",
           "FR75512345679"),
    "ES": ("Omnistore España S.L.", "Passeig de Gràcia 45, 08007 Barcelona",
           "ESB85123453"),
    "CH": ("Omnistore Schweiz AG", "Bahnhofstrasse 70, 8001 Zürich",
           "CHE-412.857.305 MWST"),
}
# fmt: on

# Swiss shelf prices: the euro price × 1.05, rounded to 5 Rappen.
CHF_PER_EUR = Decimal("1.05")
# Each market's online seller (a country of ``ENTITIES``), delivery fee and the goods'
# worth from which delivery is free.
DELIVERY = {"EU": ("IT", "4.90", "100.00"), "CH": ("CH", "7.90", "120.00")}
REDUCED_AUDIENCE = "kids"


def _franc_price(euro: Decimal) -> Decimal:
    return (euro * CHF_PER_EUR / Decimal("0.05")).quantize(
        Decimal("1"), ROUND_HALF_UP
    ) * Decimal("0.05")


def seed_markets(locations: list[Location]) -> dict[str, int]:
    """Legal entities for the countries of ``locations``, each location's entity,
    the online sellers of the EU and Swiss markets and their delivery fees, Swiss prices for every variant
    and the reduced class for the children's range."""
    entities = {
        country: LegalEntity.objects.create(
            name=name, address=address, country=country, vat_number=vat_number
        )
        for country, (name, address, vat_number) in ENTITIES.items()
    }
    for country, entity in entities.items():
        Location.objects.filter(
            country=country, pk__in=[loc.pk for loc in locations]
        ).update(legal_entity=entity)
    for code, (country, fee, free_from) in DELIVERY.items():
        Market.objects.filter(code=code).update(
            legal_entity=entities[country],
            delivery_fee=Decimal(fee),
            free_delivery_from=Decimal(free_from),
        )
    forget_tax_table()  # updated in bulk: no signal told this process
    francs = PriceList.objects.get(code="CHF")
    prices = 0
    rows = (
        PriceListPrice(price_list=francs, variant_id=pk, price=_franc_price(price))
        for pk, price in list(Variant.objects.values_list("pk", "price"))
    )
    for chunk in batches(rows, BATCH_SIZE):
        prices += len(PriceListPrice.objects.bulk_create(chunk))
    kids = Category.objects.filter(parent__slug=REDUCED_AUDIENCE)
    reduced = Product.objects.filter(category__in=kids).update(
        tax_class=TaxClass.REDUCED
    )
    return {
        "legal entities": len(entities),
        "Swiss prices": prices,
        "products at the reduced rate": reduced,
    }
