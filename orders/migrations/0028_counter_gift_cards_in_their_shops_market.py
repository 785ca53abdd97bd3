"""Gift cards sold at a counter before cards kept their market get the market of the
shop that issued them (the shop's own, else its country's), as a card sold now does,
when that market sells in the card's currency; cards with no issuing shop, or whose
shop's market is not clear, keep none (they count under "All markets")."""

from django.db import migrations


def set_markets(apps, schema_editor):
    GiftCard = apps.get_model("orders", "GiftCard")
    Market = apps.get_model("inventory", "Market")
    MarketCountry = apps.get_model("inventory", "MarketCountry")
    by_country = dict(MarketCountry.objects.values_list("country", "market_id"))
    currency_of = dict(Market.objects.values_list("pk", "currency"))
    cards = GiftCard.objects.filter(market__isnull=True, issued_location__isnull=False)
    for card in cards.select_related("issued_location").iterator():
        shop = card.issued_location
        market_id = shop.market_id or by_country.get(shop.country)
        if market_id is not None and currency_of.get(market_id) == card.currency:
            GiftCard.objects.filter(pk=card.pk).update(market_id=market_id)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0027_fulfilment_carrier"),
        ("inventory", "0010_price_lists_markets_and_sellers_kept_in_history"),
    ]

    operations = [migrations.RunPython(set_markets, migrations.RunPython.noop)]
