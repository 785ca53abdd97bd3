"""A price drop's key carries the currency of its price
(``drop:<variant>:<currency>:<price>``), and a price is compared only with the prices
told in its own currency: a customer whose market changed, or a variant sold in
several currencies, no longer has francs weighed against euros.

The keys already written (``drop:<variant>:<price>``) get the currency of the
customer's market as it is when this runs: their preferred shop's market (the shop's
own, else its country's), in its price list's currency, or the home currency
(``OMNISTORE_CURRENCY``) where that market sells at the catalogue's prices or there
is no shop. No customer's shop of the past is kept, so this assumes the market the
drop was decided in is the one they have now. For a customer whose market never
changed that is the currency the price had; for one who moved, their earlier drops
are counted as told in the market they shop in now, as they were counted until now:
nothing already told is told again.

Going back drops the currency. The same amount told in two currencies on one
channel (which becomes one key) keeps a key each by a trailing zero (``80.000``),
which reads back as the same price."""

from itertools import groupby

from django.conf import settings
from django.db import migrations, models

PREFIX = "drop:"
BATCH = 1000


def _messages(apps):
    """Price-drop messages, as (pk, campaign, customer, channel, key), by campaign,
    customer and channel (their keys are unique together)."""
    Message = apps.get_model("campaigns", "Message")
    return Message, list(
        Message.objects.filter(
            campaign__kind="price_drop", trigger_key__startswith=PREFIX
        )
        .order_by("campaign_id", "customer_id", "channel", "pk")
        .values_list("pk", "campaign_id", "customer_id", "channel", "trigger_key")
    )


def _parts(key: str) -> int:
    return key.count(":") + 1


def _rekey(Message, rows, parts: int, key_of) -> None:
    """Give each message of ``rows`` whose key has ``parts`` parts the key ``key_of``
    makes of it (given the keys its campaign, customer and channel hold already)."""
    changed = []
    for _, group in groupby(rows, key=lambda row: row[1:4]):
        group = list(group)
        taken = {row[4] for row in group}
        for pk, _campaign, customer_id, _channel, key in group:
            if _parts(key) != parts:
                continue
            new = key_of(customer_id, key, taken)
            if new is not None:
                taken.add(new)
                changed.append(Message(pk=pk, trigger_key=new))
    Message.objects.bulk_update(changed, ["trigger_key"], batch_size=BATCH)


def _chunks(values):
    values = list(values)
    for start in range(0, len(values), BATCH):
        yield values[start : start + BATCH]


def _currencies(apps, customer_ids) -> dict[int, str]:
    """Each customer's currency now: their preferred shop's market's price list's,
    else the home currency (the catalogue's prices, or no shop)."""
    Customer = apps.get_model("customers", "Customer")
    Location = apps.get_model("inventory", "Location")
    Market = apps.get_model("inventory", "Market")
    MarketCountry = apps.get_model("inventory", "MarketCountry")
    listed = dict(
        Market.objects.filter(price_list__isnull=False).values_list(
            "pk", "price_list__currency"
        )
    )
    by_country = dict(MarketCountry.objects.values_list("country", "market_id"))
    stores = {}
    for chunk in _chunks(customer_ids):
        stores.update(
            Customer.objects.filter(pk__in=chunk).values_list(
                "pk", "preferred_store_id"
            )
        )
    markets = {
        pk: market or by_country.get(country)
        for pk, market, country in Location.objects.filter(
            pk__in={store for store in stores.values() if store}
        ).values_list("pk", "market_id", "country")
    }
    home = settings.OMNISTORE_CURRENCY
    return {
        customer: listed.get(markets.get(store), home)
        for customer, store in stores.items()
    }


def key_by_currency(apps, schema_editor):
    Message, rows = _messages(apps)
    currencies = _currencies(apps, {row[2] for row in rows if _parts(row[4]) == 3})

    def key_of(customer_id, key, taken):
        _, variant, price = key.split(":")
        new = f"{PREFIX}{variant}:{currencies[customer_id]}:{price}"
        return new if new not in taken else None

    _rekey(Message, rows, 3, key_of)


def key_without_currency(apps, schema_editor):
    Message, rows = _messages(apps)

    def key_of(_customer_id, key, taken):
        _, variant, _currency, price = key.split(":")
        new = f"{PREFIX}{variant}:{price}"
        while new in taken:
            new += "0"
        return new

    _rekey(Message, rows, 4, key_of)


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_price_drops_keyed_by_variant"),
        ("customers", "0019_wishlist_folded_into"),
        ("inventory", "0010_price_lists_markets_and_sellers_kept_in_history"),
    ]

    operations = [
        migrations.AlterField(
            model_name="message",
            name="trigger_key",
            field=models.CharField(
                blank=True,
                default="",
                help_text=(
                    "What fired an automation (cart:12, order:34, "
                    "restock:<variant>:<n>, drop:<variant>:<currency>:<price>, "
                    "viewed:<product>:<last view>); empty for broadcasts."
                ),
                max_length=64,
            ),
        ),
        migrations.RunPython(key_by_currency, key_without_currency),
    ]
